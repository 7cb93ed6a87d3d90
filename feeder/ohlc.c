/* ohlc: samples into candles (ohlc.h).  The state is small — a slot per
 * symbol and interval — so a commit copies it whole and a rollback copies
 * it back, rather than undoing sample by sample. */
#include "config.h"

#include "ohlc.h"

#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One symbol's candle of one interval. */
struct slot {
    struct ohlcv c; /* the newest candle, open or (loaded or ended) closed */
    int64_t last_t; /* time of the last sample applied */
    bool have;
    long change; /* index of c's entry in the changes, or -1 */
};

struct series {
    char symbol[PRICE_SYMBOL_MAX];
    struct slot slot[CANDLES_INTERVALS];
};

struct change {
    size_t series;
    enum candles_interval iv;
    struct ohlcv c;
};

struct ohlc {
    struct series *series, *saved; /* now, and as of the last commit */
    size_t n, nsaved, cap, capsaved;
    struct change *changes;
    size_t nchanges, capchanges;
    uint64_t late;
};

double ohlc_round(const char *symbol, double price)
{
    double r = price_round(price, price_decimals(symbol, price));
    return r > 0 ? r : price;
}

struct ohlc *ohlc_new(void)
{
    return xcalloc(1, sizeof(struct ohlc));
}

void ohlc_free(struct ohlc *a)
{
    if (!a)
        return;
    free(a->series);
    free(a->saved);
    free(a->changes);
    free(a);
}

static size_t series_of(struct ohlc *a, const char *symbol)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->series[i].symbol, symbol) == 0)
            return i;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->series = xrealloc(a->series, a->cap * sizeof *a->series);
    }
    struct series *s = &a->series[a->n];
    memset(s, 0, sizeof *s);
    snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
    for (int iv = 0; iv < CANDLES_INTERVALS; iv++)
        s->slot[iv].change = -1;
    return a->n++;
}

/* Record that slot's candle changed: its entry is updated in place while
 * the candle stays the same one, so a tick writes each candle once. */
static void note_change(struct ohlc *a, size_t series, enum candles_interval iv)
{
    struct slot *sl = &a->series[series].slot[iv];
    if (sl->change >= 0) {
        a->changes[sl->change].c = sl->c;
        return;
    }
    if (a->nchanges == a->capchanges) {
        a->capchanges = a->capchanges ? a->capchanges * 2 : 64;
        a->changes = xrealloc(a->changes, a->capchanges * sizeof *a->changes);
    }
    a->changes[a->nchanges] = (struct change){series, iv, sl->c};
    sl->change = (long)a->nchanges++;
}

static void open_candle(struct slot *sl, const struct ohlc_sample *s, int64_t bucket)
{
    sl->c = (struct ohlcv){bucket, s->o, s->h, s->l, s->c, s->v, true};
    sl->last_t = s->t;
    sl->have = true;
}

/* Apply s to one slot.  Returns true when applied. */
static bool add_to(struct ohlc *a, size_t series, enum candles_interval iv,
                   const struct ohlc_sample *s)
{
    struct slot *sl = &a->series[series].slot[iv];
    int64_t bucket = candles_bucket(s->t, iv);
    if (sl->have && (bucket < sl->c.open_ms || (bucket == sl->c.open_ms && !sl->c.is_open))) {
        a->late++;
        return false;
    }
    if (!sl->have || bucket > sl->c.open_ms) {
        if (sl->have && sl->c.is_open) {
            sl->c.is_open = false;
            note_change(a, series, iv);
        }
        sl->change = -1;
        open_candle(sl, s, bucket);
    } else {
        sl->c.high = fmax(sl->c.high, s->h);
        sl->c.low = fmin(sl->c.low, s->l);
        sl->c.volume += s->v;
        if (s->t >= sl->last_t) {
            sl->c.close = s->c;
            sl->last_t = s->t;
        }
    }
    note_change(a, series, iv);
    return true;
}

int ohlc_add(struct ohlc *a, const struct ohlc_sample *s)
{
    size_t series = series_of(a, s->symbol);
    int applied = 0;
    for (int iv = 0; iv < CANDLES_INTERVALS; iv++)
        applied += add_to(a, series, (enum candles_interval)iv, s);
    return applied;
}

void ohlc_load(struct ohlc *a, const char *symbol, enum candles_interval iv, const struct ohlcv *c)
{
    size_t i = series_of(a, symbol); /* may move a->series */
    struct slot *sl = &a->series[i].slot[iv];
    sl->c = *c;
    /* The last sample's time is not stored: any sample of the bucket may
     * set the close, as the one stored was the latest. */
    sl->last_t = c->open_ms;
    sl->have = true;
}

void ohlc_close_ended(struct ohlc *a, int64_t now_ms)
{
    for (size_t i = 0; i < a->n; i++)
        for (int iv = 0; iv < CANDLES_INTERVALS; iv++) {
            struct slot *sl = &a->series[i].slot[iv];
            if (!sl->have || !sl->c.is_open ||
                sl->c.open_ms + candles_interval_ms((enum candles_interval)iv) > now_ms)
                continue;
            sl->c.is_open = false;
            note_change(a, i, (enum candles_interval)iv);
        }
}

size_t ohlc_changes(const struct ohlc *a)
{
    return a->nchanges;
}

void ohlc_change(const struct ohlc *a, size_t i, struct ohlc_write *out)
{
    const struct change *ch = &a->changes[i];
    const char *symbol = a->series[ch->series].symbol;
    int len = candles_member(&ch->c, symbol, out->member, sizeof out->member);
    out->symbol = symbol;
    out->iv = ch->iv;
    out->open_ms = ch->c.open_ms;
    /* CANDLES_MEMBER_MAX holds any member of finite prices below 1e12 */
    out->member_len = len > 0 ? (size_t)len : 0;
}

/* Forget the changes: no slot points into them any more. */
static void clear_changes(struct ohlc *a)
{
    for (size_t i = 0; i < a->n; i++)
        for (int iv = 0; iv < CANDLES_INTERVALS; iv++)
            a->series[i].slot[iv].change = -1;
    a->nchanges = 0;
}

void ohlc_commit(struct ohlc *a)
{
    clear_changes(a);
    if (a->capsaved < a->n) {
        a->capsaved = a->cap;
        a->saved = xrealloc(a->saved, a->capsaved * sizeof *a->saved);
    }
    if (a->n)
        memcpy(a->saved, a->series, a->n * sizeof *a->series);
    a->nsaved = a->n;
}

void ohlc_rollback(struct ohlc *a)
{
    if (a->nsaved)
        memcpy(a->series, a->saved, a->nsaved * sizeof *a->series);
    a->n = a->nsaved;
    clear_changes(a);
}

uint64_t ohlc_late(const struct ohlc *a)
{
    return a->late;
}

bool ohlc_get(const struct ohlc *a, const char *symbol, enum candles_interval iv, struct ohlcv *out)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->series[i].symbol, symbol) == 0 && a->series[i].slot[iv].have) {
            *out = a->series[i].slot[iv].c;
            return true;
        }
    return false;
}
