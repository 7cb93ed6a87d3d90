#include "config.h"

#include "store.h"

#include "cp_error.h"
#include "keys.h"
#include "log.h"
#include "xalloc.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STORE_BACKOFF_MIN_MS 100
#define STORE_BACKOFF_MAX_MS 5000

struct store {
    const struct cp_conf *conf;
    redisContext *c;  /* NULL while disconnected */
    int64_t retry_at; /* monotonic ms of the next connect attempt */
    int backoff_ms;   /* wait after the next failure */
};

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
 * than queued. */
static void fail(struct store *s, const char *what, const char *why)
{
    log_warn("redis %s:%d: %s: %s; next attempt in %d ms", s->conf->redis_host, s->conf->redis_port,
             what, why, s->backoff_ms);
    if (s->c)
        redisFree(s->c);
    s->c = NULL;
    s->retry_at = mono_ms() + s->backoff_ms;
    s->backoff_ms =
        s->backoff_ms * 2 > STORE_BACKOFF_MAX_MS ? STORE_BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* Run one set-up command; returns 0 or CP_EIO after fail(). */
static int setup_command(struct store *s, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(s->c, fmt, ap);
    va_end(ap);
    if (!r) {
        fail(s, what, s->c->errstr);
        return CP_EIO;
    }
    int rc = r->type == REDIS_REPLY_ERROR ? CP_EIO : CP_OK;
    if (rc != CP_OK)
        fail(s, what, r->str);
    freeReplyObject(r);
    return rc;
}

static int connect_now(struct store *s)
{
    const struct cp_conf *conf = s->conf;
    struct timeval tv = {conf->redis_timeout_ms / 1000, (conf->redis_timeout_ms % 1000) * 1000};
    s->c = redisConnectWithTimeout(conf->redis_host, conf->redis_port, tv);
    if (!s->c || s->c->err) {
        fail(s, "connect", s->c ? s->c->errstr : "out of memory");
        return CP_EIO;
    }
    if (redisSetTimeout(s->c, tv) != REDIS_OK) {
        fail(s, "set timeout", s->c->errstr);
        return CP_EIO;
    }
    if (*conf->redis_password && setup_command(s, "AUTH", "AUTH %s", conf->redis_password))
        return CP_EIO;
    if (conf->redis_db && setup_command(s, "SELECT", "SELECT %d", conf->redis_db))
        return CP_EIO;
    log_info("connected to redis %s:%d db %d", conf->redis_host, conf->redis_port, conf->redis_db);
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

int store_last_id(struct store *s, struct tickid *out)
{
    char hkey[KEYS_MAX];
    *out = (struct tickid){0, 0};
    if (!s->c)
        return CP_EIO;
    key(s, hkey, KEYS_HISTORY, NULL);
    redisReply *r = redisCommand(s->c, "XREVRANGE %s + - COUNT 1", hkey);
    if (!r) {
        fail(s, "XREVRANGE", s->c->errstr);
        return CP_EIO;
    }
    int rc = CP_OK;
    if (r->type == REDIS_REPLY_ERROR) {
        log_warn("redis refused XREVRANGE %s: %s", hkey, r->str);
        rc = CP_EPROTO;
    } else if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
        const redisReply *e = r->element[0];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
            e->element[0]->type != REDIS_REPLY_STRING ||
            tickid_parse(e->element[0]->str, out) != CP_OK) {
            log_warn("redis: unexpected XREVRANGE reply for %s", hkey);
            rc = CP_EPROTO;
        }
    }
    freeReplyObject(r);
    return rc;
}

/* Queue the pipeline's commands; returns how many were queued, or -1 when
 * hiredis could not format one (out of memory). */
static int append_tick(struct store *s, const char *id, int64_t ts, json_t *tick,
                       const char *tick_json, const char *symbols)
{
    const struct cp_conf *conf = s->conf;
    char k[KEYS_MAX];
    json_t *prices = json_object_get(tick, "prices");
    int queued = 0, bad = 0;
    for (size_t i = 0; i < json_array_size(prices); i++) {
        json_t *p = json_array_get(prices, i);
        char *pj = json_dumps(p, PRICE_JSON_FLAGS);
        key(s, k, KEYS_PRICE, json_string_value(json_object_get(p, "symbol")));
        bad |= !pj || redisAppendCommand(s->c, "SET %s %s EX %d", k, pj, conf->price_ttl_seconds) !=
                          REDIS_OK;
        queued++;
        free(pj);
    }
    key(s, k, KEYS_HISTORY, NULL);
    bad |= redisAppendCommand(s->c, "XADD %s MAXLEN ~ %d %s tick %s", k, conf->history_length, id,
                              tick_json) != REDIS_OK;
    key(s, k, KEYS_CHANNEL, NULL);
    bad |= redisAppendCommand(s->c, "PUBLISH %s %s", k, tick_json) != REDIS_OK;
    key(s, k, KEYS_HEARTBEAT, NULL);
    bad |= redisAppendCommand(s->c, "SET %s %lld", k, (long long)ts) != REDIS_OK;
    key(s, k, KEYS_SYMBOLS, NULL);
    bad |= redisAppendCommand(s->c, "SET %s %s", k, symbols) != REDIS_OK;
    return bad ? -1 : queued + 4;
}

/* Read count replies.  Returns 0, CP_EPROTO after an error reply (all replies
 * are still read, so the connection stays in step), or CP_EIO. */
static int read_replies(struct store *s, int count)
{
    int rc = CP_OK;
    for (int i = 0; i < count; i++) {
        void *v;
        if (redisGetReply(s->c, &v) != REDIS_OK) {
            fail(s, "write tick", s->c->errstr);
            return CP_EIO;
        }
        redisReply *r = v;
        if (r->type == REDIS_REPLY_ERROR && rc == CP_OK) {
            log_warn("redis refused a tick command (%d of %d): %s; tick dropped", i + 1, count,
                     r->str);
            rc = CP_EPROTO;
        }
        freeReplyObject(r);
    }
    return rc;
}

int store_write_tick(struct store *s, const char *id, int64_t ts, const struct price *prices,
                     size_t n, const char *symbols)
{
    if (!s->c)
        return CP_EIO;
    json_t *tick = price_tick_to_json(id, ts, prices, n);
    char *tick_json = tick ? json_dumps(tick, PRICE_JSON_FLAGS) : NULL;
    int rc = CP_ENOMEM;
    if (tick_json) {
        int count = append_tick(s, id, ts, tick, tick_json, symbols);
        if (count < 0)
            fail(s, "write tick", "cannot format a command");
        rc = count < 0 ? CP_EIO : read_replies(s, count);
    }
    free(tick_json);
    json_decref(tick);
    return rc;
}
