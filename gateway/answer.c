#include "config.h"

#include "answer.h"

#include "cp_error.h"
#include "history.h"
#include "keys.h"
#include "metrics.h"
#include "price.h"
#include "stats.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct history_req {
    struct conn *c;
    char symbol[PRICE_SYMBOL_MAX];
    int limit;
};

/* Answer a history request; resume: go on with pipelined HTTP requests
 * (false when called from inside request parsing, which goes on by itself). */
static void reply_history(struct history_req *h, bool ok, const char *const *ticks,
                          const size_t *lens, size_t n, bool resume)
{
    struct conn *c = h->c;
    if (c->kind == CONN_WS && ok) {
        json_t *j = history_points(h->symbol, ticks, lens, n, h->limit);
        char *text = json_dumps(j, PRICE_JSON_FLAGS);
        conn_ws_send(c, "history", text);
        free(text);
        json_decref(j);
    } else if (c->kind == CONN_WS) {
        conn_ws_send(c, "error",
                     "{\"code\":\"unavailable\",\"message\":\"history is "
                     "unavailable: Redis is unreachable\"}");
    } else {
        if (ok)
            conn_respond_json(c, 200, history_points(h->symbol, ticks, lens, n, h->limit));
        else
            conn_respond_error(c, 503, "unavailable",
                               "history is unavailable: Redis is unreachable", NULL);
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

void answer_history(struct conn *c, const char *symbol, int limit)
{
    struct history_req *h = xcalloc(1, sizeof *h);
    h->c = c;
    snprintf(h->symbol, sizeof h->symbol, "%s", symbol);
    h->limit = limit;
    if (rdb_history(c->ctx->rdb, history_ticks_for(limit), on_history_read, h) != CP_OK)
        reply_history(h, false, NULL, NULL, 0, false);
    else
        conn_await(c);
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
