/* exch: the exchanges the live feed reads (Binance spot 24 h ticker,
 * Coinbase Advanced Trade ticker and heartbeats, Kraken spot v2 ticker) —
 * their names, default endpoints, connect URLs and subscribe messages.  The
 * symbol map is exch_map.h, the parser of their messages exch_parse.h, their
 * numbers exch_number.h.  No I/O; any thread; subscribe messages are the
 * caller's to free. */
#ifndef CP_EXCH_H
#define CP_EXCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum exch_id { EXCH_BINANCE = 0, EXCH_COINBASE = 1, EXCH_KRAKEN = 2 };
#define EXCH_COUNT 3

#define EXCH_INSTRUMENT_MAX 32 /* bytes of an exchange's instrument name, with the NUL */
#define EXCH_SUBSCRIBE_MAX 4   /* messages exch_subscribe() may return */

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

struct exch_map; /* exch_map.h */

/* The URL to connect to for symbols (n of them) on exchange id, given its
 * base URL (ws:// or wss://, from the setting): Binance combined streams
 * carry the subscription in the URL ("<base>/stream?streams=btcusdt@ticker/
 * ethusdt@ticker"; a base that already ends in "/stream" is not doubled);
 * the others use base as it is.  Unmapped symbols are left out, and so are
 * repeats; with none left the Binance URL names no stream, so the caller checks
 * exch_instrument() first.  Trailing slashes of base are dropped; base carries
 * no query.  Writes a NUL-terminated URL into out (cap bytes).  Returns its
 * length, or CP_ETOOBIG (out then holds ""). */
int exch_connect_url(const struct exch_map *m, enum exch_id id, const char *base,
                     const char *const *symbols, size_t n, char *out, size_t cap);

/* The messages to send once the WebSocket is open, to subscribe to symbols'
 * tickers: none for Binance (the URL holds them), {"type":"subscribe",
 * "product_ids":[...],"channel":"ticker"} and the same for "heartbeats" on
 * Coinbase, {"method":"subscribe","params":{"channel":"ticker","symbol":[...],
 * "snapshot":true},"req_id":1} on Kraken v2, compact, keys in that order,
 * unmapped symbols and repeats left out.  Each message is malloc'd into msgs
 * (room for EXCH_SUBSCRIBE_MAX); the caller frees them.  Returns the count: 0
 * for Binance, and when no symbol is mapped. */
size_t exch_subscribe(const struct exch_map *m, enum exch_id id, const char *const *symbols,
                      size_t n, char **msgs);

#endif
