#include "config.h"

#include "live.h"

#include "cp_error.h"
#include "log.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_LOG_EVERY_MS 60000  /* an outlier is logged once a minute per source and symbol */
#define LIVE_MAX_FUTURE_MS 60000 /* an exchange clock this far ahead is not believed */

/* What one source last said of one symbol. */
struct live_last {
    bool seen;
    struct exch_quote q;
    int64_t at_ms;     /* when it arrived */
    int64_t logged_ms; /* when it was last logged as an outlier */
};

/* One symbol: every source's last quote, and the last price given out. */
struct live_symbol {
    char name[PRICE_SYMBOL_MAX];
    struct live_last *by_source; /* n_sources entries */
    bool out_once;               /* a price has been given out */
    struct price last_out;
};

struct live {
    struct live_rule rule;
    size_t n_sources;
    char sources[PRICE_SOURCES_MAX][PRICE_SOURCE_MAX];
    uint64_t outliers[PRICE_SOURCES_MAX];
    struct live_symbol *symbols;
    size_t n_symbols;
    char *list; /* the symbols as a comma list */
};

static int add_symbol(struct live *l, const char *name, size_t len, char *err, size_t errlen)
{
    char sym[PRICE_SYMBOL_MAX];
    snprintf(sym, sizeof sym, "%.*s", (int)(len < sizeof sym ? len : sizeof sym - 1), name);
    bool dup = false;
    for (size_t i = 0; i < l->n_symbols && !dup; i++)
        dup = strcmp(l->symbols[i].name, sym) == 0;
    if (len == 0 || len >= sizeof sym || !price_symbol_valid(sym) || dup) {
        snprintf(err, errlen, "SYMBOLS: \"%.*s\" is %s", (int)(len > 20 ? 20 : len), name,
                 dup ? "repeated" : "not a symbol");
        return CP_EINVAL;
    }
    l->symbols = xrealloc(l->symbols, (l->n_symbols + 1) * sizeof *l->symbols);
    struct live_symbol *s = &l->symbols[l->n_symbols++];
    memset(s, 0, sizeof *s);
    strcpy(s->name, sym);
    s->by_source = xcalloc(l->n_sources, sizeof *s->by_source);
    return CP_OK;
}

struct live *live_new(const char *symbols, const char *const *sources, size_t n_sources,
                      const struct live_rule *rule, char *err, size_t errlen)
{
    if (n_sources == 0 || n_sources > PRICE_SOURCES_MAX) {
        snprintf(err, errlen, "FEED_SOURCES: 1 to %d exchanges", PRICE_SOURCES_MAX);
        return NULL;
    }
    struct live *l = xcalloc(1, sizeof *l);
    l->rule = *rule;
    l->n_sources = n_sources;
    for (size_t i = 0; i < n_sources; i++)
        snprintf(l->sources[i], PRICE_SOURCE_MAX, "%s", sources[i]);
    l->list = xstrdup(symbols);
    for (const char *p = symbols;; p++) {
        size_t len = strcspn(p, ",");
        if (add_symbol(l, p, len, err, errlen) != CP_OK) {
            live_free(l);
            return NULL;
        }
        p += len;
        if (*p == '\0')
            return l;
    }
}

void live_free(struct live *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_symbols; i++)
        free(l->symbols[i].by_source);
    free(l->symbols);
    free(l->list);
    free(l);
}

size_t live_symbol_count(const struct live *l)
{
    return l->n_symbols;
}

const char *live_symbols(const struct live *l)
{
    return l->list;
}

const char *live_symbol(const struct live *l, size_t i)
{
    return l->symbols[i].name;
}

bool live_quote(struct live *l, size_t source, const struct exch_quote *q, int64_t now_ms)
{
    if (source >= l->n_sources)
        return false;
    for (size_t i = 0; i < l->n_symbols; i++) {
        if (strcmp(l->symbols[i].name, q->symbol) != 0)
            continue;
        struct live_last *last = &l->symbols[i].by_source[source];
        if (q->ts_ms > now_ms + LIVE_MAX_FUTURE_MS)
            return false; /* believed, it would pin the symbol until that time */
        if (last->seen && q->ts_ms && last->q.ts_ms && q->ts_ms < last->q.ts_ms)
            return false;
        last->seen = true;
        last->q = *q;
        last->at_ms = now_ms;
        return true;
    }
    return true;
}

static bool fresh(const struct live *l, const struct live_last *last, int64_t now_ms)
{
    return last->seen && now_ms - last->at_ms < l->rule.stale_ms;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of n (> 0) prices; with an even count, the mean of the middle
 * two. */
static double median(const double *prices, size_t n)
{
    double sorted[PRICE_SOURCES_MAX];
    memcpy(sorted, prices, n * sizeof *prices);
    qsort(sorted, n, sizeof *sorted, cmp_double);
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static double deviation_pct(double price, double ref)
{
    return fabs(price - ref) / ref * 100.0;
}

static void note_outlier(struct live *l, struct live_symbol *s, size_t src, double median_price,
                         int64_t now_ms)
{
    struct live_last *last = &s->by_source[src];
    l->outliers[src]++;
    if (last->logged_ms && now_ms - last->logged_ms < LIVE_LOG_EVERY_MS)
        return;
    last->logged_ms = now_ms;
    log_warn("%s %s at %.10g is %.1f %% from the median %.10g: left out (MAX_DEVIATION_PCT %g)",
             l->sources[src], s->name, last->q.price, deviation_pct(last->q.price, median_price),
             median_price, l->rule.max_dev_pct);
}

/* Which fresh sources make the price: all of them, less the outliers.
 * fresh_idx holds the fresh sources' indexes in order of preference (n > 0);
 * used receives those kept.  Returns their count (> 0). */
static size_t choose(struct live *l, struct live_symbol *s, const size_t *fresh_idx, size_t n,
                     size_t *used, int64_t now_ms)
{
    double prices[PRICE_SOURCES_MAX];
    for (size_t i = 0; i < n; i++)
        prices[i] = s->by_source[fresh_idx[i]].q.price;
    size_t kept = 0;
    if (n == 2) {
        used[kept++] = fresh_idx[0];
        if (deviation_pct(prices[1], prices[0]) > l->rule.max_dev_pct)
            note_outlier(l, s, fresh_idx[1], prices[0], now_ms);
        else
            used[kept++] = fresh_idx[1];
        return kept;
    }
    double m = median(prices, n);
    for (size_t i = 0; i < n; i++) {
        if (n > 2 && deviation_pct(prices[i], m) > l->rule.max_dev_pct)
            note_outlier(l, s, fresh_idx[i], m, now_ms);
        else
            used[kept++] = fresh_idx[i];
    }
    if (kept == 0) /* all far apart (an even count): trust the preferred one */
        used[kept++] = fresh_idx[0];
    return kept;
}

/* The price of s from the sources used (k > 0), into p. */
static void combine(const struct live *l, const struct live_symbol *s, const size_t *used, size_t k,
                    struct price *p)
{
    double prices[PRICE_SOURCES_MAX];
    const struct exch_quote *stats = NULL;
    for (size_t i = 0; i < k; i++) {
        const struct exch_quote *q = &s->by_source[used[i]].q;
        prices[i] = q->price;
        if (!stats && q->has_stats)
            stats = q;
        snprintf(p->sources[i], PRICE_SOURCE_MAX, "%s", l->sources[used[i]]);
    }
    p->n_sources = (unsigned)k;
    double m = median(prices, k);
    double r = price_round(m, price_decimals(s->name, m));
    p->price = r > 0 ? r : m; /* a coin far below its tick size must not go out as 0 */
    if (stats) {
        p->change24h = stats->change24h;
        p->high24h = stats->high24h;
        p->low24h = stats->low24h;
        p->volume24h = stats->volume24h;
    } else if (s->out_once) { /* keep what the last tick said */
        p->change24h = s->last_out.change24h;
        p->high24h = fmax(s->last_out.high24h, p->price);
        p->low24h = fmin(s->last_out.low24h, p->price);
        p->volume24h = s->last_out.volume24h;
    } else {
        p->high24h = p->low24h = p->price;
    }
    /* An exchange's figures that contradict each other would make the
     * gateway refuse the whole tick (price.c): keep the price instead. */
    if (!(p->low24h <= p->high24h))
        p->high24h = p->low24h = p->price;
}

void live_prices(struct live *l, int64_t now_ms, const char *id, struct price *out, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < l->n_symbols; i++) {
        struct live_symbol *s = &l->symbols[i];
        size_t fresh_idx[PRICE_SOURCES_MAX], used[PRICE_SOURCES_MAX], nf = 0;
        for (size_t src = 0; src < l->n_sources; src++)
            if (fresh(l, &s->by_source[src], now_ms))
                fresh_idx[nf++] = src;
        if (nf == 0 && !s->out_once)
            continue; /* never quoted: nothing to say yet */
        struct price *p = &out[(*n)++];
        if (nf == 0) {
            *p = s->last_out;
            p->stale = true;
        } else {
            memset(p, 0, sizeof *p);
            strcpy(p->symbol, s->name);
            combine(l, s, used, choose(l, s, fresh_idx, nf, used, now_ms), p);
        }
        p->live = true;
        p->ts = now_ms;
        snprintf(p->id, sizeof p->id, "%s", id);
        s->last_out = *p;
        s->out_once = true;
    }
}

uint64_t live_outliers(const struct live *l, size_t source)
{
    return source < l->n_sources ? l->outliers[source] : 0;
}

bool live_source_fresh(const struct live *l, size_t source, int64_t now_ms)
{
    for (size_t i = 0; source < l->n_sources && i < l->n_symbols; i++)
        if (fresh(l, &l->symbols[i].by_source[source], now_ms))
            return true;
    return false;
}

size_t live_fresh_sources(const struct live *l, int64_t now_ms)
{
    size_t n = 0;
    for (size_t src = 0; src < l->n_sources; src++)
        n += live_source_fresh(l, src, now_ms);
    return n;
}
