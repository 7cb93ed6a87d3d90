/* store: the feeder's Redis writer, the only feeder module that includes
 * hiredis.  It owns the synchronous connection, its reconnects with backoff,
 * the fail-over lease and the per-tick script.  Main loop only; store_free() closes and frees. */
#ifndef CP_STORE_H
#define CP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "candles.h"
#include "conf.h"
#include "ohlc.h"
#include "price.h"
#include "tickid.h"

struct store;

/* A writer for the Redis of conf (borrowed; must outlive the store).  Does
 * not connect yet.  Never NULL. */
struct store *store_new(const struct cp_conf *conf);
void store_free(struct store *s); /* NULL is a no-op */

/* Make sure a connection is up: connects (AUTH, SELECT; each step bounded by
 * REDIS_TIMEOUT_MS) unless connected or still backing off after a failure
 * (100 ms, doubling up to 5 s, on the monotonic clock).  Sets *fresh when this
 * call connected.  Returns 0, CP_EAGAIN while backing off, or CP_EIO when the
 * attempt failed (logged). */
int store_ensure(struct store *s, bool *fresh);

/* The id of the newest entry of the history stream ({0, 0} when empty), read
 * with XREVRANGE, and up to max of its price objects into prices (*n of
 * them).  Returns 0, CP_EPROTO when Redis refused (logged), or CP_EIO
 * (connection dropped, logged). */
int store_last_tick(struct store *s, struct tickid *out, struct price *prices, size_t max,
                    size_t *n);

/* Callback of store_history(): the price objects of one tick (borrowed, valid
 * during the call). */
typedef void (*store_tick_fn)(void *ctx, const struct price *prices, size_t n);

/* Every entry of the history stream from from_ms (ms of an id) up to and
 * including the id upto, oldest first, read with XRANGE in pages: fn gets up
 * to max of each entry's price objects, parsed into prices.  Returns 0,
 * CP_EPROTO when Redis refused or sent an entry that is not a tick (logged),
 * or CP_EIO (connection dropped, logged). */
int store_history(struct store *s, int64_t from_ms, struct tickid upto, struct price *prices,
                  size_t max, store_tick_fn fn, void *ctx);

/* The fail-over lease, key <prefix>feeder:lease holding owner: take it when
 * it is free (SET NX PX lease_ms) or renew it when it is already owner's.
 * Returns 0 when owner holds it, CP_ENOENT when another feeder does,
 * CP_EPROTO or CP_EIO (logged) when Redis failed. */
int store_acquire(struct store *s, const char *owner, int lease_ms);

/* Delete the lease if owner holds it (on shutdown); errors are ignored. */
void store_release(struct store *s, const char *owner);

/* Set <prefix>feeder:sources to json (the live feed's state of each
 * exchange, README "Live prices") for ttl_ms.  Returns 0, or CP_EIO (logged). */
int store_write_sources(struct store *s, const char *json, int ttl_ms);

/* Write one tick atomically with one EVAL, only while owner holds the lease,
 * which it renews for lease_ms: SET price:<SYM> per price with the price TTL,
 * XADD history (MAXLEN HISTORY_LENGTH), PUBLISH ticks, SET feeder:heartbeat
 * ts (ms) and SET symbols (comma list).  With n == 0 only the lease and the
 * heartbeat are written.  Prices and strings are borrowed.  Returns 0;
 * CP_ENOENT when owner does not hold the lease (nothing written); CP_EPROTO
 * when Redis refused, e.g. an id not after the stream's newest (logged; the
 * connection stays); CP_EIO when the connection failed (logged; dropped,
 * backoff starts). */
int store_write_tick(struct store *s, const char *owner, int lease_ms, const char *id, int64_t ts,
                     const struct price *prices, size_t n, const char *symbols);

/* store_write_tick() that also writes ncw candles (borrowed) in the same
 * script, after the XADD: per candle ZREMRANGEBYSCORE key s s, ZADD key s
 * member, then ZREMRANGEBYSCORE key -inf (s - retention) with the
 * CANDLE_RETENTION_*_DAYS of its interval.  Same returns. */
int store_write_tick_candles(struct store *s, const char *owner, int lease_ms, const char *id,
                             int64_t ts, const struct price *prices, size_t n, const char *symbols,
                             const struct ohlc_write *cw, size_t ncw);

/* Callback of store_newest_candles(): symbol's newest stored candle of iv
 * (borrowed, valid during the call), or NULL when its key is empty (or the
 * member does not parse, logged). */
typedef void (*store_candle_fn)(void *ctx, const char *symbol, enum candles_interval iv,
                                const struct ohlcv *c);

/* The newest candle of every interval of the comma list symbols, read with
 * ZRANGE key -1 -1, pipelined: fn gets each (symbol, interval) once.
 * Returns 0, or CP_EIO (connection dropped, logged) or CP_EPROTO (Redis
 * refused, logged), after which fn may have had only some. */
int store_newest_candles(struct store *s, const char *symbols, store_candle_fn fn, void *ctx);

/* Every stored candle of symbol's iv with open_ms in [from_ms, to_ms]
 * (ZRANGEBYSCORE key from to), oldest first, to fn (a member that does not
 * parse is logged and left out).  Returns 0, CP_EIO or CP_EPROTO (logged). */
int store_range_candles(struct store *s, const char *symbol, enum candles_interval iv,
                        int64_t from_ms, int64_t to_ms, store_candle_fn fn, void *ctx);

/* A trim of a backfill: drop symbol's candles of iv opened before
 * keep_from_ms. */
struct store_trim {
    const char *symbol; /* borrowed */
    enum candles_interval iv;
    int64_t keep_from_ms;
};

/* Write n candles (ZREMRANGEBYSCORE key s s, ZADD key s member each), then
 * the nt trims (ZREMRANGEBYSCORE key -inf (keep_from), pipelined in batches,
 * not under the lease (a backfill of history).  Returns 0, CP_EIO
 * (connection failed, logged) or CP_EPROTO (Redis refused a command,
 * logged; the others were written). */
int store_write_candles(struct store *s, const struct ohlc_write *w, size_t n,
                        const struct store_trim *t, size_t nt);

#endif
