#include "config.h"

#include "roll24.h"

#include "cp_error.h"
#include "price.h"
#include "xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ROLL24_MINUTE_MS 60000
#define ROLL24_BUCKETS 1440 /* minutes in the window */

/* One minute of one symbol.  minute == INT64_MIN marks an empty bucket. */
struct roll24_bucket {
    int64_t minute; /* ts_ms / 60000 */
    double open, high, low, close, volume;
};

/* A ring indexed by minute % ROLL24_BUCKETS: a bucket is only valid while its
 * minute lies in the window, so eviction is implicit and O(1). */
struct roll24_symbol {
    char symbol[PRICE_SYMBOL_MAX];
    int64_t latest; /* newest minute recorded */
    struct roll24_bucket b[ROLL24_BUCKETS];
};

struct roll24 {
    struct roll24_symbol **s;
    size_t n;
};

struct roll24 *roll24_new(void)
{
    return xcalloc(1, sizeof(struct roll24));
}

void roll24_clear(struct roll24 *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->s[i]);
    free(r->s);
    r->s = NULL;
    r->n = 0;
}

void roll24_free(struct roll24 *r)
{
    if (!r)
        return;
    roll24_clear(r);
    free(r);
}

static struct roll24_symbol *find(const struct roll24 *r, const char *symbol)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->s[i]->symbol, symbol) == 0)
            return r->s[i];
    return NULL;
}

static struct roll24_symbol *add_symbol(struct roll24 *r, const char *symbol)
{
    struct roll24_symbol *s = xmalloc(sizeof *s);
    strcpy(s->symbol, symbol);
    s->latest = INT64_MIN;
    for (size_t i = 0; i < ROLL24_BUCKETS; i++)
        s->b[i].minute = INT64_MIN;
    r->s = xrealloc(r->s, (r->n + 1) * sizeof *r->s);
    r->s[r->n++] = s;
    return s;
}

/* Floor division, so that times before 1970 still bucket correctly. */
static int64_t minute_of(int64_t ts_ms)
{
    return ts_ms >= 0 ? ts_ms / ROLL24_MINUTE_MS : -((-ts_ms - 1) / ROLL24_MINUTE_MS) - 1;
}

int roll24_add(struct roll24 *r, const char *symbol, int64_t ts_ms, double price, double volume)
{
    if (!price_symbol_valid(symbol) || !(price > 0) || !isfinite(price) || !(volume >= 0) ||
        !isfinite(volume))
        return CP_EINVAL;
    struct roll24_symbol *s = find(r, symbol);
    if (!s)
        s = add_symbol(r, symbol);
    int64_t m = minute_of(ts_ms);
    if (s->latest != INT64_MIN && m <= s->latest - ROLL24_BUCKETS)
        return CP_OK;
    if (m > s->latest)
        s->latest = m;
    struct roll24_bucket *b = &s->b[((m % ROLL24_BUCKETS) + ROLL24_BUCKETS) % ROLL24_BUCKETS];
    if (b->minute != m) {
        *b = (struct roll24_bucket){m, price, price, price, price, 0};
    } else {
        b->high = fmax(b->high, price);
        b->low = fmin(b->low, price);
        b->close = price;
    }
    b->volume += volume;
    return CP_OK;
}

int roll24_stats(const struct roll24 *r, const char *symbol, int64_t now_ms,
                 struct roll24_stats *out)
{
    const struct roll24_symbol *s = find(r, symbol);
    if (!s)
        return CP_ENOENT;
    int64_t now = minute_of(now_ms);
    const struct roll24_bucket *first = NULL, *last = NULL;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < ROLL24_BUCKETS; i++) {
        const struct roll24_bucket *b = &s->b[i];
        if (b->minute > now || b->minute <= now - ROLL24_BUCKETS)
            continue;
        if (!first) {
            out->high = b->high;
            out->low = b->low;
        }
        if (!first || b->minute < first->minute)
            first = b;
        if (!last || b->minute > last->minute)
            last = b;
        out->high = fmax(out->high, b->high);
        out->low = fmin(out->low, b->low);
        out->volume += b->volume;
    }
    if (!first)
        return CP_ENOENT;
    out->first = first->open;
    out->last = last->close;
    out->change = (out->last - out->first) / out->first * 100.0;
    return CP_OK;
}
