/* backfill: cryptopulse-feeder --backfill FILE... — the 1-minute rows of
 * replay CSV files (both layouts) aggregated into 1m, 5m, 1h and 1d candles
 * and written to Redis once, idempotently (README "Price history").  Runs
 * on the main thread before any loop; owns everything it allocates. */
#ifndef CP_BACKFILL_H
#define CP_BACKFILL_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* Backfill the files (n >= 1 paths, borrowed) into the Redis of conf.
 * Candles whose interval ended by now_ms (wall clock, ms) or that have a
 * later row are written closed, the others open; a bucket at or after a
 * key's newest candle is skipped when that one is open (a running feeder
 * owns it); candles older than the retention of their interval, counted
 * from the key's newest, are not written, and the older ones stored are
 * trimmed.  On success the one-line summary goes into msg.  Returns 0;
 * CP_ESYNTAX or CP_ENOENT for a bad file ("file:line: reason" in msg); CP_EIO
 * when Redis is unreachable or failed (the reason in msg). */
int backfill_run(const struct cp_conf *conf, const char *const *files, size_t n, int64_t now_ms,
                 char *msg, size_t msglen);

#endif
