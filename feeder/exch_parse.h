/* exch_parse: the parser of the exchanges' market-data messages — text in,
 * quotes out, with the symbol map (exch_map.h) to name them.  No I/O, no
 * state; any thread.  The caller owns every buffer. */
#ifndef CP_EXCH_PARSE_H
#define CP_EXCH_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exch.h"

struct exch_map; /* exch_map.h */
#include "price.h"

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

#endif
