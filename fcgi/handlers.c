/* handlers: each request's answer; the JSON comes from lib/ (health,
 * metrics, history), Redis from probe.c, the bytes from reply.c. */
#include "config.h"

#include "handlers.h"

#include "candles.h"
#include "cp_error.h"
#include "etag.h"
#include "health.h"
#include "history.h"
#include "log.h"
#include "metrics.h"
#include "price.h"
#include "reply.h"
#include "urlcode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void handlers_init(struct handlers_state *h, const struct cp_conf *conf, struct probe *probe)
{
    h->conf = conf;
    h->probe = probe;
    h->last_status = -1;
    h->redis_failed = false;
}

char *handlers_error(int status, const char *allow, const char *code, const char *msg, bool head,
                     size_t *len)
{
    char *body = reply_error_body(code, msg);
    char *out = reply_format(status, allow, body, head, len);
    free(body);
    return out;
}

static char *respond_health(struct handlers_state *h, bool head, size_t *len)
{
    struct health_probe p;
    probe_run(h->probe, &p);
    int status = 500;
    json_t *obj = health_to_json(&p, price_now_ms(), h->conf->update_interval_ms, &status);
    char *body = reply_json(obj);
    json_decref(obj);
    if (!body) {
        log_error("cannot encode the /health JSON");
        return handlers_error(500, NULL, "internal", "cannot encode the answer", head, len);
    }
    if (status != h->last_status) {
        enum log_level lvl = status == 200 ? LOG_INFO : LOG_WARN;
        log_msg(h->last_status < 0 && status == 200 ? LOG_DEBUG : lvl, "health %d: %s", status,
                body);
        h->last_status = status;
    }
    char *out = reply_format(status, NULL, body, head, len);
    free(body);
    return out;
}

/* 503 when Redis cannot be read, logged when it starts failing, not per
 * request; message as the gateway words it (docs/PROTOCOL.md §1). */
static char *respond_unavailable(struct handlers_state *h, const char *err, const char *message,
                                 bool head, size_t *len)
{
    if (!h->redis_failed)
        log_warn("Redis unreachable: %s", err);
    h->redis_failed = true;
    return handlers_error(503, NULL, "unavailable", message, head, len);
}

#define HISTORY_UNAVAILABLE "history is unavailable: Redis is unreachable"

static void redis_answered(struct handlers_state *h)
{
    if (h->redis_failed)
        log_info("Redis answers again");
    h->redis_failed = false;
}

static char *respond_json(int status, json_t *obj, bool head, size_t *len)
{
    char *body = reply_json(obj);
    json_decref(obj);
    if (!body)
        return handlers_error(500, NULL, "internal", "cannot encode the answer", head, len);
    char *out = reply_format(status, NULL, body, head, len);
    free(body);
    return out;
}

/* The totals of every gateway worker whose counters are fresh in Redis, as
 * the gateway's own /stats sums them (README.md, Scaling). */
static char *respond_stats(struct handlers_state *h, bool head, size_t *len)
{
    struct probe_strings s;
    char err[HEALTH_ERROR_MAX];
    int64_t since = price_now_ms() - metrics_ttl_ms(h->conf->stats_interval_ms);
    if (probe_stats(h->probe, since, &s, err, sizeof err) != CP_OK)
        return respond_unavailable(h, err, "Redis is unreachable", head, len);
    redis_answered(h);
    json_t *workers = metrics_workers((const char *const *)s.texts, s.lens, s.n);
    probe_strings_free(&s);
    json_t *total = metrics_merge(workers);
    json_decref(workers);
    struct health_probe hp = {0};
    probe_sources(h->probe, &hp); /* the live feed's sources, as /health shows them */
    json_t *sources = health_sources(&hp);
    if (sources)
        json_object_set_new(total, "sources", sources);
    return respond_json(200, total, head, len);
}

/* The candles of q as the gateway answers them: a closed range with its
 * ETag and Cache-Control: public, max-age (304 when if_none_match names
 * the tag), anything else Cache-Control: no-cache. */
static char *respond_candles(struct handlers_state *h, const struct candles_query *q,
                             const char *if_none_match, bool head, size_t *len)
{
    struct probe_candles pc;
    char err[HEALTH_ERROR_MAX];
    if (probe_candles(h->probe, q, &pc, err, sizeof err) != CP_OK)
        return respond_unavailable(h, err, HISTORY_UNAVAILABLE, head, len);
    redis_answered(h);
    if (!history_symbol_listed(pc.symbols, q->symbol)) {
        probe_candles_free(&pc);
        return handlers_error(400, NULL, "unknown_symbol", "not carried by this feed", head, len);
    }
    bool cacheable;
    size_t blen;
    char *body =
        candles_response(q, (const char *const *)pc.members.texts, pc.members.lens, pc.members.n,
                         pc.reverse, pc.newest, pc.newest_len, &cacheable, &blen);
    probe_candles_free(&pc);
    char etag[ETAG_MAX], cache[48];
    int status = 200;
    if (cacheable) {
        etag_format(body, blen, NULL, etag);
        snprintf(cache, sizeof cache, "public, max-age=%d", CANDLES_CACHE_MAX_AGE);
        if (if_none_match && etag_matches(if_none_match, etag))
            status = 304;
    }
    char *out = reply_format_cached(status, body, blen, cacheable ? cache : "no-cache",
                                    cacheable ? etag : NULL, head, len);
    free(body);
    return out;
}

/* GET /history?symbol=BTC&interval=1h&from=&to=&limit= (candles), or
 * ?symbol=BTC&limit=60 (points), checked as the gateway checks it. */
static char *respond_history(struct handlers_state *h, const struct route_vars *v, bool head,
                             size_t *len)
{
    char err[HEALTH_ERROR_MAX];
    struct history_query hq;
    if (history_query_parse(v->query, &hq, err, sizeof err) != CP_OK)
        return handlers_error(400, NULL, "bad_request", err, head, len);
    if (hq.candles) {
        hq.q.retention_ms = 86400000LL * h->conf->candle_retention_days[hq.q.interval];
        return respond_candles(h, &hq.q, v->if_none_match, head, len);
    }
    const char *symbol = hq.q.symbol;
    int n = hq.limit;
    struct probe_strings s;
    char *symbols;
    if (probe_history(h->probe, history_ticks_for(n), &s, &symbols, err, sizeof err) != CP_OK)
        return respond_unavailable(h, err, HISTORY_UNAVAILABLE, head, len);
    redis_answered(h);
    bool listed = history_symbol_listed(symbols, symbol);
    free(symbols);
    json_t *obj =
        listed ? history_points(symbol, (const char *const *)s.texts, s.lens, s.n, n) : NULL;
    probe_strings_free(&s);
    if (!listed)
        return handlers_error(400, NULL, "unknown_symbol", "not carried by this feed", head, len);
    return respond_json(200, obj, head, len);
}

char *handlers_answer(struct handlers_state *h, const struct route_vars *v, size_t *len)
{
    bool head = v->method && strcmp(v->method, "HEAD") == 0;
    switch (route_request(v)) {
    case ROUTE_HEALTH: return respond_health(h, head, len);
    case ROUTE_STATS: return respond_stats(h, head, len);
    case ROUTE_HISTORY: return respond_history(h, v, head, len);
    case ROUTE_BAD_METHOD:
        return handlers_error(405, ROUTE_ALLOW, "method_not_allowed",
                              "only GET and HEAD are allowed", head, len);
    case ROUTE_NOT_FOUND: break;
    }
    return handlers_error(404, NULL, "not_found",
                          "no such resource; try /health, /stats or /history", head, len);
}
