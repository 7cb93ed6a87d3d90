/* exch_map: the symbol map of the live feed, the product's symbols to each
 * exchange's instruments and back.  No I/O; any thread, read-only once
 * built.  An exch_map is owned by its creator and freed with
 * exch_map_free(); the strings it returns live as long as it. */
#ifndef CP_EXCH_MAP_H
#define CP_EXCH_MAP_H

#include <stddef.h>

#include "exch.h"
#include "price.h"

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
struct exch_map *exch_map_new(const char *extra, char *err, size_t errlen);
void exch_map_free(struct exch_map *m); /* NULL is a no-op */
/* The instrument of symbol on exchange id (borrowed, lives as long as m), or
 * NULL when unmapped. */
const char *exch_instrument(const struct exch_map *m, enum exch_id id, const char *symbol);
/* The product's symbol for an instrument of exchange id (exact, case-sensitive
 * match), or NULL. */
const char *exch_symbol(const struct exch_map *m, enum exch_id id, const char *instrument);

#endif
