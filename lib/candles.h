/* candles: OHLCV candles of 1m, 5m, 1h and 1d (README "Price history",
 * docs/PROTOCOL.md §1 /history) — the interval table, the Redis member each
 * candle is stored as (the feeder writes it; the gateway and the FastCGI
 * handler serve it unparsed), the /history?interval= request check and the
 * response built from stored members.  Pure functions, any thread; the
 * caller owns every buffer. */
#ifndef CP_CANDLES_H
#define CP_CANDLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "price.h"

enum candles_interval {
    CANDLES_1M,
    CANDLES_5M,
    CANDLES_1H,
    CANDLES_1D,
    CANDLES_INTERVALS /* how many */
};

#define CANDLES_DEFAULT_LIMIT 500          /* candles per request without limit */
#define CANDLES_MAX_LIMIT 5000             /* candles per request at most */
#define CANDLES_CACHE_MAX_AGE 86400        /* s: Cache-Control max-age of closed ranges */
#define CANDLES_MEMBER_MAX 160             /* bytes of a stored member, including the NUL */
#define CANDLES_TIME_MAX 253402300799999LL /* ms: 9999-12-31T23:59:59.999Z */

/* One candle: the interval starting at open_ms (UTC-aligned, ms since the
 * epoch); prices in the quote currency, volume its notional. */
struct ohlcv {
    int64_t open_ms;
    double open, high, low, close, volume;
    bool is_open; /* the interval is still in progress: the candle may change */
};

/* "1m", "5m", "1h", "1d". */
const char *candles_interval_name(enum candles_interval iv);
/* Length of iv in ms (60000 ... 86400000). */
int64_t candles_interval_ms(enum candles_interval iv);
/* Parse an interval name.  Returns 0 with *out set, or CP_EINVAL. */
int candles_interval_parse(const char *name, enum candles_interval *out);
/* Open time of the candle of iv that holds t (ms >= 0): t - t % length. */
int64_t candles_bucket(int64_t t, enum candles_interval iv);

/* The Redis key of symbol's candles of iv ("<prefix>candles:BTC:1h", a
 * sorted set scored by open_ms) into buf (KEYS_MAX bytes).  Returns the
 * length, or CP_ETOOBIG. */
int candles_key(char *buf, size_t len, const char *prefix, const char *symbol,
                enum candles_interval iv);

/* The stored member of b into buf (len >= CANDLES_MEMBER_MAX): 'o' (open) or
 * 'c' (closed), then the JSON array [open_ms,o,h,l,c,v] as served — prices
 * rounded to symbol's tick size (price.h price_decimals() of the close),
 * volume to 0.001, 15 significant digits.  Returns the length, or
 * CP_ETOOBIG. */
int candles_member(const struct ohlcv *b, const char *symbol, char *buf, size_t len);

/* Parse a stored member of len bytes (not NUL-terminated) into *out.
 * Returns 0, or CP_ESYNTAX for anything candles_member() would not write
 * (bad flag, not six finite numbers, high below low...). */
int candles_member_parse(const char *member, size_t len, struct ohlcv *out);

/* A checked /history?interval= request (docs/PROTOCOL.md §1). */
struct candles_query {
    char symbol[PRICE_SYMBOL_MAX];
    enum candles_interval interval;
    bool has_from, has_to;
    int64_t from, to; /* ms, open times, both inclusive */
    int limit;        /* 1..CANDLES_MAX_LIMIT */
    /* ms the feeder keeps this interval (CANDLE_RETENTION_*_DAYS), for
     * caching; 0 when unknown (candles_query_check() sets 0) */
    int64_t retention_ms;
};

/* Check the parameters of a request for candles, each the decoded text of
 * the query parameter or NULL when absent (from, to: whole ms 0 ..
 * CANDLES_TIME_MAX; limit 1..CANDLES_MAX_LIMIT, default
 * CANDLES_DEFAULT_LIMIT; from <= to).  interval NULL is allowed only when
 * from and to are absent too (the caller then serves the old points form):
 * returns CP_ENOENT.  Returns 0 with *q filled, or CP_EINVAL with the reason,
 * naming the parameter, in err (errlen bytes). */
int candles_query_check(const char *symbol, const char *interval, const char *from, const char *to,
                        const char *limit, struct candles_query *q, char *err, size_t errlen);

/* The sorted-set range read for q: when *reverse is false,
 * ZRANGEBYSCORE key min max LIMIT 0 limit (from given: the first limit
 * candles from it); when true, ZREVRANGEBYSCORE key max min LIMIT 0 limit
 * (no from: the last limit candles up to to), whose members come newest
 * first.  min and max get 24 bytes each ("-inf", "+inf" or a number). */
void candles_query_range(const struct candles_query *q, char min[24], char max[24], bool *reverse);

/* The response body of q from the n members read (newest first when reverse)
 * as strings of lens bytes, and newest (newest_len bytes; NULL when the key
 * is empty), the key's newest member read with ZRANGE key -1 -1:
 * {"symbol","interval","candles":[[open_ms,o,h,l,c,v],...],"last_open":b},
 * oldest first, members that are not a flag and six JSON numbers left out (their
 * values are not checked: the feeder wrote them).  *cacheable is set when
 * the answer stays true for CANDLES_CACHE_MAX_AGE: to was given and lies
 * before the newest candle's open time (every candle of the range is closed
 * and no new one can enter it), and, with q->retention_ms, the first candle
 * is young enough that the feeder's trimming will not remove it by then.  Returns a malloc'd
 * NUL-terminated string (*len bytes) the caller frees. */
char *candles_response(const struct candles_query *q, const char *const *members,
                       const size_t *lens, size_t n, bool reverse, const char *newest,
                       size_t newest_len, bool *cacheable, size_t *len);

#endif
