/* exch: the public market-data WebSocket formats of the exchanges the live
 * feed reads (Binance spot 24 h ticker, Coinbase Advanced Trade ticker and
 * heartbeats, Kraken spot v2 ticker) — connect URLs, subscribe messages,
 * the symbol map and the parser of their messages.  No I/O: text in,
 * quotes out.  Any thread.  An exch_map is owned by its creator and freed
 * with exch_map_free(). */
#ifndef CP_EXCH_H
#define CP_EXCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "price.h"

enum exch_id { EXCH_BINANCE = 0, EXCH_COINBASE = 1, EXCH_KRAKEN = 2 };
#define EXCH_COUNT 3

#define EXCH_INSTRUMENT_MAX 32 /* bytes of an exchange's instrument name, with the NUL */
#define EXCH_SUBSCRIBE_MAX 4   /* messages exch_subscribe() may return */

/* "binance", "coinbase", "kraken". */
const char *exch_name(enum exch_id id);
/* The exchange called name (lower case, as in FEED_SOURCES).  Returns 0 or
 * CP_ENOENT. */
int exch_from_name(const char *name, enum exch_id *out);
/* The exchange's public endpoint, the default of BINANCE_WS_URL,
 * COINBASE_WS_URL and KRAKEN_WS_URL. */
const char *exch_default_url(enum exch_id id);

/* The symbol map: the product's symbols ("BTC") to each exchange's
 * instruments ("BTCUSDT", "BTC-USD", "BTC/USD"; USDT pairs stand for USD on
 * Binance).  Built-in entries for the default SYMBOLS, extended or overridden
 * by extra (FEED_SYMBOL_MAP): a comma list of "exchange:SYMBOL=INSTRUMENT",
 * e.g. "binance:MATIC=POLUSDT,kraken:DOGE=XDG/USD"; empty for none.  Returns
 * NULL with the offending entry named in err when extra is malformed. */
struct exch_map;
struct exch_map *exch_map_new(const char *extra, char *err, size_t errlen);
void exch_map_free(struct exch_map *m); /* NULL is a no-op */
/* The instrument of symbol on exchange id (borrowed), or NULL when unmapped. */
const char *exch_instrument(const struct exch_map *m, enum exch_id id, const char *symbol);
/* The product's symbol for an instrument of exchange id, or NULL. */
const char *exch_symbol(const struct exch_map *m, enum exch_id id, const char *instrument);

/* The URL to connect to for symbols (n of them) on exchange id, given its
 * base URL (ws:// or wss://, from the setting): Binance combined streams
 * carry the subscription in the URL ("<base>/stream?streams=btcusdt@ticker/
 * ethusdt@ticker"; a base that already ends in "/stream" is not doubled);
 * the others use base as it is.  Unmapped symbols are left out.  Writes a
 * NUL-terminated URL into out (cap bytes).  Returns its length, or
 * CP_ETOOBIG. */
int exch_connect_url(const struct exch_map *m, enum exch_id id, const char *base,
                     const char *const *symbols, size_t n, char *out, size_t cap);

/* The messages to send once the WebSocket is open, to subscribe to symbols'
 * tickers: none for Binance (the URL holds them), {"type":"subscribe",
 * "product_ids":[...],"channel":"ticker"} and the same for "heartbeats" on
 * Coinbase, {"method":"subscribe","params":{"channel":"ticker","symbol":[...],
 * "snapshot":true},"req_id":1} on Kraken v2.  Each message is malloc'd into
 * msgs (room for EXCH_SUBSCRIBE_MAX); the caller frees them.  Returns the
 * count. */
size_t exch_subscribe(const struct exch_map *m, enum exch_id id, const char *const *symbols,
                      size_t n, char **msgs);

/* One exchange's view of one symbol, from one message. */
struct exch_quote {
    char symbol[PRICE_SYMBOL_MAX]; /* the product's symbol ("BTC") */
    double price;                  /* last trade price, quote currency */
    bool has_stats;                /* the 24 h figures below are set */
    double change24h;              /* percent */
    double high24h, low24h;
    double volume24h;              /* base asset */
    int64_t ts_ms;                 /* the exchange's event time, 0 when it sends none */
};

/* What a message was. */
enum exch_kind {
    EXCH_QUOTES = 0,   /* prices: *n quotes filled */
    EXCH_HEARTBEAT,    /* alive, no price (Coinbase heartbeats, Kraken's) */
    EXCH_ACK,          /* a subscription confirmed, or another control message */
    EXCH_REJECT,       /* the exchange refused or reported an error: its text in err */
    EXCH_IGNORED,      /* well-formed, but nothing the feed uses (other channels) */
};

/* Parse one text message of exchange id.  Returns an enum exch_kind, or
 * CP_EINVAL for a malformed message (not JSON, a price that is not a positive
 * finite decimal below 1e12, a missing field), with the reason in err.  For
 * EXCH_QUOTES, fills up to max quotes of mapped symbols into out (*n of
 * them; quotes of unmapped instruments are skipped).  Prices and statistics
 * are taken from decimal strings (Binance, Coinbase) or JSON numbers (Kraken
 * v2) with exch_decimal()'s rules, and not yet rounded. */
int exch_parse(const struct exch_map *m, enum exch_id id, const char *msg, size_t len,
               struct exch_quote *out, size_t max, size_t *n, char *err, size_t errlen);

/* Parse a decimal string as exchanges send them ("97123.45000000", "-1.23",
 * "0"): an optional minus, digits, an optional fraction; nothing else (no
 * exponent, "NaN", "Infinity", spaces or hex).  The nearest double.  Returns
 * 0 or CP_EINVAL. */
int exch_decimal(const char *s, double *out);

#endif
