/* handlers: each request's answer; the JSON comes from lib/ (health,
 * metrics, history), Redis from probe.c, the bytes from reply.c. */
#include "config.h"

#include "handlers.h"

#include "cp_error.h"
#include "health.h"
#include "history.h"
#include "log.h"
#include "metrics.h"
#include "price.h"
#include "reply.h"
#include "urlcode.h"

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

/* 503 when Redis cannot be read, logged when it starts failing, not per request. */
static char *respond_unavailable(struct handlers_state *h, const char *err, bool head, size_t *len)
{
    if (!h->redis_failed)
        log_warn("Redis unreachable: %s", err);
    h->redis_failed = true;
    return handlers_error(503, NULL, "unavailable", "Redis is unreachable", head, len);
}

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
        return respond_unavailable(h, err, head, len);
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

/* GET /history?symbol=BTC&limit=60, checked as the gateway checks it. */
static char *respond_history(struct handlers_state *h, const char *query, bool head, size_t *len)
{
    char symbol[PRICE_SYMBOL_MAX + 1] = "", limit[16], err[HEALTH_ERROR_MAX];
    int n, lrc = urlcode_query_param(query, "limit", limit, sizeof limit);
    if (lrc != CP_OK)
        limit[0] = '\0'; /* too long or malformed: history_check refuses "" */
    if (urlcode_query_param(query, "symbol", symbol, sizeof symbol) != CP_OK)
        symbol[0] = '\0';
    if (history_check(symbol[0] ? symbol : NULL, lrc == CP_ENOENT ? NULL : limit, &n, err,
                      sizeof err) != CP_OK)
        return handlers_error(400, NULL, "bad_request", symbol[0] ? err : "symbol is required",
                              head, len);
    struct probe_strings s;
    char *symbols;
    if (probe_history(h->probe, history_ticks_for(n), &s, &symbols, err, sizeof err) != CP_OK)
        return respond_unavailable(h, err, head, len);
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
    case ROUTE_HISTORY: return respond_history(h, v->query, head, len);
    case ROUTE_BAD_METHOD:
        return handlers_error(405, ROUTE_ALLOW, "method_not_allowed",
                              "only GET and HEAD are allowed", head, len);
    case ROUTE_NOT_FOUND: break;
    }
    return handlers_error(404, NULL, "not_found",
                          "no such resource; try /health, /stats or /history", head, len);
}
