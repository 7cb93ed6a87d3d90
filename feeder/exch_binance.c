/* exch_binance: the messages of Binance spot streams — 24hrTicker events, bare or in a
 * combined-stream envelope, replies and errors (exch_parse_private.h). */
#include "config.h"

#include "exch_parse_private.h"

#include "cp_error.h"
#include "exch_number.h"

#include <jansson.h>
#include <string.h>

/* Binance: {"code":..,"msg":..} or {"error":{"code":..,"msg":..},"id":..}. */
static int binance_error(struct exch_parse *p, const json_t *root)
{
    const json_t *e = json_object_get(root, "error");
    const json_t *body = json_is_object(e) ? e : root;
    const json_t *code = json_object_get(body, "code");
    const json_t *msg = json_object_get(body, "msg");
    if (!msg && json_is_string(e))
        msg = e;
    return exch_parse_reject(p, msg, json_integer_value(code), json_is_integer(code));
}

static int binance_ticker(struct exch_parse *p, const json_t *d)
{
    const json_t *e = json_object_get(d, "E");
    json_int_t ts = json_integer_value(e);
    if (!json_is_integer(e) || ts <= 0 || ts > EXCH_TS_MS_MAX)
        return exch_parse_fail(p, "24hrTicker without an event time \"E\" in ms");
    int rc = exch_parse_ticker(p, d, ts);
    return rc != CP_OK ? rc : EXCH_QUOTES;
}

/* A Binance event payload, bare or from a combined stream's "data". */
static int binance_event(struct exch_parse *p, const json_t *d)
{
    bool bad;
    const char *e = exch_parse_string(d, "e", &bad);
    if (bad)
        return exch_parse_fail(p, "the event type \"e\" is not a string");
    if (!e) {
        /* bookTicker is the one stream whose events have no "e" */
        if (json_object_get(d, "u") && json_object_get(d, "s"))
            return EXCH_IGNORED;
        return exch_parse_fail(p, "no event type \"e\"");
    }
    if (strcmp(e, "24hrTicker") == 0)
        return binance_ticker(p, d);
    /* a planned disconnect: the close that follows makes the owner reconnect */
    if (strcmp(e, "serverShutdown") == 0)
        return EXCH_ACK;
    return EXCH_IGNORED;
}

int exch_binance_parse(struct exch_parse *p, const json_t *root)
{
    bool bad;
    if (!json_is_object(root))
        return exch_parse_fail(p, "not a JSON object");
    const json_t *data = json_object_get(root, "data");
    if (exch_parse_string(root, "stream", &bad) || bad) {
        if (bad)
            return exch_parse_fail(p, "\"stream\" is not a string");
        if (json_is_array(data))
            return EXCH_IGNORED; /* all-market streams such as !miniTicker@arr */
        if (!json_is_object(data))
            return exch_parse_fail(p, "a combined-stream message without a \"data\" object");
        return binance_event(p, data);
    }
    if (json_object_get(root, "result") && json_object_get(root, "id"))
        return EXCH_ACK;
    if (json_object_get(root, "error") || json_object_get(root, "code"))
        return binance_error(p, root);
    return binance_event(p, root);
}
