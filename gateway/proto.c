#include "config.h"

#include "proto.h"

#include "candles.h"
#include "cp_error.h"
#include "history.h"
#include "price.h"
#include "ws.h"
#include "xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *proto_welcome(const struct ctx *ctx)
{
    json_t *w =
        json_pack("{s:s, s:o, s:i, s:i, s:i}", "server", "cryptopulse/" PACKAGE_VERSION, "symbols",
                  hub_symbols(ctx->hub), "interval_ms", ctx->conf->update_interval_ms,
                  "max_messages_per_second", ctx->conf->max_messages_per_second,
                  "max_message_bytes", ctx->conf->max_message_bytes);
    char *text = json_dumps(w, JSON_COMPACT);
    json_decref(w);
    return text;
}

const char *proto_welcome_shared(struct ctx *ctx)
{
    struct ctx_welcome *w = &ctx->welcome;
    const struct cp_conf *conf = ctx->conf;
    uint64_t gen = hub_symbols_gen(ctx->hub);
    if (!w->text || w->symbols_gen != gen || w->interval_ms != conf->update_interval_ms ||
        w->max_messages_per_second != conf->max_messages_per_second ||
        w->max_message_bytes != conf->max_message_bytes) {
        free(w->text);
        w->text = proto_welcome(ctx);
        w->symbols_gen = gen;
        w->interval_ms = conf->update_interval_ms;
        w->max_messages_per_second = conf->max_messages_per_second;
        w->max_message_bytes = conf->max_message_bytes;
    }
    return w->text;
}

static void send_json(struct proto_client *pc, const char *event, json_t *data)
{
    char *text = json_dumps(data, PRICE_JSON_FLAGS);
    pc->ops->send(pc->transport, event, text);
    free(text);
    json_decref(data);
}

json_t *proto_error_text(const char *message)
{
    json_t *s = json_string(message);
    if (s)
        return s;
    char *text = xstrdup(message);
    ws_utf8_scrub(text);
    s = json_string(text);
    free(text);
    return s;
}

static void send_error(struct proto_client *pc, const char *code, const char *message)
{
    send_json(pc, "error",
              json_pack("{s:s, s:o}", "code", code, "message", proto_error_text(message)));
}

void proto_client_init(struct proto_client *pc, const struct ctx *ctx, const struct proto_ops *ops,
                       void *transport, int64_t now_ms)
{
    pc->ops = ops;
    pc->transport = transport;
    pc->was_live = false;
    ratelimit_init(&pc->rate, ctx->conf->max_messages_per_second, now_ms);
}

/* Token bucket per client: the first refused message gets rate_limited; a
 * client that sends another second's worth regardless is closed (1008). */
static int rate_limit(struct ctx *ctx, struct proto_client *pc, int64_t now_ms)
{
    int rate = ctx->conf->max_messages_per_second;
    if (ratelimit_take(&pc->rate, rate, now_ms))
        return CP_OK;
    ctx->counters.rate_limited++;
    if (pc->rate.rejected == 1)
        send_error(pc, "rate_limited", "too many messages; slow down");
    return pc->rate.rejected > (unsigned)rate ? CP_EPROTO : CP_EAGAIN;
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

/* The latest prices of symbols as a price-update-bulk; none before the
 * feed has any (the first tick brings them), rather than an empty one. */
static bool names_all(const json_t *symbols)
{
    size_t i;
    json_t *s;
    json_array_foreach(symbols, i, s) if (strcmp(json_string_value(s), "*") == 0) return true;
    return false;
}

static void send_snapshot(struct ctx *ctx, struct proto_client *pc, const json_t *symbols)
{
    size_t len;
    if (names_all(symbols)) { /* the same for every client: built once per tick */
        const char *text = hub_snapshot_all_text(ctx->hub, &len);
        if (text)
            pc->ops->send(pc->transport, "price-update-bulk", text);
        return;
    }
    if (json_array_size(symbols) == 1) { /* as common: shared too */
        const char *text =
            hub_snapshot_one_text(ctx->hub, json_string_value(json_array_get(symbols, 0)), &len);
        if (text)
            pc->ops->send(pc->transport, "price-update-bulk", text);
        return;
    }
    json_t *snap = hub_snapshot(ctx->hub, symbols);
    if (json_array_size(json_object_get(snap, "prices")) == 0) {
        json_decref(snap);
        return;
    }
    send_json(pc, "price-update-bulk", snap);
}

static void unknown_symbols_error(struct proto_client *pc, json_t *unknown)
{
    char *list = json_dumps(unknown, JSON_COMPACT);
    char message[512];
    snprintf(message, sizeof message, "not carried by this feed: %s", list);
    send_error(pc, "unknown_symbol", message);
    free(list);
}

static void on_subscribe(struct ctx *ctx, struct proto_client *pc, json_t *data, bool add)
{
    json_t *syms = symbols_of(data);
    if (!syms) {
        send_error(pc, "bad_request", "data.symbols must be a non-empty array of strings");
        return;
    }
    /* Already receiving live ticks (it has every tick of its symbols), or
     * being resumed: the replay, then the live ticks, bring what it adds.
     * A connection that was live and has unsubscribed from everything holds
     * ticks newer than any since it could send: it counts as live too. */
    bool replaying = pc->sub.replaying;
    bool live = pc->was_live || pc->sub.n_members > 0 || replaying;
    json_t *added = json_array(), *unknown = json_array();
    size_t i, refused = 0;
    json_t *s;
    json_array_foreach(syms, i, s)
    {
        const char *sym = json_string_value(s);
        int rc;
        if (!add)
            rc = hub_unsubscribe(ctx->hub, &pc->sub, sym);
        else if (pc->sub.n_members >= (size_t)ctx->conf->max_subscriptions &&
                 !hub_client_has(&pc->sub, sym))
            rc = 0, refused++;
        else
            rc = hub_subscribe(ctx->hub, &pc->sub, sym);
        if (rc == 1 && add)
            json_array_append(added, s);
        else if (rc < 0)
            json_array_append(unknown, s);
    }
    if (json_array_size(unknown))
        unknown_symbols_error(pc, unknown);
    if (refused) {
        char message[128];
        snprintf(message, sizeof message, "at most %d subscriptions per client; %zu refused",
                 ctx->conf->max_subscriptions, refused);
        send_error(pc, "too_many_subscriptions", message);
    }
    /* Most clients hold one subscription: its text needs no JSON built. */
    const char *only = hub_client_only_symbol(&pc->sub);
    if (only && strcmp(only, "*") == 0) {
        pc->ops->send(pc->transport, "subscribed", "{\"symbols\":[\"*\"]}");
    } else if (only) {
        char text[64];
        snprintf(text, sizeof text, "{\"symbols\":[\"%s\"]}", only);
        pc->ops->send(pc->transport, "subscribed", text);
    } else
        send_json(pc, "subscribed", json_pack("{s:o}", "symbols", hub_client_symbols(&pc->sub)));
    /* "since": the tick id the client last saw, as SSE's Last-Event-ID.  It
     * resumes a new connection; on one that is already live, replaying
     * history would send its symbols' ticks a second time and out of order,
     * so there it is ignored and the added symbols get the snapshot.  While
     * a resume replays, a second one would send its ticks twice, and a
     * snapshot would come before the older ticks the replay still sends:
     * neither is sent, and the replay covers the added symbols from where
     * it is. */
    const char *since = add && !live ? json_string_value(json_object_get(data, "since")) : NULL;
    if (pc->sub.n_members > 0)
        pc->was_live = true;
    if (since)
        pc->ops->resume(pc->transport, since);
    else if (json_array_size(added) && !replaying)
        send_snapshot(ctx, pc, added);
    json_decref(added);
    json_decref(unknown);
}

static void on_ping(struct ctx *ctx, struct proto_client *pc, json_t *data)
{
    json_t *id = json_object_get(data, "id"), *ts = json_object_get(data, "ts");
    if (!json_is_object(data) || !json_is_number(id) || !json_is_number(ts)) {
        send_error(pc, "bad_request", "ping needs data {\"id\":<int>,\"ts\":<ms>}");
        return;
    }
    send_json(
        pc, "pong",
        json_pack("{s:O, s:O, s:I}", "id", id, "ts", ts, "server_ts", (json_int_t)price_now_ms()));
}

/* The text of a history parameter for candles_query_check(): a string as it
 * is, a whole number written into buf (len bytes), NULL when absent or null,
 * and "" (which the check refuses, naming the parameter) for anything else. */
static const char *param_text(json_t *data, const char *name, char *buf, size_t len)
{
    json_t *v = json_object_get(data, name);
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return json_string_value(v);
    if (!json_is_integer(v))
        return "";
    snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return buf;
}

/* The old points form, {"symbol":"BTC","limit":60}: limit a JSON integer. */
static int points_query(json_t *data, const char *symbol, struct history_query *hq, char *err,
                        size_t errlen)
{
    json_t *lim = json_object_get(data, "limit");
    char text[32];
    if (lim && !json_is_integer(lim)) {
        snprintf(err, errlen, "limit must be a whole number");
        return CP_EINVAL;
    }
    snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, lim ? json_integer_value(lim) : 0);
    if (history_check(symbol, lim ? text : NULL, &hq->limit, err, errlen) != CP_OK)
        return CP_EINVAL;
    snprintf(hq->q.symbol, sizeof hq->q.symbol, "%s", symbol);
    return CP_OK;
}

/* {"symbol":"BTC","interval":"1h","from":..,"to":..,"limit":..} (candles),
 * or {"symbol":"BTC","limit":60} (points) → the history operation; the
 * answer comes later. */
static void on_history(struct ctx *ctx, struct proto_client *pc, json_t *data)
{
    const char *symbol = json_string_value(json_object_get(data, "symbol"));
    char bufs[4][32], err[128];
    struct history_query hq = {0};
    int rc = candles_query_check(symbol, param_text(data, "interval", bufs[0], sizeof bufs[0]),
                                 param_text(data, "from", bufs[1], sizeof bufs[1]),
                                 param_text(data, "to", bufs[2], sizeof bufs[2]),
                                 param_text(data, "limit", bufs[3], sizeof bufs[3]), &hq.q, err,
                                 sizeof err);
    if (rc == CP_ENOENT)
        rc = points_query(data, symbol, &hq, err, sizeof err);
    else
        hq.candles = rc == CP_OK;
    if (rc != CP_OK)
        send_error(pc, "bad_request", err);
    else if (!hub_symbol_known(ctx->hub, symbol))
        send_error(pc, "unknown_symbol", symbol);
    else
        pc->ops->history(pc->transport, &hq);
}

int proto_admit(struct ctx *ctx, struct proto_client *pc, int64_t now_ms)
{
    return rate_limit(ctx, pc, now_ms);
}

void proto_event(struct ctx *ctx, struct proto_client *pc, const char *event, json_t *data)
{
    if (strcmp(event, "subscribe") == 0 || strcmp(event, "unsubscribe") == 0)
        on_subscribe(ctx, pc, data, event[0] == 's');
    else if (strcmp(event, "ping") == 0)
        on_ping(ctx, pc, data);
    else if (strcmp(event, "history") == 0)
        on_history(ctx, pc, data);
    else
        send_error(pc, "unknown_event", event);
}

void proto_error(struct proto_client *pc, const char *code, const char *message)
{
    send_error(pc, code, message);
}

int proto_handle(struct ctx *ctx, struct proto_client *pc, const char *text, size_t len,
                 int64_t now_ms)
{
    int rc = proto_admit(ctx, pc, now_ms);
    if (rc != CP_OK)
        return rc == CP_EPROTO ? CP_EPROTO : CP_OK;
    json_error_t jerr;
    json_t *msg = json_loadb(text, len, 0, &jerr);
    if (!msg) {
        send_error(pc, "bad_json", jerr.text);
        return CP_OK;
    }
    const char *event = json_string_value(json_object_get(msg, "event"));
    if (!json_is_object(msg) || !event)
        send_error(pc, "bad_request", "expected {\"event\":NAME,\"data\":...}");
    else
        proto_event(ctx, pc, event, json_object_get(msg, "data"));
    json_decref(msg);
    return CP_OK;
}
