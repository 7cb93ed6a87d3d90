#include "config.h"

#include "feed.h"

#include "cp_error.h"
#include "live.h"
#include "mock.h"
#include "roll24.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct feed {
    struct mock *mock;     /* mock feed, or */
    struct replay *replay; /* replay feed, or */
    struct live *live;     /* live exchange data */
    bool loop;
    size_t pos;      /* replay: next minute */
    int64_t span_ms; /* replay: market time per tick; 0 = one minute per tick */
    int64_t clock;   /* replay with span: market time reached, ms */
    bool started;    /* replay with span: clock is set */
    bool *touched;   /* replay: symbol i has a candle in this tick */
    double dt_s;     /* mock: market time per tick */
    /* mock: the last tick's prices and volumes, which enter the window only
     * by feed_commit(), once written: a tick nobody saw must not count */
    double *tick_price, *tick_volume;
    int64_t tick_ts;
    bool uncommitted;
    double *recorded_v24;        /* mock, feed_record(): last volume24h per symbol, or < 0 */
    double *live_v24;            /* live: volume24h of each symbol's previous tick, or < 0 */
    struct ohlc_sample *samples; /* the last feed_next()'s samples for the candles */
    int64_t lap_ms;              /* replay with loop: candle time added per lap so far */
    size_t nsamples, capsamples;
    struct roll24 *roll;
    size_t nsymbols;
    char (*symbols)[PRICE_SYMBOL_MAX]; /* the feed's order */
    char *list;                        /* the same as a comma list */
};

static struct feed *feed_alloc(size_t nsymbols)
{
    struct feed *f = xcalloc(1, sizeof *f);
    f->roll = roll24_new();
    f->symbols = xcalloc(nsymbols ? nsymbols : 1, sizeof *f->symbols);
    f->touched = xcalloc(nsymbols ? nsymbols : 1, sizeof *f->touched);
    f->tick_price = xcalloc(nsymbols ? nsymbols : 1, sizeof *f->tick_price);
    f->tick_volume = xcalloc(nsymbols ? nsymbols : 1, sizeof *f->tick_volume);
    f->recorded_v24 = xcalloc(nsymbols ? nsymbols : 1, sizeof *f->recorded_v24);
    f->live_v24 = xcalloc(nsymbols ? nsymbols : 1, sizeof *f->live_v24);
    for (size_t i = 0; i < nsymbols; i++)
        f->live_v24[i] = -1;
    f->list = xcalloc(nsymbols + 1, PRICE_SYMBOL_MAX);
    return f;
}

static void push_symbol(struct feed *f, const char *symbol)
{
    strcpy(f->symbols[f->nsymbols], symbol);
    if (f->nsymbols++)
        strcat(f->list, ",");
    strcat(f->list, symbol);
}

struct feed *feed_new_mock(const char *symbols, uint64_t seed, int interval_ms, char *err,
                           size_t errlen)
{
    struct mock *m = mock_new(symbols, seed, err, errlen);
    if (!m)
        return NULL;
    struct feed *f = feed_alloc(mock_count(m));
    f->mock = m;
    f->dt_s = interval_ms / 1000.0;
    for (size_t i = 0; i < mock_count(m); i++)
        push_symbol(f, mock_symbol(m, i));
    return f;
}

static bool has_symbol(const struct feed *f, const char *symbol)
{
    for (size_t i = 0; i < f->nsymbols; i++)
        if (strcmp(f->symbols[i], symbol) == 0)
            return true;
    return false;
}

/* Is the symbol at word[0..len) of a comma list equal to symbol? */
static bool word_is(const char *word, size_t len, const char *symbol)
{
    return strlen(symbol) == len && strncmp(word, symbol, len) == 0;
}

struct feed *feed_new_replay(struct replay *r, const char *order, bool loop, double speed,
                             int interval_ms)
{
    size_t n = replay_symbol_count(r);
    struct feed *f = feed_alloc(n);
    f->replay = r;
    f->loop = loop;
    f->span_ms = speed > 0 ? (int64_t)(speed * interval_ms + 0.5) : 0;
    if (speed > 0 && f->span_ms < 1)
        f->span_ms = 1;
    for (const char *p = order; *p;) {
        p += strspn(p, ", ");
        size_t len = strcspn(p, ", ");
        for (size_t i = 0; len && i < n; i++)
            if (word_is(p, len, replay_symbol(r, i)) && !has_symbol(f, replay_symbol(r, i)))
                push_symbol(f, replay_symbol(r, i));
        p += len;
    }
    for (size_t i = 0; i < n; i++)
        if (!has_symbol(f, replay_symbol(r, i)))
            push_symbol(f, replay_symbol(r, i));
    return f;
}

struct feed *feed_new_live(struct live *l)
{
    struct feed *f = feed_alloc(live_symbol_count(l));
    f->live = l;
    for (size_t i = 0; i < live_symbol_count(l); i++)
        push_symbol(f, live_symbol(l, i));
    return f;
}

void feed_free(struct feed *f)
{
    if (!f)
        return;
    live_free(f->live);
    mock_free(f->mock);
    replay_free(f->replay);
    roll24_free(f->roll);
    free(f->symbols);
    free(f->touched);
    free(f->tick_price);
    free(f->tick_volume);
    free(f->recorded_v24);
    free(f->live_v24);
    free(f->samples);
    free(f->list);
    free(f);
}

size_t feed_symbol_count(const struct feed *f)
{
    return f->nsymbols;
}

const char *feed_symbols(const struct feed *f)
{
    return f->list;
}

bool feed_done(const struct feed *f)
{
    return f->replay && !f->loop && f->pos >= replay_minutes(f->replay);
}

/* One price object of symbol with the statistics st (NULL: none). */
static void set_price(const char *symbol, const struct roll24_stats *st, int64_t ts, const char *id,
                      struct price *p)
{
    memset(p, 0, sizeof *p);
    strcpy(p->symbol, symbol);
    if (st) {
        p->price = st->last;
        p->change24h = st->change;
        p->volume24h = st->volume;
        p->high24h = st->high;
        p->low24h = st->low;
    }
    p->ts = ts;
    snprintf(p->id, sizeof p->id, "%s", id);
}

/* One price object of symbol from the window as it stands at market time now. */
static void fill_price(const struct feed *f, const char *symbol, int64_t now, int64_t ts,
                       const char *id, struct price *p)
{
    struct roll24_stats st;
    bool found = roll24_stats(f->roll, symbol, now, &st) == CP_OK;
    set_price(symbol, found ? &st : NULL, ts, id, p);
}

/* The statistics st of a window (found: not empty) with a newer price and
 * volume added, as roll24_add() then roll24_stats() would give them. */
static void fold(struct roll24_stats *st, bool found, double price, double volume)
{
    if (!found)
        *st = (struct roll24_stats){price, price, price, price, 0, 0};
    st->last = price;
    st->high = fmax(st->high, price);
    st->low = fmin(st->low, price);
    st->volume += volume;
    st->change = (st->last - st->first) / st->first * 100.0;
}

/* The price as it goes out: rounded to the symbol's tick size.  The 24 h
 * window records this value, so high24h, low24h and change24h are those of
 * the series clients see, not of a hidden unrounded one. */
static double tick_price(const char *symbol, double price)
{
    return ohlc_round(symbol, price);
}

static void push_sample(struct feed *f, const char *symbol, int64_t t, double o, double h, double l,
                        double c, double v)
{
    if (f->nsamples == f->capsamples) {
        f->capsamples = f->capsamples ? f->capsamples * 2 : 64;
        f->samples = xrealloc(f->samples, f->capsamples * sizeof *f->samples);
    }
    struct ohlc_sample *s = &f->samples[f->nsamples++];
    snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
    s->t = t;
    s->o = o;
    s->h = h;
    s->l = l;
    s->c = c;
    s->v = v;
}

/* The walk moves on whether or not the tick is written; the window only
 * learns the tick in feed_commit(), so the figures are those of the ticks
 * written plus this one. */
static void next_mock(struct feed *f, int64_t ts, const char *id, struct price *out, size_t *n)
{
    mock_step(f->mock, f->dt_s);
    f->tick_ts = ts;
    f->uncommitted = true;
    for (size_t i = 0; i < mock_count(f->mock); i++) {
        const char *sym = mock_symbol(f->mock, i);
        struct roll24_stats st;
        bool found = roll24_stats(f->roll, sym, ts, &st) == CP_OK;
        f->tick_price[i] = tick_price(sym, mock_price(f->mock, i));
        f->tick_volume[i] = mock_volume(f->mock, i);
        fold(&st, found, f->tick_price[i], f->tick_volume[i]);
        push_sample(f, sym, ts, f->tick_price[i], f->tick_price[i], f->tick_price[i],
                    f->tick_price[i], f->tick_volume[i]);
        set_price(sym, &st, ts, id, &out[i]);
    }
    *n = mock_count(f->mock);
}

void feed_commit(struct feed *f)
{
    if (!f->mock || !f->uncommitted)
        return;
    for (size_t i = 0; i < mock_count(f->mock); i++)
        roll24_add(f->roll, mock_symbol(f->mock, i), f->tick_ts, f->tick_price[i],
                   f->tick_volume[i]);
    f->uncommitted = false;
}

static size_t symbol_index(const struct feed *f, const char *symbol)
{
    for (size_t i = 0; i < f->nsymbols; i++)
        if (strcmp(f->symbols[i], symbol) == 0)
            return i;
    return f->nsymbols;
}

static int64_t minute_ts(const struct feed *f, size_t i)
{
    size_t count;
    return replay_minute(f->replay, i, &count)->ts_ms;
}

/* The end (exclusive) of the minutes this tick covers, from f->pos: one
 * minute, or with a span every minute up to the market clock, which starts
 * at the first minute and moves span_ms per tick. */
static size_t tick_end(struct feed *f)
{
    size_t minutes = replay_minutes(f->replay);
    if (f->span_ms == 0)
        return f->pos + 1;
    if (!f->started) {
        f->clock = minute_ts(f, 0);
        f->started = true;
    } else {
        f->clock += f->span_ms;
    }
    size_t end = f->pos;
    while (end < minutes && minute_ts(f, end) <= f->clock)
        end++;
    return end;
}

/* Record every candle of the tick's minutes in the window; each symbol with
 * a candle goes out once, with its latest close (a fast replay conflates). */
static void next_replay(struct feed *f, int64_t ts, const char *id, struct price *out, size_t *n)
{
    size_t end = tick_end(f);
    int64_t now = f->span_ms ? f->clock : minute_ts(f, f->pos);
    memset(f->touched, 0, f->nsymbols * sizeof *f->touched);
    for (; f->pos < end; f->pos++) {
        size_t count;
        const struct candle *c = replay_minute(f->replay, f->pos, &count);
        for (size_t k = 0; k < count; k++) {
            const char *sym = c[k].symbol;
            roll24_add(f->roll, sym, c[k].ts_ms, tick_price(sym, c[k].close), c[k].volume);
            push_sample(f, sym, c[k].ts_ms + f->lap_ms, tick_price(sym, c[k].open),
                        tick_price(sym, c[k].high), tick_price(sym, c[k].low),
                        tick_price(sym, c[k].close), c[k].volume);
            size_t i = symbol_index(f, c[k].symbol);
            if (i < f->nsymbols)
                f->touched[i] = true;
        }
    }
    *n = 0;
    for (size_t i = 0; i < f->nsymbols; i++)
        if (f->touched[i])
            fill_price(f, f->symbols[i], now, ts, id, &out[(*n)++]);
}

/* Live: a sample per fresh price.  The exchanges give only a rolling 24 h
 * volume, so a tick's volume is its growth since the symbol's previous tick
 * (0 on the first tick, or when it shrank as old trades left the window)
 * times the price: an approximation that undercounts while the window sheds
 * volume.  Stale prices (no fresh source) are no new observation: none. */
static void live_samples(struct feed *f, const struct price *out, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        size_t i = symbol_index(f, out[k].symbol);
        if (i == f->nsymbols || out[k].stale || !(out[k].price > 0))
            continue;
        double prev = f->live_v24[i], v24 = out[k].volume24h;
        /* base asset, as the exchanges count it, to quote notional */
        double v = prev >= 0 && v24 > prev ? (v24 - prev) * out[k].price : 0;
        if (v24 >= 0)
            f->live_v24[i] = v24;
        push_sample(f, out[k].symbol, out[k].ts, out[k].price, out[k].price, out[k].price,
                    out[k].price, v);
    }
}

const struct ohlc_sample *feed_samples(const struct feed *f, size_t *n)
{
    *n = f->nsamples;
    return f->samples;
}

/* The span of the data rounded up to whole days: each lap of a looping
 * replay gives its candles times this much later than the lap before, so
 * the candles go on forward (candles only move forward) and each lap's
 * minutes, hours and days line up with the data's own. */
static int64_t lap_length(const struct replay *r)
{
    size_t count;
    const int64_t day = 86400000;
    int64_t first = replay_minute(r, 0, &count)->ts_ms;
    int64_t last = replay_minute(r, replay_minutes(r) - 1, &count)->ts_ms;
    return (last - first + 60000 + day - 1) / day * day;
}

int feed_next(struct feed *f, int64_t ts, const char *id, struct price *out, size_t *n)
{
    *n = 0;
    f->nsamples = 0;
    if (f->mock) {
        next_mock(f, ts, id, out, n);
        return CP_OK;
    }
    if (f->live) {
        live_prices(f->live, ts, id, out, n);
        live_samples(f, out, *n);
        return CP_OK;
    }
    if (f->pos >= replay_minutes(f->replay)) {
        if (!f->loop)
            return CP_ENOENT;
        /* Market time jumps back to the start: the old windows would mix
         * the end of the data into the new lap's 24 h figures. */
        f->pos = 0;
        f->started = false;
        roll24_clear(f->roll);
        f->lap_ms += lap_length(f->replay);
    }
    next_replay(f, ts, id, out, n);
    return CP_OK;
}

void feed_adopt(struct feed *f, const struct price *prices, size_t n)
{
    if (!f->mock)
        return;
    for (size_t i = 0; i < n; i++)
        mock_set_price(f->mock, prices[i].symbol, prices[i].price);
    /* The window is rebuilt from what was published: feed_record(). */
    roll24_clear(f->roll);
    f->uncommitted = false;
    for (size_t i = 0; i < f->nsymbols; i++)
        f->recorded_v24[i] = -1;
}

/* The stream holds each symbol's volume24h, not the volume of each tick:
 * a tick's volume is taken as the growth of volume24h since the symbol's
 * previous recorded tick (0 when it shrank, as minutes left the window),
 * and the oldest tick carries its whole volume24h, so that the rebuilt
 * volume24h equals the newest tick's. */
void feed_record(struct feed *f, const struct price *prices, size_t n)
{
    if (!f->mock)
        return;
    for (size_t k = 0; k < n; k++) {
        const struct price *p = &prices[k];
        size_t i = symbol_index(f, p->symbol);
        if (i == f->nsymbols || !(p->volume24h >= 0))
            continue;
        double prev = f->recorded_v24[i];
        double volume = prev < 0 ? p->volume24h : fmax(0, p->volume24h - prev);
        if (roll24_add(f->roll, p->symbol, p->ts, p->price, volume) == CP_OK)
            f->recorded_v24[i] = p->volume24h;
    }
}
