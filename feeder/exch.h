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

/* "binance", "coinbase", "kraken" ("unknown" for an id outside the enum). */
const char *exch_name(enum exch_id id);
/* The exchange called name (lower case, as in FEED_SOURCES).  Returns 0 or
 * CP_ENOENT. */
int exch_from_name(const char *name, enum exch_id *out);
/* The exchange's public endpoint, the default of BINANCE_WS_URL,
 * COINBASE_WS_URL and KRAKEN_WS_URL (NULL for an id outside the enum). */
const char *exch_default_url(enum exch_id id);

/* The symbol map: the product's symbols ("BTC") to each exchange's
 * instruments ("BTCUSDT", "BTC-USD", "BTC/USD"; USDT pairs stand for USD on
 * Binance).  Built-in entries for the default SYMBOLS, extended or overridden
 * by extra (FEED_SYMBOL_MAP): a comma list of "exchange:SYMBOL=INSTRUMENT",
 * e.g. "binance:MATIC=POLUSDT,kraken:DOGE=XDG/USD"; empty (or NULL) for none.
 * An entry replaces the built-in one of its symbol and any that maps its
 * instrument (one symbol per instrument); an empty INSTRUMENT
 * ("coinbase:USDT=") unmaps the symbol.  Instruments are spelt as each
 * exchange does, upper case: A-Z0-9 on Binance, BASE-QUOTE on Coinbase,
 * BASE/QUOTE on Kraken, under EXCH_INSTRUMENT_MAX.  Returns NULL with the
 * offending entry named in err ("entry 2 \"kraken:BTC=BTCUSD\": ...", without
 * the setting's name) when extra is malformed: bad syntax, an unknown exchange,
 * a symbol price_symbol_valid() refuses, an instrument spelt otherwise, an
 * empty entry, or two entries for one symbol or one instrument of an exchange.
 * Built in: BTC ETH SOL XRP ADA DOGE AVAX DOT LINK LTC everywhere; BNB on
 * Binance only; MATIC as POL (POLUSDT, POL-USD, POL/USD: the token was
 * renamed); USDT on Coinbase and Kraken (no Binance pair prices it); USDC as
 * USDCUSDT and USDC/USD (Coinbase counts USDC as USD). */
struct exch_map;
struct exch_map *exch_map_new(const char *extra, char *err, size_t errlen);
void exch_map_free(struct exch_map *m); /* NULL is a no-op */
/* The instrument of symbol on exchange id (borrowed, lives as long as m), or
 * NULL when unmapped. */
const char *exch_instrument(const struct exch_map *m, enum exch_id id, const char *symbol);
/* The product's symbol for an instrument of exchange id (exact, case-sensitive
 * match), or NULL. */
const char *exch_symbol(const struct exch_map *m, enum exch_id id, const char *instrument);

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

/* One exchange's view of one symbol, from one message. */
struct exch_quote {
    char symbol[PRICE_SYMBOL_MAX]; /* the product's symbol ("BTC") */
    double price;                  /* last trade price, quote currency */
    bool has_stats;                /* the 24 h figures below are set */
    double change24h;              /* percent */
    double high24h, low24h;
    double volume24h; /* base asset */
    int64_t ts_ms;    /* the exchange's event time, 0 when it sends none */
};

/* What a message was. */
enum exch_kind {
    EXCH_QUOTES = 0, /* prices: *n quotes filled */
    EXCH_HEARTBEAT,  /* alive, no price (Coinbase heartbeats, Kraken's) */
    EXCH_ACK,        /* a subscription confirmed, or another control message */
    EXCH_REJECT,     /* the exchange refused or reported an error: its text in err */
    EXCH_IGNORED,    /* well-formed, but nothing the feed uses (other channels) */
};

/* Parse one text message of exchange id.  Returns an enum exch_kind, or
 * CP_EINVAL for a malformed message (not JSON, a price that is not a positive
 * finite decimal below 1e12, a missing field), with the reason in err.  For
 * EXCH_QUOTES, fills up to max quotes of mapped symbols into out (*n of
 * them; quotes of unmapped instruments are skipped).  Prices and statistics
 * are taken from decimal strings (Binance, Coinbase) or JSON numbers (Kraken
 * v2) with exch_decimal()'s rules, and not yet rounded.
 *
 * Strict, so that a format change shows up as errors, not wrong prices: the
 * other JSON type for a value (a number where a string is documented, or on
 * Kraken a string where a number is) is CP_EINVAL, as are duplicate keys.  A
 * quote needs all five figures (has_stats is then true): price positive and
 * below 1e12, high and low too, change24h from -100 and below 1e12, volume24h
 * from 0 and below 1e18.  A message's quotes are valid whole or not at all: on
 * any other result *n is 0.  The values of unmapped instruments are not read,
 * so a message of only those is EXCH_QUOTES with *n 0.  No state: an event time
 * going backwards is the caller's business.  A REJECT's err is the
 * exchange's own text, control characters shown as '?'.
 * - Binance (combined-stream envelope, or a bare payload): 24hrTicker (ts_ms
 *   from "E", a positive integer) is QUOTES; {"result":..,"id":..} and
 *   serverShutdown (the close that follows makes the owner reconnect) ACK;
 *   {"code","msg"} and {"error":{..}} REJECT; other events, bookTicker (no
 *   "e") and all-market arrays IGNORED; anything else CP_EINVAL.
 * - Coinbase Advanced Trade: channel ticker is QUOTES (ts_ms from the
 *   message's "timestamp", exch_rfc3339_ms()), heartbeats HEARTBEAT,
 *   subscriptions ACK, other channels IGNORED, {"type":"error"} REJECT; a
 *   message without "channel" (the older Coinbase Exchange feed) CP_EINVAL.
 * - Kraken v2: channel ticker is QUOTES with ts_ms 0, heartbeat HEARTBEAT,
 *   status ACK, other channels IGNORED; a "method" reply ACK, or REJECT with
 *   its "error" when "success" is false; v1 arrays and objects with neither
 *   "method" nor "channel" CP_EINVAL, so that a v1 URL is loud. */
int exch_parse(const struct exch_map *m, enum exch_id id, const char *msg, size_t len,
               struct exch_quote *out, size_t max, size_t *n, char *err, size_t errlen);

/* Parse a decimal string as exchanges send them ("97123.45000000", "-1.23",
 * "0"): an optional minus, digits, an optional fraction; nothing else (no
 * exponent, "NaN", "Infinity", spaces or hex).  The nearest double.  Returns
 * 0 or CP_EINVAL. */
int exch_decimal(const char *s, double *out);

/* Parse an RFC 3339 UTC time as Coinbase sends it ("2026-08-09T21:05:48.
 * 229198328Z"): upper-case 'T' and 'Z', no offset, an optional fraction of
 * 1-9 digits, years 1970-9999, no leap second.  Milliseconds since the Unix
 * epoch, the fraction truncated.  Returns 0 or CP_EINVAL. */
int exch_rfc3339_ms(const char *s, int64_t *out);

#endif
