/* backfill: cryptopulse-feeder --backfill FILE... — the 1-minute rows of
 * replay CSV files (both layouts) aggregated into 1m, 5m, 1h and 1d candles
 * and written to Redis once, idempotently (README "Price history").  Runs
 * on the main thread before any loop; owns everything it allocates. */
#ifndef CP_BACKFILL_H
#define CP_BACKFILL_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* Backfill the files (n >= 1 paths, borrowed) into the Redis of conf
 * (README "Price history"): 1m candles only for minutes with none stored
 * (kept otherwise; stale open minutes of the span closed); 5m/1h/1d of the
 * buckets the rows touch recomputed from the stored minutes when wholly
 * inside the 1m retention, else only filled; a bucket at or after a key's
 * newest candle skipped when that one is open and its interval has not
 * ended by now_ms (wall clock, ms: a running feeder owns it); candles whose
 * interval ended by now_ms written closed, the others open; candles older
 * than the retention of their interval, counted from the key's newest, not
 * written, and the older ones stored trimmed; rows of symbols not in
 * conf->symbols skipped and counted.  On success the one-line summary goes
 * into msg.  Returns 0; CP_ESYNTAX or CP_ENOENT for a bad file or path
 * ("file:line: reason", e.g. a row more than 60 s after now_ms, or
 * "path: ..." in msg; nothing written); CP_EIO when Redis is unreachable or
 * failed (the reason in msg). */
int backfill_run(const struct cp_conf *conf, const char *const *files, size_t n, int64_t now_ms,
                 char *msg, size_t msglen);

#endif
