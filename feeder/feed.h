/* feed: the source of the feeder's ticks — the mock walk, a replay, or live
 * exchange data — with the 24 h statistics, producing the price objects of
 * one tick.  No I/O; main loop only.  feed_free() frees the feed and the
 * replay or live rule it took over. */
#ifndef CP_FEED_H
#define CP_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ohlc.h"
#include "price.h"
#include "replay.h"

struct feed;

/* A mock feed of the comma list symbols, walking interval_ms (> 0) of market
 * time per tick from seed.  Returns NULL with err filled for a bad list. */
struct feed *feed_new_mock(const char *symbols, uint64_t seed, int interval_ms, char *err,
                           size_t errlen);

/* A feed replaying r (finished; the feed takes it over), starting over at the
 * end when loop is set.  speed 0 gives one minute of candles per tick; speed
 * > 0 moves market time by speed * interval_ms (> 0) per tick (60: an hour of
 * market per minute), so a tick may cover several minutes (each symbol goes
 * out once, with its latest close) or none.  Symbols named in the comma list
 * order come first in that order, the others follow as they appear. */
struct feed *feed_new_replay(struct replay *r, const char *order, bool loop, double speed,
                             int interval_ms);

struct live;
/* A feed of live exchange data: each tick's prices are the live rule's
 * (live.h; the feed takes l over).  The exchanges' own 24 h statistics are
 * used: feed_commit(), feed_adopt() and feed_record() do nothing. */
struct feed *feed_new_live(struct live *l);

void feed_free(struct feed *f); /* NULL is a no-op */

/* The feed's symbols: how many, and as a comma list (borrowed). */
size_t feed_symbol_count(const struct feed *f);
const char *feed_symbols(const struct feed *f);

/* Fill out (room for feed_symbol_count() prices) with the next tick's prices,
 * each carrying id and ts (wall clock, ms; also the mock's market time), in
 * the feed's symbol order, prices rounded to each symbol's tick size; *n is
 * the number filled (a replay only gives the symbols that have a candle in
 * the tick's span of market time, possibly none).  Returns 0, or CP_ENOENT when a
 * replay without loop has ended. */
int feed_next(struct feed *f, int64_t ts, const char *id, struct price *out, size_t *n);

/* The samples of the last feed_next() for the candles (ohlc.h), borrowed
 * until the next feed_next(); *n of them, possibly none.  Mock: one per
 * symbol at the tick's ts, o = h = l = c = its price, the tick's volume.
 * Replay: every CSV row the tick covered, each at its own market time with
 * its open, high, low, close (rounded to the tick size) and volume; with
 * loop, lap k's times are k times the data's span (rounded up to whole days)
 * later, so the candles go on forward.  Live:
 * one per symbol with a fresh (not stale) price, at the tick's ts, volume
 * the growth of the exchange's volume24h (base asset) since the symbol's
 * previous tick times the price (0 on the first or when it shrank: an
 * approximation). */
const struct ohlc_sample *feed_samples(const struct feed *f, size_t *n);

/* The tick of the last feed_next() was written: the mock's 24 h window takes
 * its prices.  The window holds only ticks committed, so the 24 h figures are
 * those of the series published; a mock tick not committed (dropped, or a
 * standby's) leaves no trace.  A replay's window follows the data, written
 * or not (market time, like the minutes a fast replay conflates): no-op. */
void feed_commit(struct feed *f);

/* Continue from prices another feeder published (borrowed): the mock walk
 * goes on from them and its 24 h window is emptied, to be refilled with
 * feed_record(); a replay ignores them (it keeps its own position in the
 * data, and its window in market time). */
void feed_adopt(struct feed *f, const struct price *prices, size_t n);

/* After feed_adopt(): add the prices of one published tick (borrowed; each
 * price's ts is its time) to the mock's 24 h window, oldest tick first.  The
 * volume of each tick is recovered from the growth of volume24h.  A replay
 * ignores them. */
void feed_record(struct feed *f, const struct price *prices, size_t n);

/* True when a replay without loop has nothing left to give. */
bool feed_done(const struct feed *f);

#endif
