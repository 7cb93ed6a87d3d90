#include "config.h"

#include "answer.h"

#include "candles.h"
#include "cp_error.h"
#include "etag.h"
#include "history.h"
#include "http.h"
#include "keys.h"
#include "metrics.h"
#include "price.h"
#include "stats.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_UNAVAILABLE "history is unavailable: Redis is unreachable"
#define ANSWER_UNAVAILABLE_JSON "{\"code\":\"unavailable\",\"message\":\"" ANSWER_UNAVAILABLE "\"}"

struct history_req {
    struct conn *c;
    struct history_query hq;
};

/* Answer a history request; resume: go on with pipelined HTTP requests
 * (false when called from inside request parsing, which goes on by itself). */
static void reply_history(struct history_req *h, bool ok, const char *const *ticks,
                          const size_t *lens, size_t n, bool resume)
{
    struct conn *c = h->c;
    const char *symbol = h->hq.q.symbol;
    if (c->kind == CONN_WS && ok) {
        json_t *j = history_points(symbol, ticks, lens, n, h->hq.limit);
        char *text = json_dumps(j, PRICE_JSON_FLAGS);
        conn_ws_send(c, "history", text);
        free(text);
        json_decref(j);
    } else if (c->kind == CONN_WS) {
        conn_ws_send(c, "error", ANSWER_UNAVAILABLE_JSON);
    } else {
        if (ok)
            conn_respond_json(c, 200, history_points(symbol, ticks, lens, n, h->hq.limit));
        else
            conn_respond_error(c, 503, "unavailable", ANSWER_UNAVAILABLE, NULL);
        if (resume)
            conn_answered(c);
    }
    free(h);
}

static void on_history_read(bool ok, const char *const *ticks, const size_t *lens, size_t n,
                            void *arg)
{
    struct history_req *h = arg;
    if (conn_answer_arrived(h->c))
        reply_history(h, ok, ticks, lens, n, true);
    else
        free(h);
}

/* The HTTP answer of a candles body: cacheable ones with their ETag, and
 * 304 when the request's If-None-Match names it (docs/PROTOCOL.md §1). */
static void respond_candles(struct conn *c, const char *body, size_t len, bool cacheable)
{
    if (!cacheable) {
        conn_respond_cached(c, 200, "application/json", body, len, "no-cache", NULL, NULL);
        return;
    }
    char etag[ETAG_MAX], cache[48];
    etag_format(body, len, NULL, etag);
    snprintf(cache, sizeof cache, "public, max-age=%d", CANDLES_CACHE_MAX_AGE);
    const char *inm = c->req ? http_request_header(c->req, HTTP_H_IF_NONE_MATCH) : NULL;
    int status = inm && etag_matches(inm, etag) ? 304 : 200;
    conn_respond_cached(c, status, "application/json", body, len, cache, etag, NULL);
}

static void on_candles_read(bool ok, const char *const *members, const size_t *lens, size_t n,
                            bool reverse, const char *newest, size_t newest_len, void *arg)
{
    struct history_req *h = arg;
    struct conn *c = h->c;
    if (!conn_answer_arrived(c)) {
        free(h);
        return;
    }
    if (ok) {
        bool cacheable;
        size_t len;
        char *body = candles_response(&h->hq.q, members, lens, n, reverse, newest, newest_len,
                                      &cacheable, &len);
        if (c->kind == CONN_WS)
            conn_ws_send(c, "history", body);
        else
            respond_candles(c, body, len, cacheable);
        free(body);
    } else if (c->kind == CONN_WS) {
        conn_ws_send(c, "error", ANSWER_UNAVAILABLE_JSON);
    } else {
        conn_respond_error(c, 503, "unavailable", ANSWER_UNAVAILABLE, NULL);
    }
    if (c->kind != CONN_WS)
        conn_answered(c);
    free(h);
}

void answer_history(struct conn *c, const struct history_query *hq)
{
    struct history_req *h = xcalloc(1, sizeof *h);
    h->c = c;
    h->hq = *hq;
    int rc = hq->candles
                 ? rdb_candles(c->ctx->rdb, &hq->q, on_candles_read, h)
                 : rdb_history(c->ctx->rdb, history_ticks_for(hq->limit), on_history_read, h);
    if (rc == CP_OK)
        conn_await(c);
    else
        reply_history(h, false, NULL, NULL, 0, false);
}

/* ---- /stats and /metrics: every worker's counters ----------------------- */

struct stats_req {
    struct conn *c;
    bool prometheus;
};

/* This worker's counters, fresh, and the others' from Redis (ok false: Redis
 * could not be asked, so this worker's alone). */
static void reply_stats(struct stats_req *st, bool ok, const char *const *texts, const size_t *lens,
                        size_t n, bool resume)
{
    struct conn *c = st->c;
    json_t *workers = json_array();
    json_array_append_new(workers, stats_worker(c->ctx));
    for (size_t i = 0; i < n; i++) {
        json_t *w = json_loadb(texts[i], lens[i], 0, NULL);
        const char *inst = json_string_value(json_object_get(w, "instance"));
        bool self = inst && strcmp(inst, c->ctx->instance) == 0 &&
                    json_integer_value(json_object_get(w, "worker")) == c->ctx->worker;
        if (json_is_object(w) && !self)
            json_array_append(workers, w);
        json_decref(w);
    }
    if (st->prometheus) {
        char *text = metrics_prometheus(workers);
        conn_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text), NULL);
        free(text);
    } else {
        json_t *total = metrics_merge(workers);
        if (!ok)
            json_object_set_new(total, "partial", json_true());
        if (c->ctx->sources)
            json_object_set(total, "sources", json_object_get(c->ctx->sources, "sources"));
        conn_respond_json(c, 200, total);
    }
    json_decref(workers);
    free(st);
    if (resume)
        conn_answered(c);
}

static void on_stats_read(bool ok, const char *const *texts, const size_t *lens, size_t n,
                          void *arg)
{
    struct stats_req *st = arg;
    if (conn_answer_arrived(st->c))
        reply_stats(st, ok, texts, lens, n, true);
    else
        free(st);
}

void answer_stats(struct conn *c, bool prometheus)
{
    struct stats_req *st = xcalloc(1, sizeof *st);
    st->c = c;
    st->prometheus = prometheus;
    char index[KEYS_MAX];
    keys_format(index, sizeof index, c->ctx->conf->redis_prefix, KEYS_STATS_INDEX, NULL);
    int64_t since = price_now_ms() - stats_ttl_ms(c->ctx->conf);
    if (rdb_stats_read(c->ctx->rdb, index, since, on_stats_read, st) != CP_OK)
        reply_stats(st, false, NULL, NULL, 0, false);
    else
        conn_await(c);
}
