/* backfill: CSV rows to stored candles (backfill.h).  The whole history is
 * aggregated in memory first (a few MB for months of 1-minute rows), then
 * written in pipelined batches: a second run writes the same members. */
#include "config.h"

#include "backfill.h"

#include "cp_error.h"
#include "ohlc.h"
#include "replay.h"
#include "store.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a key held before, and the newest this run writes to it. */
struct key_state {
    char symbol[PRICE_SYMBOL_MAX];
    bool have[CANDLES_INTERVALS];
    struct ohlcv newest[CANDLES_INTERVALS];
    int64_t newest_written[CANDLES_INTERVALS]; /* -1: none */
};

struct backfill {
    const struct cp_conf *conf;
    struct key_state *keys;
    size_t nkeys;
    struct ohlc_write *writes;
    size_t nwrites;
    size_t per_iv[CANDLES_INTERVALS], skipped;
};

static struct key_state *key_of(struct backfill *b, const char *symbol)
{
    for (size_t i = 0; i < b->nkeys; i++)
        if (strcmp(b->keys[i].symbol, symbol) == 0)
            return &b->keys[i];
    return NULL;
}

static void on_newest(void *ctx, const char *symbol, enum candles_interval iv,
                      const struct ohlcv *c)
{
    struct key_state *k = key_of(ctx, symbol);
    if (k && c) {
        k->have[iv] = true;
        k->newest[iv] = *c;
    }
}

/* Parse the files into r.  Returns 0 or the error of the first bad file. */
static int load_files(struct replay *r, const char *const *files, size_t n, char *msg,
                      size_t msglen)
{
    int rc = CP_OK;
    for (size_t i = 0; rc == CP_OK && i < n; i++)
        rc = replay_add_file(r, files[i], msg, msglen);
    return rc == CP_OK ? replay_finish(r, msg, msglen) : rc;
}

/* Every row of r into a, as the replay's ticks would give it. */
static size_t aggregate(const struct replay *r, struct ohlc *a)
{
    size_t rows = 0;
    for (size_t m = 0; m < replay_minutes(r); m++) {
        size_t count;
        const struct candle *c = replay_minute(r, m, &count);
        for (size_t k = 0; k < count; k++, rows++) {
            struct ohlc_sample s = {.t = c[k].ts_ms, .v = c[k].volume};
            snprintf(s.symbol, sizeof s.symbol, "%s", c[k].symbol);
            s.o = ohlc_round(s.symbol, c[k].open);
            s.h = ohlc_round(s.symbol, c[k].high);
            s.l = ohlc_round(s.symbol, c[k].low);
            s.c = ohlc_round(s.symbol, c[k].close);
            ohlc_add(a, &s);
        }
    }
    return rows;
}

/* Is w a bucket a running feeder owns: at or after the key's open newest? */
static bool owned(const struct key_state *k, const struct ohlc_write *w)
{
    return k->have[w->iv] && k->newest[w->iv].is_open && w->open_ms >= k->newest[w->iv].open_ms;
}

/* The oldest open time the key keeps after this run. */
static int64_t keep_from(const struct backfill *b, const struct key_state *k,
                         enum candles_interval iv)
{
    int64_t newest = k->newest_written[iv];
    if (k->have[iv] && k->newest[iv].open_ms > newest)
        newest = k->newest[iv].open_ms;
    return newest - (int64_t)b->conf->candle_retention_days[iv] * 86400000;
}

/* Choose the writes among a's changes: not a running feeder's buckets, not
 * older than the retention. */
static void choose(struct backfill *b, const struct ohlc *a)
{
    size_t n = ohlc_changes(a);
    b->writes = xmalloc((n ? n : 1) * sizeof *b->writes);
    for (size_t i = 0; i < n; i++) {
        struct ohlc_write w;
        ohlc_change(a, i, &w);
        struct key_state *k = key_of(b, w.symbol);
        if (owned(k, &w)) {
            b->skipped++;
            continue;
        }
        if (w.open_ms > k->newest_written[w.iv])
            k->newest_written[w.iv] = w.open_ms;
    }
    for (size_t i = 0; i < n; i++) {
        struct ohlc_write w;
        ohlc_change(a, i, &w);
        struct key_state *k = key_of(b, w.symbol);
        if (owned(k, &w) || w.open_ms < keep_from(b, k, w.iv))
            continue;
        b->writes[b->nwrites++] = w;
        b->per_iv[w.iv]++;
    }
}

/* The trims: every key written to, down to its retention. */
static struct store_trim *trims(const struct backfill *b, size_t *nt)
{
    struct store_trim *t = xmalloc(b->nkeys * CANDLES_INTERVALS * sizeof *t + 1);
    *nt = 0;
    for (size_t i = 0; i < b->nkeys; i++)
        for (int iv = 0; iv < CANDLES_INTERVALS; iv++)
            if (b->keys[i].newest_written[iv] >= 0)
                t[(*nt)++] = (struct store_trim){b->keys[i].symbol, (enum candles_interval)iv,
                                                 keep_from(b, &b->keys[i], iv)};
    return t;
}

static void add_keys(struct backfill *b, const struct replay *r)
{
    b->nkeys = replay_symbol_count(r);
    b->keys = xcalloc(b->nkeys ? b->nkeys : 1, sizeof *b->keys);
    for (size_t i = 0; i < b->nkeys; i++) {
        snprintf(b->keys[i].symbol, sizeof b->keys[i].symbol, "%s", replay_symbol(r, i));
        for (int iv = 0; iv < CANDLES_INTERVALS; iv++)
            b->keys[i].newest_written[iv] = -1;
    }
}

/* The symbols of b as a comma list (malloc'd). */
static char *symbol_list(const struct backfill *b)
{
    char *list = xcalloc(b->nkeys + 1, PRICE_SYMBOL_MAX + 1);
    for (size_t i = 0; i < b->nkeys; i++) {
        if (i)
            strcat(list, ",");
        strcat(list, b->keys[i].symbol);
    }
    return list;
}

/* Read what the keys hold, choose and write.  Returns 0 or CP_EIO. */
static int write_all(struct backfill *b, struct ohlc *a, char *msg, size_t msglen)
{
    struct store *st = store_new(b->conf);
    bool fresh;
    char *list = symbol_list(b);
    int rc = store_ensure(st, &fresh);
    if (rc == CP_OK)
        rc = store_newest_candles(st, list, on_newest, b);
    size_t nt = 0;
    struct store_trim *t = NULL;
    if (rc == CP_OK) {
        choose(b, a);
        t = trims(b, &nt);
        rc = store_write_candles(st, b->writes, b->nwrites, t, nt);
    }
    if (rc != CP_OK)
        snprintf(msg, msglen, "redis %s:%d: %s", b->conf->redis_host, b->conf->redis_port,
                 rc == CP_EPROTO ? "refused a command (see the log)" : "unreachable or failed");
    free(t);
    free(list);
    store_free(st);
    return rc == CP_OK ? CP_OK : CP_EIO;
}

int backfill_run(const struct cp_conf *conf, const char *const *files, size_t n, int64_t now_ms,
                 char *msg, size_t msglen)
{
    struct replay *r = replay_new();
    int rc = load_files(r, files, n, msg, msglen);
    if (rc != CP_OK) {
        replay_free(r);
        return rc;
    }
    struct backfill b = {.conf = conf};
    struct ohlc *a = ohlc_new();
    size_t rows = aggregate(r, a);
    ohlc_close_ended(a, now_ms);
    add_keys(&b, r);
    rc = write_all(&b, a, msg, msglen);
    if (rc == CP_OK)
        snprintf(msg, msglen,
                 "backfill: %zu rows of %zu symbols: %zu 1m, %zu 5m, %zu 1h, %zu 1d candles "
                 "written; %zu skipped (a running feeder's open candle)",
                 rows, b.nkeys, b.per_iv[CANDLES_1M], b.per_iv[CANDLES_5M], b.per_iv[CANDLES_1H],
                 b.per_iv[CANDLES_1D], b.skipped);
    free(b.writes);
    free(b.keys);
    ohlc_free(a);
    replay_free(r);
    return rc;
}
