/* ohlc: the feeder's candle aggregator — per symbol and interval (candles.h)
 * the open candle and the time of the last sample applied, the candles
 * changed since the last commit, and a rollback to that commit.  Pure: no
 * I/O, no clock; main loop only.  ohlc_new() returns an object its creator
 * frees with ohlc_free(); everything given out is borrowed. */
#ifndef CP_OHLC_H
#define CP_OHLC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "candles.h"
#include "price.h"

struct ohlc;

/* One sample (README "Price history"): a replayed or backfilled CSV row
 * (its 1-minute OHLC, market time) or a mock/live tick (o = h = l = c = the
 * price, the tick's time).  Prices > 0 in the quote currency, volume >= 0
 * (quote notional). */
struct ohlc_sample {
    char symbol[PRICE_SYMBOL_MAX];
    int64_t t; /* ms since the epoch, >= 0 */
    double o, h, l, c, v;
};

/* A candle to write: the key's symbol and interval, its open time (the
 * sorted-set score) and its stored member (candles_member(): flag and JSON). */
struct ohlc_write {
    const char *symbol; /* borrowed from the aggregator: valid until its next change */
    enum candles_interval iv;
    int64_t open_ms;
    char member[CANDLES_MEMBER_MAX];
    size_t member_len;
};

/* price rounded to symbol's tick size (price.h), as ticks go out; a coin
 * far below its tick size keeps its price rather than becoming 0. */
double ohlc_round(const char *symbol, double price);

struct ohlc *ohlc_new(void);    /* never NULL; aborts on out-of-memory */
void ohlc_free(struct ohlc *a); /* NULL is a no-op */

/* Apply s to each interval of its symbol: into the open candle when in its
 * bucket (close only when s is not older than the last sample applied), or
 * closing it and opening a new one when in a later bucket; a sample of an
 * earlier bucket (or of the bucket of a candle loaded closed) is late: not
 * applied to that interval, counted.  Returns the intervals it was applied
 * to (0..4). */
int ohlc_add(struct ohlc *a, const struct ohlc_sample *s);

/* Seed symbol's candle of iv with c (borrowed, e.g. the key's newest stored
 * member, parsed), replacing what the aggregator held, when this feeder
 * becomes the writer.  A candle loaded closed takes no more samples of its
 * bucket.  Not a change to write. */
void ohlc_load(struct ohlc *a, const char *symbol, enum candles_interval iv, const struct ohlcv *c);

/* Close every open candle whose interval ended by now_ms (wall clock, ms):
 * a backfill's candles of the past are final.  Closed candles are changes. */
void ohlc_close_ended(struct ohlc *a, int64_t now_ms);

/* Candles changed since the last commit: how many, and change i
 * (0 <= i < ohlc_changes()) into *out: a candle closed by a later sample and
 * the open one both appear, in the order they changed. */
size_t ohlc_changes(const struct ohlc *a);
void ohlc_change(const struct ohlc *a, size_t i, struct ohlc_write *out);

/* The changes were written: forget them and make the state the one a
 * rollback returns to. */
void ohlc_commit(struct ohlc *a);

/* The changes were not written (the tick failed): return to the state of
 * the last commit, so the candles never hold prices of an unwritten tick. */
void ohlc_rollback(struct ohlc *a);

/* Samples not applied to an interval because they were late, since
 * ohlc_new() (one per interval refused). */
uint64_t ohlc_late(const struct ohlc *a);

/* Symbol's candle of iv as it stands (borrowed copy into *out).  Returns
 * true when there is one. */
bool ohlc_get(const struct ohlc *a, const char *symbol, enum candles_interval iv,
              struct ohlcv *out);

#endif
