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

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* What a key held before, and the newest this run writes to it. */
struct key_state {
    char symbol[PRICE_SYMBOL_MAX];
    bool have[CANDLES_INTERVALS];
    struct ohlcv newest[CANDLES_INTERVALS];
    int64_t newest_written[CANDLES_INTERVALS]; /* -1: none */
    int64_t first, last;                       /* span of the file's rows; first -1: none */
    struct ohlcv *stored[CANDLES_INTERVALS];   /* stored candles of the span, oldest first */
    size_t nstored[CANDLES_INTERVALS];
};

/* Where store_range_candles() puts what it reads. */
struct range_sink {
    struct ohlcv **v;
    size_t *n;
};

struct backfill {
    const struct cp_conf *conf;
    struct key_state *keys;
    size_t nkeys;
    int64_t now_ms;
    struct ohlc_write *writes;
    size_t nwrites, capwrites;
    size_t per_iv[CANDLES_INTERVALS], skipped, kept, old;
    size_t foreign;         /* rows of symbols not in SYMBOLS (rule 6) */
    char foreign_names[80]; /* the first few of them, comma-separated */
};

/* Is symbol in the comma list (an empty list holds every symbol)? */
static bool listed(const char *list, const char *symbol)
{
    size_t n = strlen(symbol);
    if (!list[0])
        return true;
    for (const char *p = list; *p;) {
        p += strspn(p, ", ");
        size_t len = strcspn(p, ", ");
        if (len == n && strncmp(p, symbol, n) == 0)
            return true;
        p += len;
    }
    return false;
}

/* Count a row of a symbol not in SYMBOLS; name the first few. */
static void foreign_row(struct backfill *b, const char *symbol)
{
    b->foreign++;
    if (listed(b->foreign_names, symbol) && b->foreign_names[0])
        return;
    size_t used = strlen(b->foreign_names);
    if (used + strlen(symbol) + 8 < sizeof b->foreign_names)
        snprintf(b->foreign_names + used, sizeof b->foreign_names - used, "%s%s", used ? ", " : "",
                 symbol);
}

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
    for (size_t i = 0; rc == CP_OK && i < n; i++) {
        struct stat sb;
        if (stat(files[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            snprintf(msg, msglen, "%s: is a directory, not a CSV file", files[i]);
            return CP_ENOENT;
        }
        rc = replay_add_file(r, files[i], msg, msglen);
        if (rc == CP_EIO) /* unreadable: a bad path (exit 2), not Redis */
            rc = CP_ENOENT;
    }
    return rc == CP_OK ? replay_finish(r, msg, msglen) : rc;
}

/* Every row of r into a, as the replay's ticks would give it.  Returns
 * the rows, or 0 with the reason in msg for a row whose minute starts more
 * than a minute after now_ms (rule 4: nothing is written). */
static size_t aggregate(struct backfill *b, const struct replay *r, struct ohlc *a, int64_t now_ms,
                        char *msg, size_t msglen)
{
    size_t rows = 0;
    for (size_t m = 0; m < replay_minutes(r); m++) {
        size_t count;
        const struct candle *c = replay_minute(r, m, &count);
        for (size_t k = 0; k < count; k++, rows++) {
            if (c[k].ts_ms > now_ms + 60000) {
                snprintf(msg, msglen, "%s row: time %lld is in the future", c[k].symbol,
                         (long long)c[k].ts_ms);
                return 0;
            }
            if (!listed(b->conf->symbols, c[k].symbol)) {
                foreign_row(b, c[k].symbol);
                continue;
            }
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

/* Has the interval of c (a candle of iv) ended by the wall clock? */
static bool ended(const struct backfill *b, const struct ohlcv *c, enum candles_interval iv)
{
    return c->open_ms + candles_interval_ms(iv) <= b->now_ms;
}

/* Is w a bucket a running feeder owns: at or after the key's newest, when
 * that one is open and its interval has not ended (rule 3)? */
static bool owned(const struct backfill *b, const struct key_state *k, const struct ohlc_write *w)
{
    const struct ohlcv *n = &k->newest[w->iv];
    return k->have[w->iv] && n->is_open && !ended(b, n, w->iv) && w->open_ms >= n->open_ms;
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

static void push(struct backfill *b, const struct ohlc_write *w)
{
    if (b->nwrites == b->capwrites) {
        b->capwrites = b->capwrites ? 2 * b->capwrites : 256;
        b->writes = xrealloc(b->writes, b->capwrites * sizeof *b->writes);
    }
    b->writes[b->nwrites++] = *w;
    b->per_iv[w->iv]++;
}

/* Index of the first stored candle of k's iv opened at or after open_ms. */
static size_t stored_from(const struct key_state *k, enum candles_interval iv, int64_t open_ms)
{
    size_t lo = 0, hi = k->nstored[iv];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->stored[iv][mid].open_ms < open_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The stored candle of k's iv opened at open_ms, or NULL. */
static const struct ohlcv *stored_at(const struct key_state *k, enum candles_interval iv,
                                     int64_t open_ms)
{
    size_t i = stored_from(k, iv, open_ms);
    return i < k->nstored[iv] && k->stored[iv][i].open_ms == open_ms ? &k->stored[iv][i] : NULL;
}

/* A write of c (of k's iv) as it is, closed when its interval ended. */
static void push_candle(struct backfill *b, const struct key_state *k, enum candles_interval iv,
                        struct ohlcv c)
{
    struct ohlc_write w = {.symbol = k->symbol, .iv = iv, .open_ms = c.open_ms};
    c.is_open = !ended(b, &c, iv);
    int len = candles_member(&c, k->symbol, w.member, sizeof w.member);
    w.member_len = len > 0 ? (size_t)len : 0;
    push(b, &w);
}

/* Fill: write w unless its bucket holds a candle (kept); a stale open one
 * (interval ended) is replaced by w unless keep_stale (a 1m one is closed
 * by close_stale() instead). */
static void fill(struct backfill *b, const struct key_state *k, const struct ohlc_write *w,
                 bool keep_stale)
{
    const struct ohlcv *have = stored_at(k, w->iv, w->open_ms);
    if (have && (keep_stale || !(have->is_open && ended(b, have, w->iv))))
        b->kept++;
    else if (w->open_ms < keep_from(b, k, w->iv))
        b->old++;
    else
        push(b, w);
}

/* Rule 3: the stored open minutes of the span whose minute ended (left by
 * a stopped feeder or an earlier backfill) rewritten closed, same values. */
static void close_stale(struct backfill *b, const struct key_state *k)
{
    for (size_t i = 0; i < k->nstored[CANDLES_1M]; i++) {
        const struct ohlcv *m = &k->stored[CANDLES_1M][i];
        if (m->is_open && ended(b, m, CANDLES_1M))
            push_candle(b, k, CANDLES_1M, *m);
    }
}

/* Note the newest open time each key gets from a's changes. */
static void note_newest(struct backfill *b, const struct ohlc *a)
{
    for (size_t i = 0; i < ohlc_changes(a); i++) {
        struct ohlc_write w;
        ohlc_change(a, i, &w);
        struct key_state *k = key_of(b, w.symbol);
        if (owned(b, k, &w))
            continue;
        if (w.open_ms > k->newest_written[w.iv])
            k->newest_written[w.iv] = w.open_ms;
        if (k->first < 0 || w.open_ms < k->first)
            k->first = w.open_ms;
        if (w.open_ms > k->last)
            k->last = w.open_ms;
    }
}

/* Rule 1: the 1m writes — only minutes with no candle stored. */
static void choose_minutes(struct backfill *b, const struct ohlc *a)
{
    for (size_t i = 0; i < ohlc_changes(a); i++) {
        struct ohlc_write w;
        ohlc_change(a, i, &w);
        if (w.iv != CANDLES_1M)
            continue;
        struct key_state *k = key_of(b, w.symbol);
        if (owned(b, k, &w))
            b->skipped++;
        else
            fill(b, k, &w, true);
    }
    for (size_t i = 0; i < b->nkeys; i++)
        close_stale(b, &b->keys[i]);
}

/* The stored minutes of k in [from, to) aggregated into *out.  Returns
 * false when there is none. */
static bool from_minutes(const struct key_state *k, int64_t from, int64_t to, struct ohlcv *out)
{
    bool any = false;
    for (size_t i = stored_from(k, CANDLES_1M, from); i < k->nstored[CANDLES_1M]; i++) {
        const struct ohlcv *m = &k->stored[CANDLES_1M][i];
        if (m->open_ms >= to)
            break;
        if (!any) {
            *out = *m;
            out->open_ms = from;
            any = true;
            continue;
        }
        out->high = m->high > out->high ? m->high : out->high;
        out->low = m->low < out->low ? m->low : out->low;
        out->close = m->close;
        out->volume += m->volume;
    }
    out->volume = (double)llround(out->volume * 1000) / 1000;
    return any;
}

/* Rule 2: the derived writes — recomputed from the stored minutes for a
 * bucket wholly inside the 1m retention, else filled. */
static void choose_derived(struct backfill *b, const struct ohlc *a)
{
    for (size_t i = 0; i < ohlc_changes(a); i++) {
        struct ohlc_write w;
        struct ohlcv c;
        ohlc_change(a, i, &w);
        if (w.iv == CANDLES_1M)
            continue;
        struct key_state *k = key_of(b, w.symbol);
        if (owned(b, k, &w))
            b->skipped++;
        else if (w.open_ms >= keep_from(b, k, CANDLES_1M) &&
                 from_minutes(k, w.open_ms, w.open_ms + candles_interval_ms(w.iv), &c))
            push_candle(b, k, w.iv, c);
        else
            fill(b, k, &w, false);
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
        b->keys[i].first = -1;
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

static void on_range(void *ctx, const char *symbol, enum candles_interval iv, const struct ohlcv *c)
{
    struct range_sink *r = ctx;
    (void)symbol;
    (void)iv;
    size_t n = *r->n;
    if ((n & (n - 1)) == 0) /* 0, 1, 2, 4...: double the room */
        *r->v = xrealloc(*r->v, (n ? 2 * n : 1) * sizeof **r->v);
    (*r->v)[(*r->n)++] = *c;
}

/* Read the stored candles of iv of every key over the days its rows touch. */
static int read_stored(struct backfill *b, struct store *st, enum candles_interval iv)
{
    int rc = CP_OK;
    for (size_t i = 0; rc == CP_OK && i < b->nkeys; i++) {
        struct key_state *k = &b->keys[i];
        free(k->stored[iv]);
        k->stored[iv] = NULL;
        k->nstored[iv] = 0;
        if (k->first < 0)
            continue;
        struct range_sink sink = {&k->stored[iv], &k->nstored[iv]};
        rc = store_range_candles(st, k->symbol, iv, candles_bucket(k->first, CANDLES_1D),
                                 candles_bucket(k->last, CANDLES_1D) + 86400000 - 1, on_range,
                                 &sink);
    }
    return rc;
}

/* Read what the keys hold, write the minutes, read them back, write the
 * derived candles and trim.  Returns 0 or CP_EIO. */
static int write_all(struct backfill *b, struct ohlc *a, char *msg, size_t msglen)
{
    struct store *st = store_new(b->conf);
    bool fresh;
    char *list = symbol_list(b);
    int rc = store_ensure(st, &fresh);
    if (rc == CP_OK)
        rc = store_newest_candles(st, list, on_newest, b);
    if (rc == CP_OK)
        note_newest(b, a);
    for (int iv = 0; rc == CP_OK && iv < CANDLES_INTERVALS; iv++)
        rc = read_stored(b, st, (enum candles_interval)iv);
    if (rc == CP_OK) {
        choose_minutes(b, a);
        rc = store_write_candles(st, b->writes, b->nwrites, NULL, 0);
    }
    if (rc == CP_OK)
        rc = read_stored(b, st, CANDLES_1M);
    size_t nt = 0;
    struct store_trim *t = NULL;
    if (rc == CP_OK) {
        b->nwrites = 0;
        choose_derived(b, a);
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
    replay_set_not_after(r, now_ms + 60000); /* rule 4: nothing of the future */
    int rc = load_files(r, files, n, msg, msglen);
    if (rc != CP_OK) {
        replay_free(r);
        return rc;
    }
    struct backfill b = {.conf = conf, .now_ms = now_ms};
    struct ohlc *a = ohlc_new();
    size_t rows = aggregate(&b, r, a, now_ms, msg, msglen);
    if (rows == 0 && replay_minutes(r) > 0) {
        ohlc_free(a);
        replay_free(r);
        return CP_ESYNTAX;
    }
    ohlc_close_ended(a, now_ms);
    add_keys(&b, r);
    size_t nsym = 0;
    for (size_t i = 0; i < b.nkeys; i++)
        nsym += listed(conf->symbols, b.keys[i].symbol);
    rc = write_all(&b, a, msg, msglen);
    if (rc == CP_OK)
        snprintf(msg, msglen,
                 "backfill: %zu rows of %zu symbols: %zu 1m, %zu 5m, %zu 1h, %zu 1d candles "
                 "written; %zu kept (already stored); %zu skipped (a running feeder's open "
                 "candle); %zu older than the retention",
                 rows - b.foreign, nsym, b.per_iv[CANDLES_1M], b.per_iv[CANDLES_5M],
                 b.per_iv[CANDLES_1H], b.per_iv[CANDLES_1D], b.kept, b.skipped, b.old);
    if (rc == CP_OK && b.foreign) {
        size_t used = strlen(msg);
        snprintf(msg + used, msglen - used, "; %zu rows of symbols not in SYMBOLS skipped: %s%s",
                 b.foreign, b.foreign_names,
                 strlen(b.foreign_names) + 24 > sizeof b.foreign_names ? ", ..." : "");
    }
    free(b.writes);
    for (size_t i = 0; i < b.nkeys; i++)
        for (int iv = 0; iv < CANDLES_INTERVALS; iv++)
            free(b.keys[i].stored[iv]);
    free(b.keys);
    ohlc_free(a);
    replay_free(r);
    return rc;
}
