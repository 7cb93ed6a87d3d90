/* exch: the exchanges the live feed reads (Binance spot 24 h ticker,
 * Coinbase Advanced Trade ticker and heartbeats, Kraken spot v2 ticker) —
 * their names and default endpoints.  The symbol map is exch_map.h, the
 * connect URLs and subscribe messages exch_request.h, the parser of their
 * messages exch_parse.h, their numbers exch_number.h.  No I/O; any thread;
 * everything returned is static. */
#ifndef CP_EXCH_H
#define CP_EXCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum exch_id { EXCH_BINANCE = 0, EXCH_COINBASE = 1, EXCH_KRAKEN = 2 };
#define EXCH_COUNT 3

#define EXCH_INSTRUMENT_MAX 32 /* bytes of an exchange's instrument name, with the NUL */

/* "binance", "coinbase", "kraken" ("unknown" for an id outside the enum). */
const char *exch_name(enum exch_id id);
/* The exchange called name (lower case, as in FEED_SOURCES).  Returns 0 or
 * CP_ENOENT. */
int exch_from_name(const char *name, enum exch_id *out);
/* The exchange's public endpoint, the default of BINANCE_WS_URL,
 * COINBASE_WS_URL and KRAKEN_WS_URL (NULL for an id outside the enum). */
const char *exch_default_url(enum exch_id id);
/* True when id is one of the enum's exchanges. */
bool exch_id_valid(enum exch_id id);

#endif
