/* exch_coinbase: the messages of the Coinbase Advanced Trade feed — tickers,
 * heartbeats, subscriptions and errors, sorted by channel (exch_parse_private.h). */
#include "config.h"

#include "exch_parse_private.h"

#include "cp_error.h"
#include "exch_number.h"

#include <jansson.h>
#include <string.h>

/* Coinbase Advanced Trade ticker: the message's "timestamp", then
 * events[].tickers[]. */
static int coinbase_ticker(struct exch_parse *p, const json_t *root)
{
    bool bad;
    int64_t ts;
    const char *stamp = exch_parse_string(root, "timestamp", &bad);
    if (!stamp || exch_rfc3339_ms(stamp, &ts) != CP_OK)
        return exch_parse_fail(p, "ticker without an RFC 3339 UTC \"timestamp\"");
    const json_t *events = json_object_get(root, "events");
    size_t i;
    const json_t *ev;
    if (!json_is_array(events))
        return exch_parse_fail(p, "ticker without an \"events\" array");
    json_array_foreach(events, i, ev)
    {
        int rc = json_is_object(ev)
                     ? exch_parse_tickers(p, json_object_get(ev, "tickers"), "tickers", ts)
                     : exch_parse_fail(p, "an event is not an object");
        if (rc != EXCH_QUOTES)
            return rc;
    }
    return EXCH_QUOTES;
}

int exch_coinbase_parse(struct exch_parse *p, const json_t *root)
{
    bool bad;
    if (!json_is_object(root))
        return exch_parse_fail(p, "not a JSON object");
    const char *type = exch_parse_string(root, "type", &bad);
    if (type && strcmp(type, "error") == 0)
        return exch_parse_reject(p, json_object_get(root, "message"), 0, false);
    const char *channel = exch_parse_string(root, "channel", &bad);
    if (!channel)
        return exch_parse_fail(p, "no \"channel\" string: not a Coinbase Advanced Trade message");
    if (strcmp(channel, "ticker") == 0)
        return coinbase_ticker(p, root);
    if (strcmp(channel, "heartbeats") == 0)
        return EXCH_HEARTBEAT;
    if (strcmp(channel, "subscriptions") == 0)
        return EXCH_ACK;
    return EXCH_IGNORED;
}
