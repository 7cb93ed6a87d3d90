/* history: a symbol's recent prices from the history stream's ticks, the
 * payload of GET /history and of the WebSocket history event (docs/PROTOCOL.md
 * §1, §2).  Pure functions, any loop; json_t results are new references. */
#ifndef CP_HISTORY_H
#define CP_HISTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "candles.h"

#define HISTORY_DEFAULT_LIMIT 60
#define HISTORY_MAX_LIMIT 1000 /* points per request */

/* Stream entries to read for limit points: a symbol may be missing from a
 * tick (gaps in replayed data), so read twice as many. */
int history_ticks_for(int limit);

/* {"symbol":symbol,"points":[[ts_ms,price],...]}, oldest first, at most limit
 * points, from n tick JSON texts given newest first (ticks[i] is lens[i]
 * bytes).  Ticks that do not parse, or lack the symbol, are skipped. */
json_t *history_points(const char *symbol, const char *const *ticks, const size_t *lens, size_t n,
                       int limit);

/* Validate a request's symbol and limit text (limit NULL: the default).
 * Returns 0 with *out set, or CP_EINVAL with the reason in err. */
int history_check(const char *symbol, const char *limit, int *out, char *err, size_t errlen);

/* True when symbol is an entry of list, the feed's comma list of symbols
 * (KEYS_SYMBOLS); list NULL or empty (no feed yet) accepts any symbol. */
bool history_symbol_listed(const char *list, const char *symbol);

/* A checked history request (docs/PROTOCOL.md §1 /history, §2 history):
 * candles (interval given) per q, or the old points form, limit points of
 * q.symbol.  q.symbol is a valid symbol in both forms (whether the feed
 * carries it is for the caller to check). */
struct history_query {
    bool candles;
    struct candles_query q; /* candles: the whole query; points: q.symbol only */
    int limit;              /* points: 1..HISTORY_MAX_LIMIT */
};

/* Check the query string of GET /history (symbol, interval, from, to,
 * limit; percent-encoded) into *hq: candles when interval is given, else
 * the points form.  Returns 0, or CP_EINVAL with the reason, naming the
 * parameter, in err (errlen bytes). */
int history_query_parse(const char *query, struct history_query *hq, char *err, size_t errlen);

#endif
