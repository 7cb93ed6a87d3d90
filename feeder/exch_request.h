/* exch_request: what the live feed asks an exchange for — the URL to
 * connect to and the messages that subscribe to tickers, from the symbol map
 * (exch_map.h).  No I/O; any thread; subscribe messages are the caller's to
 * free. */
#ifndef CP_EXCH_REQUEST_H
#define CP_EXCH_REQUEST_H

#include <stddef.h>

#include "exch.h"
#include "exch_map.h"

#define EXCH_REQUEST_SUBSCRIBE_MAX 4 /* messages exch_request_subscribe() may return */

/* The URL to connect to for symbols (n of them) on exchange id, given its
 * base URL (ws:// or wss://, from the setting): Binance combined streams
 * carry the subscription in the URL ("<base>/stream?streams=btcusdt@ticker/
 * ethusdt@ticker"; a base that already ends in "/stream" is not doubled);
 * the others use base as it is.  Unmapped symbols are left out, and so are
 * repeats; with none left the Binance URL names no stream, so the caller checks
 * exch_instrument() first.  Trailing slashes of base are dropped; base carries
 * no query.  Writes a NUL-terminated URL into out (cap bytes).  Returns its
 * length, or CP_ETOOBIG (out then holds ""). */
int exch_request_connect_url(const struct exch_map *m, enum exch_id id, const char *base,
                             const char *const *symbols, size_t n, char *out, size_t cap);

/* The messages to send once the WebSocket is open, to subscribe to symbols'
 * tickers: none for Binance (the URL holds them), {"type":"subscribe",
 * "product_ids":[...],"channel":"ticker"} and the same for "heartbeats" on
 * Coinbase, {"method":"subscribe","params":{"channel":"ticker","symbol":[...],
 * "snapshot":true},"req_id":1} on Kraken v2, compact, keys in that order,
 * unmapped symbols and repeats left out.  Each message is malloc'd into msgs
 * (room for EXCH_REQUEST_SUBSCRIBE_MAX); the caller frees them.  Returns the count: 0
 * for Binance, and when no symbol is mapped. */
size_t exch_request_subscribe(const struct exch_map *m, enum exch_id id, const char *const *symbols,
                              size_t n, char **msgs);

#endif
