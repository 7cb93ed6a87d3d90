/* keys: the names of every Redis key and channel CryptoPulse uses, so the
 * feeder, gateway and FastCGI handler agree (README.md "Redis layout").
 * Pure functions, any thread; the caller owns the output buffer. */
#ifndef CP_KEYS_H
#define CP_KEYS_H

#include <stddef.h>

enum keys_kind {
    KEYS_PRICE,     /* string: latest price object JSON of one symbol, with TTL */
    KEYS_HISTORY,   /* stream: one entry per tick, field "tick" = tick JSON */
    KEYS_CHANNEL,   /* pub/sub channel: tick JSON per tick */
    KEYS_HEARTBEAT, /* string: ms timestamp of the feeder's last tick */
    KEYS_SYMBOLS,   /* string: comma list of the feed's symbols */
    KEYS_STATS, /* string, with TTL: one gateway worker's counters; suffix "<instance>/<worker>" */
    KEYS_STATS_INDEX, /* sorted set: KEYS_STATS keys scored by their last write, ms */
    KEYS_SOURCES,     /* string, with TTL: the live feed's exchanges and their state, JSON */
    KEYS_CANDLES,     /* sorted set: one symbol's candles of one interval; suffix "<SYM>:<interval>"
                       * (lib/candles.h) */
};

#define KEYS_MAX 512 /* large enough for any prefix and symbol conf accepts */

/* Write prefix + the name of kind (+ symbol, the suffix, for KEYS_PRICE,
 * KEYS_STATS and KEYS_CANDLES) into buf of
 * len bytes.  Returns the length written, or CP_ETOOBIG if it does not fit. */
int keys_format(char *buf, size_t len, const char *prefix, enum keys_kind kind, const char *symbol);

#endif
