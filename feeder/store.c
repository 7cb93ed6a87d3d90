#include "config.h"

#include "store.h"
#include "store_private.h"

#include "cp_error.h"
#include "keys.h"
#include "sentinel.h"
#include "log.h"
#include "outage.h"
#include "redis_sync.h"
#include "xalloc.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STORE_BACKOFF_MIN_MS 100
#define STORE_BACKOFF_MAX_MS 5000

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct store *store_new(const struct cp_conf *conf)
{
    struct store *s = xcalloc(1, sizeof *s);
    s->conf = conf;
    s->backoff_ms = STORE_BACKOFF_MIN_MS;
    snprintf(s->addr, sizeof s->addr, "%s:%d", conf->redis_host, conf->redis_port);
    return s;
}

void store_free(struct store *s)
{
    if (!s)
        return;
    if (s->c)
        redisFree(s->c);
    free(s);
}

/* Close the connection (if any) after a failure and schedule the next attempt:
 * a dead Redis must not be hammered, and ticks are dropped meanwhile rather
 * than queued.  The log gets one warning per outage (outage.h), not one per
 * attempt. */
void store_fail(struct store *s, const char *what, const char *why)
{
    /* Never wait longer than a tick interval: ticks resume within two
     * intervals of Redis coming back. */
    int wait_ms =
        s->backoff_ms < s->conf->update_interval_ms ? s->backoff_ms : s->conf->update_interval_ms;
    char name[sizeof s->addr + 8], reason[256];
    snprintf(name, sizeof name, "redis %s", s->addr);
    snprintf(reason, sizeof reason, "%s: %s", what, why);
    log_debug("%s: %s; next attempt in %d ms", name, reason, wait_ms);
    outage_fail(&s->outage, name, reason, mono_ms());
    if (s->c)
        redisFree(s->c);
    s->c = NULL;
    s->retry_at = mono_ms() + wait_ms;
    s->backoff_ms =
        s->backoff_ms * 2 > STORE_BACKOFF_MAX_MS ? STORE_BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static int connect_now(struct store *s)
{
    const struct cp_conf *conf = s->conf;
    char host[CONF_STR_MAX];
    int port;
    if (sentinel_redis_addr(conf, host, sizeof host, &port) != CP_OK) {
        snprintf(s->addr, sizeof s->addr, "master %s", conf->redis_master_name);
        store_fail(s, "Sentinel", "no Sentinel knows the master");
        return CP_EIO;
    }
    snprintf(s->addr, sizeof s->addr, "%s:%d", host, port);
    const char *step;
    char why[256];
    s->c = redis_sync_open(conf, host, port, &step, why, sizeof why);
    if (!s->c) {
        store_fail(s, step, why);
        return CP_EIO;
    }
    char name[sizeof s->addr + 24];
    snprintf(name, sizeof name, "redis %s db %d", s->addr, conf->redis_db);
    outage_ok(&s->outage, name, mono_ms());
    s->backoff_ms = STORE_BACKOFF_MIN_MS;
    return CP_OK;
}

int store_ensure(struct store *s, bool *fresh)
{
    *fresh = false;
    if (s->c)
        return CP_OK;
    if (mono_ms() < s->retry_at)
        return CP_EAGAIN;
    if (connect_now(s) != CP_OK)
        return CP_EIO;
    *fresh = true;
    return CP_OK;
}

static int key(const struct store *s, char *buf, enum keys_kind kind, const char *symbol)
{
    return keys_format(buf, KEYS_MAX, s->conf->redis_prefix, kind, symbol);
}

/* Fill prices (room for max) from the tick JSON of a stream entry. */
static void parse_prices(const char *text, struct price *prices, size_t max, size_t *n)
{
    json_t *tick = json_loads(text, 0, NULL);
    json_t *objs = json_object_get(tick, "prices");
    char why[128];
    for (size_t i = 0; i < json_array_size(objs) && *n < max; i++)
        if (price_from_json(json_array_get(objs, i), &prices[*n], why, sizeof why) == CP_OK)
            (*n)++;
    json_decref(tick);
}

/* Read the id (and prices) of a stream entry [id, [field, value...]]. */
static int read_entry(const redisReply *e, struct tickid *out, struct price *prices, size_t max,
                      size_t *n)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
        e->element[0]->type != REDIS_REPLY_STRING || tickid_parse(e->element[0]->str, out) != CP_OK)
        return CP_EPROTO;
    const redisReply *f = e->elements > 1 ? e->element[1] : NULL;
    for (size_t i = 0; f && f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2)
        if (f->element[i]->type == REDIS_REPLY_STRING && strcmp(f->element[i]->str, "tick") == 0 &&
            f->element[i + 1]->type == REDIS_REPLY_STRING)
            parse_prices(f->element[i + 1]->str, prices, max, n);
    return CP_OK;
}

int store_last_tick(struct store *s, struct tickid *out, struct price *prices, size_t max,
                    size_t *n)
{
    char hkey[KEYS_MAX];
    *out = (struct tickid){0, 0};
    *n = 0;
    if (!s->c)
        return CP_EIO;
    key(s, hkey, KEYS_HISTORY, NULL);
    redisReply *r = redisCommand(s->c, "XREVRANGE %s + - COUNT 1", hkey);
    if (!r) {
        store_fail(s, "XREVRANGE", s->c->errstr);
        return CP_EIO;
    }
    int rc = CP_OK;
    if (r->type == REDIS_REPLY_ERROR) {
        log_warn("redis refused XREVRANGE %s: %s", hkey, r->str);
        rc = CP_EPROTO;
    } else if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
               read_entry(r->element[0], out, prices, max, n) != CP_OK) {
        log_warn("redis: unexpected XREVRANGE reply for %s", hkey);
        rc = CP_EPROTO;
    }
    freeReplyObject(r);
    return rc;
}

/* Entries per XRANGE of store_history(): a few hundred KB of reply. */
#define STORE_HISTORY_PAGE 500

/* One page of store_history() from start to end (ids); *last is the id of
 * its last entry, *got how many it held. */
static int history_page(struct store *s, const char *hkey, const char *start, const char *end,
                        struct price *prices, size_t max, store_tick_fn fn, void *ctx,
                        struct tickid *last, size_t *got)
{
    redisReply *r =
        redisCommand(s->c, "XRANGE %s %s %s COUNT %d", hkey, start, end, STORE_HISTORY_PAGE);
    if (!r) {
        store_fail(s, "XRANGE", s->c->errstr);
        return CP_EIO;
    }
    int rc = r->type == REDIS_REPLY_ARRAY ? CP_OK : CP_EPROTO;
    *got = rc == CP_OK ? r->elements : 0;
    for (size_t i = 0; i < *got && rc == CP_OK; i++) {
        size_t n = 0;
        rc = read_entry(r->element[i], last, prices, max, &n);
        if (rc == CP_OK)
            fn(ctx, prices, n);
    }
    if (rc != CP_OK)
        log_warn("redis: unexpected XRANGE reply for %s: %s", hkey,
                 r->type == REDIS_REPLY_ERROR ? r->str : "not a tick");
    freeReplyObject(r);
    return rc;
}

int store_history(struct store *s, int64_t from_ms, struct tickid upto, struct price *prices,
                  size_t max, store_tick_fn fn, void *ctx)
{
    char hkey[KEYS_MAX], start[48], end[48];
    if (!s->c)
        return CP_EIO;
    key(s, hkey, KEYS_HISTORY, NULL);
    snprintf(start, sizeof start, "%lld-0", (long long)(from_ms > 0 ? from_ms : 0));
    tickid_format(upto, end, sizeof end);
    for (;;) {
        struct tickid last;
        size_t got;
        int rc = history_page(s, hkey, start, end, prices, max, fn, ctx, &last, &got);
        if (rc != CP_OK || got < STORE_HISTORY_PAGE)
            return rc;
        last.seq++; /* the next page starts just after this one */
        tickid_format(last, start, sizeof start);
    }
}

/* One tick, atomically and only by the lease holder (the fail-over fence);
 * a lease that merely expired (a slow tick) and that nobody took is taken
 * back rather than dropping the tick:
 * KEYS = lease, history, heartbeat, symbols, price:<SYM>... (np of them),
 * candles:<SYM>:<iv>...;
 * ARGV = owner, lease ms, id, history length, tick JSON, channel, ts,
 * symbol list, price TTL, np, price JSON..., then per candle its open_ms,
 * member and trim bound ("(" open_ms - retention).  A tick without prices
 * only renews the lease and the heartbeat (and writes its candles, if any).
 * XADD comes first after the lease: an id not after the stream's newest
 * raises an error before anything is published or any candle written, so
 * a reader never sees a candle holding prices of a tick that is not in the
 * stream. */
static const char store_tick_lua[] =
    "local holder = redis.call('GET', KEYS[1])\n"
    "if holder and holder ~= ARGV[1] then return 0 end\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
    "local np = tonumber(ARGV[10])\n"
    "if np > 0 then\n"
    "  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], ARGV[3], 'tick', ARGV[5])\n"
    "  for i = 1, np do redis.call('SET', KEYS[4 + i], ARGV[10 + i], 'EX', ARGV[9]) end\n"
    "  redis.call('PUBLISH', ARGV[6], ARGV[5])\n"
    "end\n"
    "local a = 11 + np\n"
    "for k = 5 + np, #KEYS do\n"
    "  redis.call('ZREMRANGEBYSCORE', KEYS[k], ARGV[a], ARGV[a])\n"
    "  redis.call('ZADD', KEYS[k], ARGV[a], ARGV[a + 1])\n"
    "  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', ARGV[a + 2])\n"
    "  a = a + 3\n"
    "end\n"
    "redis.call('SET', KEYS[3], ARGV[7])\n"
    "redis.call('SET', KEYS[4], ARGV[8])\n"
    "return 1\n";

/* Take the lease if it is free, or keep it if it is ours. */
static const char store_acquire_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "  redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end\n"
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end\n"
    "return 0\n";

/* Give the lease up if it is ours, so a standby need not wait for expiry. */
static const char store_release_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
    "return 0\n";

/* Growable argv for redisCommandArgv; every string is owned. */
struct store_argv {
    char **v;
    size_t *len;
    size_t n, cap;
};

static void argv_push(struct store_argv *a, const char *text)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
        a->len = xrealloc(a->len, a->cap * sizeof *a->len);
    }
    a->v[a->n] = xstrdup(text);
    a->len[a->n] = strlen(text);
    a->n++;
}

static void argv_push_int(struct store_argv *a, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    argv_push(a, buf);
}

static void argv_free(struct store_argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    free(a->len);
}

static void lease_key(const struct store *s, char *buf)
{
    snprintf(buf, KEYS_MAX, "%sfeeder:lease", s->conf->redis_prefix);
}

/* Run a prepared EVAL.  Returns the script's integer result (>= 0),
 * CP_EPROTO when Redis refused (logged), or CP_EIO (dropped, logged). */
static int run_eval(struct store *s, const char *what, struct store_argv *a)
{
    redisReply *r = redisCommandArgv(s->c, (int)a->n, (const char **)a->v, a->len);
    if (!r) {
        store_fail(s, what, s->c->errstr);
        return CP_EIO;
    }
    int rc;
    if (r->type == REDIS_REPLY_INTEGER) {
        rc = r->integer > 0 ? 1 : 0;
    } else {
        log_warn("redis refused %s: %s", what, r->type == REDIS_REPLY_ERROR ? r->str : "?");
        rc = CP_EPROTO;
    }
    freeReplyObject(r);
    return rc;
}

/* EVAL script with the lease key as KEYS[1] and owner, lease_ms as ARGV. */
static int lease_eval(struct store *s, const char *what, const char *script, const char *owner,
                      int lease_ms)
{
    char k[KEYS_MAX];
    struct store_argv a = {0};
    lease_key(s, k);
    argv_push(&a, "EVAL");
    argv_push(&a, script);
    argv_push(&a, "1");
    argv_push(&a, k);
    argv_push(&a, owner);
    argv_push_int(&a, lease_ms);
    int rc = s->c ? run_eval(s, what, &a) : CP_EIO;
    argv_free(&a);
    return rc;
}

int store_acquire(struct store *s, const char *owner, int lease_ms)
{
    int rc = lease_eval(s, "lease acquire", store_acquire_lua, owner, lease_ms);
    return rc == 1 ? CP_OK : rc == 0 ? CP_ENOENT : rc;
}

void store_release(struct store *s, const char *owner)
{
    if (s->c)
        lease_eval(s, "lease release", store_release_lua, owner, 0);
}

int64_t store_retention_ms(const struct store *s, enum candles_interval iv)
{
    return (int64_t)s->conf->candle_retention_days[iv] * 86400000;
}

/* The candles' keys, or their open_ms, member and trim bound, onto a. */
static void push_candles(const struct store *s, struct store_argv *a, const struct ohlc_write *cw,
                         size_t ncw, bool keys)
{
    char k[KEYS_MAX];
    for (size_t i = 0; i < ncw; i++) {
        if (keys) {
            candles_key(k, sizeof k, s->conf->redis_prefix, cw[i].symbol, cw[i].iv);
            argv_push(a, k);
            continue;
        }
        argv_push_int(a, (long long)cw[i].open_ms);
        argv_push(a, cw[i].member);
        snprintf(k, sizeof k, "(%lld",
                 (long long)(cw[i].open_ms - store_retention_ms(s, cw[i].iv)));
        argv_push(a, k);
    }
}

int store_write_tick(struct store *s, const char *owner, int lease_ms, const char *id, int64_t ts,
                     const struct price *prices, size_t n, const char *symbols)
{
    return store_write_tick_candles(s, owner, lease_ms, id, ts, prices, n, symbols, NULL, 0);
}

int store_write_tick_candles(struct store *s, const char *owner, int lease_ms, const char *id,
                             int64_t ts, const struct price *prices, size_t n, const char *symbols,
                             const struct ohlc_write *cw, size_t ncw)
{
    if (!s->c)
        return CP_EIO;
    json_t *tick = price_tick_to_json(id, ts, prices, n);
    char *tick_json = tick ? json_dumps(tick, PRICE_JSON_FLAGS) : NULL;
    if (!tick_json) {
        json_decref(tick);
        return CP_ENOMEM;
    }
    const struct cp_conf *conf = s->conf;
    char k[KEYS_MAX];
    struct store_argv a = {0};
    json_t *objs = json_object_get(tick, "prices");
    argv_push(&a, "EVAL");
    argv_push(&a, store_tick_lua);
    argv_push_int(&a, 4 + (long long)json_array_size(objs) + (long long)ncw);
    lease_key(s, k);
    argv_push(&a, k);
    static const enum keys_kind kinds[] = {KEYS_HISTORY, KEYS_HEARTBEAT, KEYS_SYMBOLS};
    for (size_t i = 0; i < 3; i++) {
        key(s, k, kinds[i], NULL);
        argv_push(&a, k);
    }
    for (size_t i = 0; i < json_array_size(objs); i++) {
        key(s, k, KEYS_PRICE,
            json_string_value(json_object_get(json_array_get(objs, i), "symbol")));
        argv_push(&a, k);
    }
    push_candles(s, &a, cw, ncw, true);
    argv_push(&a, owner);
    argv_push_int(&a, lease_ms);
    argv_push(&a, id);
    argv_push_int(&a, conf->history_length);
    argv_push(&a, tick_json);
    key(s, k, KEYS_CHANNEL, NULL);
    argv_push(&a, k);
    argv_push_int(&a, (long long)ts);
    argv_push(&a, symbols);
    argv_push_int(&a, conf->price_ttl_seconds);
    argv_push_int(&a, (long long)json_array_size(objs));
    for (size_t i = 0; i < json_array_size(objs); i++) {
        char *pj = json_dumps(json_array_get(objs, i), PRICE_JSON_FLAGS);
        argv_push(&a, pj ? pj : "null");
        free(pj);
    }
    push_candles(s, &a, cw, ncw, false);
    int rc = run_eval(s, "the tick script", &a);
    argv_free(&a);
    free(tick_json);
    json_decref(tick);
    return rc == 1 ? CP_OK : rc == 0 ? CP_ENOENT : rc;
}

int store_write_sources(struct store *s, const char *json, int ttl_ms)
{
    char k[KEYS_MAX];
    if (!s->c)
        return CP_EIO;
    key(s, k, KEYS_SOURCES, NULL);
    redisReply *r = redisCommand(s->c, "SET %s %s PX %d", k, json, ttl_ms);
    if (!r) {
        store_fail(s, "SET sources", s->c->errstr);
        return CP_EIO;
    }
    int rc = r->type == REDIS_REPLY_ERROR ? CP_EPROTO : CP_OK;
    if (rc != CP_OK)
        log_warn("redis %s: SET sources: %s", s->addr, r->str);
    freeReplyObject(r);
    return rc;
}
