/* candle: one line of a market-data CSV file parsed into a struct candle.
 * Pure functions, no I/O; any thread (the feeder calls them at start-up).
 * The caller owns every buffer; nothing is allocated here. */
#ifndef CP_CANDLE_H
#define CP_CANDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "price.h"

/* The CSV layouts the replay understands. */
enum candle_layout {
    /* ts_ms,symbol,open,high,low,close,volume; symbol "BTC-USD"; the combined
     * file of /work/shared/data/market (volume in USD notional). */
    CANDLE_LAYOUT_SHARED,
    /* Binance public-data klines, 12 columns: open_time,open,high,low,close,
     * volume,close_time,quote_volume,count,taker_buy_volume,
     * taker_buy_quote_volume,ignore; one symbol per file, named in the file name. */
    CANDLE_LAYOUT_BINANCE,
};

struct candle {
    int64_t ts_ms;                 /* start of the candle, ms since the Unix epoch */
    char symbol[PRICE_SYMBOL_MAX]; /* base asset, "BTC" */
    double open, high, low, close; /* quote currency, exactly as parsed */
    double volume;                 /* quote-currency notional (USD or USDT) */
};

/* Guess the layout from the first line of a file (without its newline).
 * Sets *layout and *is_header (true when the line is a header to skip).
 * Returns 0, or CP_ESYNTAX with the reason in why (whylen bytes). */
int candle_detect_layout(const char *line, enum candle_layout *layout, bool *is_header, char *why,
                         size_t whylen);

/* Base symbol of a Binance kline file from its path: the name part before
 * the first '-' with a quote suffix (FDUSD, USDT, USDC, BUSD, USD) removed,
 * "data/BTCUSDT-1m-2025-01-01.csv" -> "BTC".  out holds PRICE_SYMBOL_MAX
 * bytes.  Returns 0, or CP_EINVAL with the reason in why. */
int candle_symbol_from_path(const char *path, char *out, char *why, size_t whylen);

/* Parse one data line (no newline; a trailing '\r' is ignored) of layout.
 * file_symbol is the symbol for CANDLE_LAYOUT_BINANCE (ignored otherwise).
 * Binance open_time in microseconds (files from 2025 on) is converted to ms.
 * Prices must be finite, > 0 and < 1e12 with high >= low; the volume used
 * finite, >= 0 and < 1e15; the time a whole minute (not floored: rejected).
 * Returns 0 with *out filled, or CP_ESYNTAX with the reason in why. */
int candle_parse_line(enum candle_layout layout, const char *line, const char *file_symbol,
                      struct candle *out, char *why, size_t whylen);

#endif
