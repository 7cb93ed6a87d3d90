/* live: the rule that turns the exchanges' quotes into one price per symbol
 * per tick — the median of the fresh sources, with outliers left out and
 * stale prices marked (README "Live prices").  No I/O (it logs outliers at
 * most once a minute per source and symbol); main loop only.  live_new()
 * returns an object its creator frees with live_free(). */
#ifndef CP_LIVE_H
#define CP_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exch_parse.h"
#include "price.h"

struct live;

/* Settings of the rule. */
struct live_rule {
    int64_t stale_ms;   /* a source is fresh for a symbol while its last quote is younger */
    double max_dev_pct; /* a source further than this from the median is left out, percent */
};

/* A rule for the comma list symbols (the product's names, "BTC,ETH") over
 * n_sources sources named by sources (borrowed strings, copied), in order of
 * preference (FEED_SOURCES).  Returns NULL with err filled for a bad symbol
 * list or more than PRICE_SOURCES_MAX sources. */
struct live *live_new(const char *symbols, const char *const *sources, size_t n_sources,
                      const struct live_rule *rule, char *err, size_t errlen);
void live_free(struct live *l); /* NULL is a no-op */

size_t live_symbol_count(const struct live *l);
/* The symbols as a comma list (borrowed). */
const char *live_symbols(const struct live *l);
/* Symbol i (0 <= i < live_symbol_count()), borrowed. */
const char *live_symbol(const struct live *l, size_t i);

/* A quote of source (its index in sources) that arrived at now_ms (wall
 * clock, ms).  Quotes of other symbols are ignored.  Returns true when taken;
 * false when q->ts_ms is older than the last quote's of the same source and
 * symbol (the exchange's clock went back, or messages came out of order: the
 * newer one stands), or more than a minute after now_ms. */
bool live_quote(struct live *l, size_t source, const struct exch_quote *q, int64_t now_ms);

/* The prices of the tick id at now_ms into out (room for live_symbol_count();
 * *n filled), in the order of the symbol list, for every symbol some source
 * has quoted: price = the median of the fresh sources' last prices, after
 * leaving out those more than max_dev_pct from the median of all fresh ones
 * (with two fresh sources that far apart, the first in order of preference is
 * used alone), rounded to the symbol's tick size; 24 h change, high, low and
 * volume from the first source used that sends them; sources = those used;
 * stale (the last price kept, its sources too) when no source is fresh.  Each
 * price's ts is now_ms. */
void live_prices(struct live *l, int64_t now_ms, const char *id, struct price *out, size_t *n);

/* Per source: times it was left out of a symbol's price as an outlier. */
uint64_t live_outliers(const struct live *l, size_t source);
/* True when source is fresh for at least one symbol at now_ms. */
bool live_source_fresh(const struct live *l, size_t source, int64_t now_ms);
/* Sources fresh for at least one symbol at now_ms. */
size_t live_fresh_sources(const struct live *l, int64_t now_ms);

#endif
