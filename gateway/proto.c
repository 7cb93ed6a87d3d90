#include "config.h"

#include "proto.h"

#include "conn.h"
#include "cp_error.h"
#include "gateway.h"
#include "price.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROTO_MAX_STRIKES 3 /* windows over the rate limit before close 1008 */

char *proto_welcome(const struct gateway *gw)
{
    json_t *w = json_pack("{s:s, s:o, s:i, s:i, s:i}", "server", "cryptopulse/" PACKAGE_VERSION,
                          "symbols", hub_symbols(gw->hub), "interval_ms",
                          gw->conf->update_interval_ms, "max_messages_per_second",
                          gw->conf->max_messages_per_second, "max_message_bytes",
                          gw->conf->max_message_bytes);
    char *text = json_dumps(w, JSON_COMPACT);
    json_decref(w);
    return text;
}

static void send_json(struct conn *c, const char *event, json_t *data)
{
    char *text = json_dumps(data, PRICE_JSON_FLAGS);
    conn_ws_send(c, event, text);
    free(text);
    json_decref(data);
}

static void send_error(struct conn *c, const char *code, const char *message)
{
    send_json(c, "error", json_pack("{s:s, s:s}", "code", code, "message", message));
}

/* One-second windows: over the limit, the client is told once per window;
 * after PROTO_MAX_STRIKES windows in a row it is closed. */
static int rate_limit(struct gateway *gw, struct conn *c, struct proto_client *pc)
{
    int64_t now = price_now_ms();
    if (now - pc->window_start_ms >= 1000) {
        if (pc->window_count <= gw->conf->max_messages_per_second)
            pc->strikes = 0;
        pc->window_start_ms = now;
        pc->window_count = 0;
    }
    if (++pc->window_count <= gw->conf->max_messages_per_second)
        return CP_OK;
    gw->stats.rate_limited++;
    if (pc->window_count == gw->conf->max_messages_per_second + 1) {
        if (++pc->strikes >= PROTO_MAX_STRIKES)
            return CP_EPROTO;
        send_error(c, "rate_limited", "too many messages; slow down");
    }
    return CP_EAGAIN;
}

/* Validate {"symbols":[...]}: returns the array (borrowed) or NULL. */
static json_t *symbols_of(json_t *data)
{
    json_t *syms = json_object_get(data, "symbols");
    size_t i;
    json_t *s;
    if (!json_is_array(syms) || json_array_size(syms) == 0)
        return NULL;
    json_array_foreach(syms, i, s) if (!json_is_string(s)) return NULL;
    return syms;
}

static void unknown_symbols_error(struct conn *c, json_t *unknown)
{
    char *list = json_dumps(unknown, JSON_COMPACT);
    char message[512];
    snprintf(message, sizeof message, "not carried by this feed: %s", list);
    send_error(c, "unknown_symbol", message);
    free(list);
}

static void on_subscribe(struct gateway *gw, struct conn *c, struct proto_client *pc,
                         json_t *data, bool add)
{
    json_t *syms = symbols_of(data);
    if (!syms) {
        send_error(c, "bad_request", "data.symbols must be a non-empty array of strings");
        return;
    }
    json_t *added = json_array(), *unknown = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(syms, i, s) {
        const char *sym = json_string_value(s);
        int rc = add ? hub_subscribe(gw->hub, &pc->sub, sym) : hub_unsubscribe(gw->hub, &pc->sub, sym);
        if (rc == 1 && add)
            json_array_append(added, s);
        else if (rc < 0)
            json_array_append(unknown, s);
    }
    if (json_array_size(unknown))
        unknown_symbols_error(c, unknown);
    send_json(c, "subscribed", json_pack("{s:o}", "symbols", hub_client_symbols(&pc->sub)));
    if (json_array_size(added))
        send_json(c, "price-update-bulk", hub_snapshot(gw->hub, added));
    json_decref(added);
    json_decref(unknown);
}

static void on_ping(struct gateway *gw, struct conn *c, json_t *data)
{
    json_t *id = json_object_get(data, "id"), *ts = json_object_get(data, "ts");
    if (!json_is_object(data) || !json_is_number(id) || !json_is_number(ts)) {
        send_error(c, "bad_request", "ping needs data {\"id\":<int>,\"ts\":<ms>}");
        return;
    }
    send_json(c, "pong", json_pack("{s:O, s:O, s:I}", "id", id, "ts", ts, "server_ts",
                                   (json_int_t)price_now_ms()));
}

int proto_handle(struct gateway *gw, struct conn *c, struct proto_client *pc, const char *text,
                 size_t len)
{
    int rc = rate_limit(gw, c, pc);
    if (rc != CP_OK)
        return rc == CP_EPROTO ? CP_EPROTO : CP_OK;
    json_error_t jerr;
    json_t *msg = json_loadb(text, len, 0, &jerr);
    if (!msg) {
        send_error(c, "bad_json", jerr.text);
        return CP_OK;
    }
    const char *event = json_string_value(json_object_get(msg, "event"));
    json_t *data = json_object_get(msg, "data");
    if (!json_is_object(msg) || !event)
        send_error(c, "bad_request", "expected {\"event\":NAME,\"data\":...}");
    else if (strcmp(event, "subscribe") == 0 || strcmp(event, "unsubscribe") == 0)
        on_subscribe(gw, c, pc, data, event[0] == 's');
    else if (strcmp(event, "ping") == 0)
        on_ping(gw, c, data);
    else
        send_error(c, "unknown_event", event);
    json_decref(msg);
    return CP_OK;
}
