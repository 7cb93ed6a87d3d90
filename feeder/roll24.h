/* roll24: per-symbol one-minute buckets over a rolling 24 h window of market
 * time (candle time in a replay, wall clock in the mock) for change24h etc.
 * Main loop only; roll24_free() frees everything, values returned are copies. */
#ifndef CP_ROLL24_H
#define CP_ROLL24_H

#include <stdint.h>

#define ROLL24_WINDOW_MS (24 * 60 * 60 * 1000LL)

struct roll24;

struct roll24_stats {
    double first;     /* first price in the window, quote currency */
    double last;      /* latest price */
    double high, low; /* over the window */
    double volume;    /* sum of the window's volumes, as the source reports them */
    double change;    /* (last - first) / first, in percent */
};

/* An empty set of windows.  Never NULL. */
struct roll24 *roll24_new(void);
void roll24_free(struct roll24 *r); /* NULL is a no-op */

/* Forget every symbol (e.g. when a looping replay jumps back in time). */
void roll24_clear(struct roll24 *r);

/* Record a price (> 0) and a volume (>= 0) of symbol at market time ts_ms.
 * A trade older than 24 h before the symbol's latest one is ignored.
 * Returns 0, or CP_EINVAL for a bad symbol, price or volume. */
int roll24_add(struct roll24 *r, const char *symbol, int64_t ts_ms, double price, double volume);

/* Statistics of symbol over the window (now_ms - 24 h, now_ms], now_ms in
 * market time.  Returns 0, or CP_ENOENT when the window holds no price. */
int roll24_stats(const struct roll24 *r, const char *symbol, int64_t now_ms,
                 struct roll24_stats *out);

#endif
