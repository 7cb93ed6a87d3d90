/* store_candles: the candle reads and the backfill writes of store (store.h),
 * pipelined: a resync reads every key's newest candle in one round trip, a
 * backfill writes tens of thousands of candles in a few. */
#include "config.h"

#include "store.h"
#include "store_private.h"

#include "cp_error.h"
#include "keys.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Commands in flight per pipelined batch: bounded replies and buffers. */
#define STORE_BATCH 2000

/* Read one pending reply.  Returns it (the caller frees), or NULL after
 * store_fail(). */
static redisReply *next_reply(struct store *s, const char *what)
{
    void *r = NULL;
    if (redisGetReply(s->c, &r) != REDIS_OK || !r) {
        store_fail(s, what, s->c->errstr[0] ? s->c->errstr : "no reply");
        return NULL;
    }
    return r;
}

/* The next symbol of a comma list at *p into out (PRICE_SYMBOL_MAX bytes),
 * moving *p past it; false at the end. */
static bool list_symbol(const char **p, char *out)
{
    *p += strspn(*p, ", ");
    size_t len = strcspn(*p, ", ");
    if (len == 0)
        return false;
    snprintf(out, PRICE_SYMBOL_MAX, "%.*s",
             (int)(len < PRICE_SYMBOL_MAX ? len : PRICE_SYMBOL_MAX - 1), *p);
    *p += len;
    return true;
}

/* Give fn the newest candle of reply r (ZRANGE key -1 -1) of symbol's iv. */
static int newest_of(const redisReply *r, const char *symbol, enum candles_interval iv,
                     store_candle_fn fn, void *ctx)
{
    struct ohlcv c;
    if (r->type == REDIS_REPLY_ERROR) {
        log_warn("redis refused ZRANGE of %s candles: %s", symbol, r->str);
        return CP_EPROTO;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0 ||
        r->element[0]->type != REDIS_REPLY_STRING) {
        fn(ctx, symbol, iv, NULL);
        return CP_OK;
    }
    if (candles_member_parse(r->element[0]->str, r->element[0]->len, &c) != CP_OK) {
        log_warn("redis: %s %s: newest candle does not parse; starting a new one", symbol,
                 candles_interval_name(iv));
        fn(ctx, symbol, iv, NULL);
        return CP_OK;
    }
    fn(ctx, symbol, iv, &c);
    return CP_OK;
}

int store_newest_candles(struct store *s, const char *symbols, store_candle_fn fn, void *ctx)
{
    char k[KEYS_MAX], sym[PRICE_SYMBOL_MAX];
    size_t sent = 0;
    if (!s->c)
        return CP_EIO;
    for (const char *p = symbols; list_symbol(&p, sym);)
        for (int iv = 0; iv < CANDLES_INTERVALS; iv++, sent++) {
            candles_key(k, sizeof k, s->conf->redis_prefix, sym, (enum candles_interval)iv);
            redisAppendCommand(s->c, "ZRANGE %s -1 -1", k);
        }
    int rc = CP_OK;
    const char *p = symbols;
    for (size_t i = 0; i < sent; i++) {
        if (i % CANDLES_INTERVALS == 0)
            list_symbol(&p, sym);
        redisReply *r = next_reply(s, "ZRANGE candles");
        if (!r)
            return CP_EIO;
        int one = newest_of(r, sym, (enum candles_interval)(i % CANDLES_INTERVALS), fn, ctx);
        if (rc == CP_OK)
            rc = one;
        freeReplyObject(r);
    }
    return rc;
}

int store_range_candles(struct store *s, const char *symbol, enum candles_interval iv,
                        int64_t from_ms, int64_t to_ms, store_candle_fn fn, void *ctx)
{
    char k[KEYS_MAX];
    if (!s->c)
        return CP_EIO;
    candles_key(k, sizeof k, s->conf->redis_prefix, symbol, iv);
    redisReply *r = NULL;
    redisAppendCommand(s->c, "ZRANGEBYSCORE %s %lld %lld", k, (long long)from_ms, (long long)to_ms);
    if (!(r = next_reply(s, "ZRANGEBYSCORE candles")))
        return CP_EIO;
    int rc = CP_OK;
    if (r->type == REDIS_REPLY_ERROR) {
        log_warn("redis refused ZRANGEBYSCORE of %s candles: %s", symbol, r->str);
        rc = CP_EPROTO;
    }
    for (size_t i = 0; rc == CP_OK && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        struct ohlcv c;
        const redisReply *e = r->element[i];
        if (e->type == REDIS_REPLY_STRING && candles_member_parse(e->str, e->len, &c) == CP_OK)
            fn(ctx, symbol, iv, &c);
        else
            log_warn("redis: %s %s: a stored candle does not parse; ignored", symbol,
                     candles_interval_name(iv));
    }
    freeReplyObject(r);
    return rc;
}

/* Read the replies of sent commands.  Returns 0, CP_EPROTO (an error reply,
 * logged once) or CP_EIO. */
static int drain(struct store *s, size_t sent)
{
    int rc = CP_OK;
    for (size_t i = 0; i < sent; i++) {
        redisReply *r = next_reply(s, "backfill");
        if (!r)
            return CP_EIO;
        if (r->type == REDIS_REPLY_ERROR && rc == CP_OK) {
            log_warn("redis refused a backfill command: %s", r->str);
            rc = CP_EPROTO;
        }
        freeReplyObject(r);
    }
    return rc;
}

/* Append one command of argc strings; returns how many replies it owes. */
static size_t append(struct store *s, int argc, const char **argv)
{
    redisAppendCommandArgv(s->c, argc, argv, NULL);
    return 1;
}

int store_write_candles(struct store *s, const struct ohlc_write *w, size_t n,
                        const struct store_trim *t, size_t nt)
{
    char k[KEYS_MAX], score[32], bound[32];
    size_t sent = 0;
    int rc = CP_OK;
    if (!s->c)
        return CP_EIO;
    for (size_t i = 0; i < n + nt; i++) {
        if (i < n) {
            candles_key(k, sizeof k, s->conf->redis_prefix, w[i].symbol, w[i].iv);
            snprintf(score, sizeof score, "%lld", (long long)w[i].open_ms);
            const char *rem[] = {"ZREMRANGEBYSCORE", k, score, score};
            const char *add[] = {"ZADD", k, score, w[i].member};
            sent += append(s, 4, rem);
            sent += append(s, 4, add);
        } else {
            const struct store_trim *tr = &t[i - n];
            candles_key(k, sizeof k, s->conf->redis_prefix, tr->symbol, tr->iv);
            snprintf(bound, sizeof bound, "(%lld", (long long)tr->keep_from_ms);
            const char *trim[] = {"ZREMRANGEBYSCORE", k, "-inf", bound};
            sent += append(s, 4, trim);
        }
        if (sent >= STORE_BATCH || i + 1 == n + nt) {
            int one = drain(s, sent);
            sent = 0;
            if (one == CP_EIO)
                return one;
            if (rc == CP_OK)
                rc = one;
        }
    }
    return rc;
}
