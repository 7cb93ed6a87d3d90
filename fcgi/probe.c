#include "config.h"

#include "probe.h"

#include "cp_error.h"
#include "keys.h"
#include "log.h"
#include "outage.h"
#include "redis_sync.h"
#include "sentinel.h"
#include "xalloc.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct probe {
    const struct cp_conf *conf;
    redisContext *ctx;                /* NULL while disconnected */
    char version[HEALTH_VERSION_MAX]; /* of the current connection */
    char heartbeat_key[KEYS_MAX];
    char stats_index_key[KEYS_MAX];
    char history_key[KEYS_MAX];
    char symbols_key[KEYS_MAX];
    char sources_key[KEYS_MAX];
    json_t *sources;      /* the last source state read, lent to health_probe */
    struct outage outage; /* for the log: one warning per outage, not per request */
};

struct probe *probe_new(const struct cp_conf *conf)
{
    struct probe *pr = xcalloc(1, sizeof *pr);
    pr->conf = conf;
    /* A CGI process lives for one request: "connected" would be a line per
     * request.  Only failures and recoveries are logged. */
    pr->outage.ever_up = true;
    const char *prefix = conf->redis_prefix;
    if (keys_format(pr->heartbeat_key, sizeof pr->heartbeat_key, prefix, KEYS_HEARTBEAT, NULL) <
            0 ||
        keys_format(pr->stats_index_key, KEYS_MAX, prefix, KEYS_STATS_INDEX, NULL) < 0 ||
        keys_format(pr->history_key, KEYS_MAX, prefix, KEYS_HISTORY, NULL) < 0 ||
        keys_format(pr->symbols_key, KEYS_MAX, prefix, KEYS_SYMBOLS, NULL) < 0 ||
        keys_format(pr->sources_key, KEYS_MAX, prefix, KEYS_SOURCES, NULL) < 0)
        abort(); /* conf limits REDIS_PREFIX so that every key fits in KEYS_MAX */
    return pr;
}

static void disconnect(struct probe *pr)
{
    if (pr->ctx)
        redisFree(pr->ctx);
    pr->ctx = NULL;
    pr->version[0] = '\0';
}

void probe_free(struct probe *pr)
{
    if (!pr)
        return;
    disconnect(pr);
    json_decref(pr->sources);
    free(pr);
}

/* Run one command.  Returns the reply (caller frees), or NULL with the reason
 * in err: an error reply keeps the connection, a broken one is closed. */
static redisReply *command(struct probe *pr, char *err, size_t len, const char *fmt, ...)
{
    if (!pr->ctx) { /* an earlier command lost the connection */
        snprintf(err, len, "not connected");
        return NULL;
    }
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(pr->ctx, fmt, ap);
    va_end(ap);
    if (!r) {
        snprintf(err, len, "%s", pr->ctx->errstr[0] ? pr->ctx->errstr : "connection lost");
        disconnect(pr);
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, len, "%.*s", (int)r->len, r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

/* INFO server holds "redis_version:7.0.15\r\n" among its lines. */
static void read_version(struct probe *pr)
{
    char err[HEALTH_ERROR_MAX];
    redisReply *r = command(pr, err, sizeof err, "INFO server");
    if (!r)
        return;
    const char *v = r->type == REDIS_REPLY_STRING ? strstr(r->str, "redis_version:") : NULL;
    if (v) {
        v += strlen("redis_version:");
        snprintf(pr->version, sizeof pr->version, "%.*s", (int)strcspn(v, "\r\n"), v);
    }
    freeReplyObject(r);
}

static bool connect_redis(struct probe *pr, char *err, size_t len)
{
    const struct cp_conf *conf = pr->conf;
    char host[CONF_STR_MAX];
    int port;
    char what[CONF_STR_MAX + 16];
    if (sentinel_redis_addr(conf, host, sizeof host, &port) != CP_OK) {
        snprintf(err, len, "no Sentinel of %.80s knows the master", conf->redis_sentinels);
        snprintf(what, sizeof what, "redis master %.64s", conf->redis_master_name);
        outage_fail(&pr->outage, what, err, outage_clock_ms());
        return false;
    }
    snprintf(what, sizeof what, "redis %.200s:%d", host, port);
    const char *step;
    char why[HEALTH_ERROR_MAX];
    pr->ctx = redis_sync_open(conf, host, port, &step, why, sizeof why);
    if (!pr->ctx) {
        char reason[HEALTH_ERROR_MAX];
        snprintf(reason, sizeof reason, "%s: %.80s", step, why);
        snprintf(err, len, "%.64s:%d: %s", host, port, reason);
        outage_fail(&pr->outage, what, reason, outage_clock_ms());
        return false;
    }
    read_version(pr);
    /* A Redis that accepts but never answers times INFO out, which drops
     * the connection: report it rather than use a freed context. */
    if (!pr->ctx) {
        snprintf(err, len, "Redis did not answer");
        return false;
    }
    log_debug("connected to Redis %s:%d (version %s)", host, port,
              pr->version[0] ? pr->version : "unknown");
    outage_ok(&pr->outage, what, outage_clock_ms());
    return true;
}

static double monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* PING on a live connection, reconnecting once if a reused one is broken. */
static bool ping(struct probe *pr, struct health_probe *out)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = pr->ctx != NULL;
        if (!reused && !connect_redis(pr, out->error, sizeof out->error))
            return false;
        double t0 = monotonic_ms();
        redisReply *r = command(pr, out->error, sizeof out->error, "PING");
        if (r) {
            out->latency_ms = monotonic_ms() - t0;
            freeReplyObject(r);
            return true;
        }
        if (pr->ctx) /* an error reply (e.g. LOADING): Redis is up but unusable */
            return false;
        if (!reused)
            return false;
        log_debug("Redis connection lost (%s); reconnecting", out->error);
    }
    return false;
}

static void read_heartbeat(struct probe *pr, struct health_probe *out)
{
    redisReply *r = command(pr, out->error, sizeof out->error, "GET %s", pr->heartbeat_key);
    if (!r)
        return;
    if (r->type == REDIS_REPLY_STRING) {
        char *end;
        errno = 0;
        long long v = strtoll(r->str, &end, 10);
        if (errno == 0 && end != r->str && *end == '\0' && v > 0) {
            out->tick_found = true;
            out->last_tick_ms = (int64_t)v;
        } else {
            snprintf(out->error, sizeof out->error, "%.100s does not hold a ms timestamp",
                     pr->heartbeat_key);
        }
    }
    freeReplyObject(r);
}

/* The live feed's source state, when the feeder writes one. */
void probe_sources(struct probe *pr, struct health_probe *out)
{
    char err[HEALTH_ERROR_MAX];
    json_decref(pr->sources);
    pr->sources = NULL;
    redisReply *r = command(pr, err, sizeof err, "GET %s", pr->sources_key);
    if (r && r->type == REDIS_REPLY_STRING)
        pr->sources = json_loadb(r->str, r->len, 0, NULL);
    if (r)
        freeReplyObject(r);
    if (pr->sources && !json_is_object(pr->sources)) {
        json_decref(pr->sources);
        pr->sources = NULL;
    }
    out->sources = pr->sources;
}

void probe_run(struct probe *pr, struct health_probe *out)
{
    memset(out, 0, sizeof *out);
    out->latency_ms = -1;
    out->ticks = -1; /* only the gateway counts the ticks it receives */
    json_decref(pr->sources);
    pr->sources = NULL;
    if (!ping(pr, out))
        return;
    out->connected = true;
    snprintf(out->version, sizeof out->version, "%s", pr->version);
    read_heartbeat(pr, out);
    if (pr->ctx)
        probe_sources(pr, out);
}

/* ---- /stats and /history ------------------------------------------------- */

/* Like command(), connecting first when needed; a reused connection found
 * broken (Redis restarted, or dropped an idle client) is replaced once. */
static redisReply *query(struct probe *pr, char *err, size_t len, const char *fmt, ...)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = pr->ctx != NULL;
        if (!reused && !connect_redis(pr, err, len))
            return NULL;
        va_list ap;
        va_start(ap, fmt);
        redisReply *r = redisvCommand(pr->ctx, fmt, ap);
        va_end(ap);
        if (r && r->type == REDIS_REPLY_ERROR) {
            snprintf(err, len, "%.*s", (int)r->len, r->str);
            freeReplyObject(r);
            return NULL;
        }
        if (r)
            return r;
        snprintf(err, len, "%s", pr->ctx->errstr[0] ? pr->ctx->errstr : "connection lost");
        disconnect(pr);
        if (!reused)
            return NULL;
        log_debug("Redis connection lost (%s); reconnecting", err);
    }
    return NULL;
}

static void strings_add(struct probe_strings *s, const redisReply *str)
{
    s->texts = xrealloc(s->texts, (s->n + 1) * sizeof *s->texts);
    s->lens = xrealloc(s->lens, (s->n + 1) * sizeof *s->lens);
    bool ok = str && str->type == REDIS_REPLY_STRING;
    s->texts[s->n] = ok ? xmalloc(str->len + 1) : NULL;
    s->lens[s->n] = ok ? str->len : 0;
    if (ok) {
        memcpy(s->texts[s->n], str->str, str->len);
        s->texts[s->n][str->len] = '\0';
    }
    s->n++;
}

void probe_strings_free(struct probe_strings *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->texts[i]);
    free(s->texts);
    free(s->lens);
    memset(s, 0, sizeof *s);
}

int probe_stats(struct probe *pr, int64_t since_ms, struct probe_strings *out, char *err,
                size_t errlen)
{
    static const char script[] =
        "local k = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf') "
        "if #k == 0 then return {} end return redis.call('MGET', unpack(k))";
    memset(out, 0, sizeof *out);
    redisReply *r = query(pr, err, errlen, "EVAL %s 1 %s %lld", script, pr->stats_index_key,
                          (long long)since_ms);
    if (!r)
        return CP_EIO;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        strings_add(out, r->element[i]);
    freeReplyObject(r);
    return CP_OK;
}

/* The value of field name in a stream entry [id, [field, value, ...]]. */
static const redisReply *entry_field(const redisReply *e, const char *name)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[1]->type != REDIS_REPLY_ARRAY)
        return NULL;
    const redisReply *f = e->element[1];
    for (size_t i = 0; i + 1 < f->elements; i += 2)
        if (f->element[i]->type == REDIS_REPLY_STRING && strcmp(f->element[i]->str, name) == 0)
            return f->element[i + 1];
    return NULL;
}

int probe_history(struct probe *pr, int count, struct probe_strings *out, char **symbols, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    *symbols = NULL;
    redisReply *r = query(pr, err, errlen, "GET %s", pr->symbols_key);
    if (!r)
        return CP_EIO;
    *symbols = xstrdup(r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    r = query(pr, err, errlen, "XREVRANGE %s + - COUNT %d", pr->history_key, count);
    if (!r) {
        free(*symbols);
        *symbols = NULL;
        return CP_EIO;
    }
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        strings_add(out, entry_field(r->element[i], "tick"));
    freeReplyObject(r);
    return CP_OK;
}

void probe_candles_free(struct probe_candles *c)
{
    probe_strings_free(&c->members);
    free(c->newest);
    free(c->symbols);
    memset(c, 0, sizeof *c);
}

/* The next reply of a pipeline, or NULL with the reason in err: a broken
 * connection is closed, an error reply freed. */
static redisReply *next_reply(struct probe *pr, char *err, size_t len)
{
    void *reply = NULL;
    if (redisGetReply(pr->ctx, &reply) != REDIS_OK || !reply) {
        snprintf(err, len, "%s", pr->ctx->errstr[0] ? pr->ctx->errstr : "connection lost");
        disconnect(pr);
        return NULL;
    }
    redisReply *r = reply;
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, len, "%.*s", (int)r->len, r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int probe_candles(struct probe *pr, const struct candles_query *q, struct probe_candles *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char key[KEYS_MAX], min[24], max[24];
    if (candles_key(key, sizeof key, pr->conf->redis_prefix, q->symbol, q->interval) < 0) {
        snprintf(err, errlen, "key too long");
        return CP_EIO;
    }
    candles_query_range(q, min, max, &out->reverse);
    /* The GET also (re)connects, so the pipeline goes to a live connection. */
    redisReply *r = query(pr, err, errlen, "GET %s", pr->symbols_key);
    if (!r)
        return CP_EIO;
    out->symbols = xstrdup(r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    /* The newest first: a candle closing between the two reads can only
     * make the answer look less cacheable, never more. */
    redisAppendCommand(pr->ctx, "ZRANGE %s -1 -1", key);
    if (out->reverse)
        redisAppendCommand(pr->ctx, "ZREVRANGEBYSCORE %s %s %s LIMIT 0 %d", key, max, min,
                           q->limit);
    else
        redisAppendCommand(pr->ctx, "ZRANGEBYSCORE %s %s %s LIMIT 0 %d", key, min, max, q->limit);
    redisReply *newest = next_reply(pr, err, errlen);
    redisReply *range = pr->ctx ? next_reply(pr, err, errlen) : NULL;
    bool ok =
        newest && range && newest->type == REDIS_REPLY_ARRAY && range->type == REDIS_REPLY_ARRAY;
    if (ok && newest->elements > 0 && newest->element[0]->type == REDIS_REPLY_STRING) {
        out->newest = xmalloc(newest->element[0]->len + 1);
        memcpy(out->newest, newest->element[0]->str, newest->element[0]->len + 1);
        out->newest_len = newest->element[0]->len;
    }
    for (size_t i = 0; ok && i < range->elements; i++)
        if (range->element[i]->type == REDIS_REPLY_STRING)
            strings_add(&out->members, range->element[i]);
    if (newest)
        freeReplyObject(newest);
    if (range)
        freeReplyObject(range);
    if (!ok) {
        if (newest && range)
            snprintf(err, errlen, "unexpected reply to ZRANGE");
        probe_candles_free(out);
        return CP_EIO;
    }
    return CP_OK;
}
