/* mock: a reproducible random walk of prices (geometric Brownian motion with
 * per-symbol volatility; stablecoins are pulled back to their peg) and an
 * invented per-step volume.  Main loop only; mock_free() frees everything. */
#ifndef CP_MOCK_H
#define CP_MOCK_H

#include <stddef.h>
#include <stdint.h>

struct mock;

/* A walk over the comma list symbols ("BTC,ETH"; spaces allowed), starting at
 * the first 2025-02-02 closes of the shared market data (unknown symbols
 * start at 10 with 100 % volatility), driven by seed.
 * Returns NULL with the reason in err (errlen bytes) for an empty list, a bad
 * or repeated symbol. */
struct mock *mock_new(const char *symbols, uint64_t seed, char *err, size_t errlen);
void mock_free(struct mock *m); /* NULL is a no-op */

size_t mock_count(const struct mock *m);
const char *mock_symbol(const struct mock *m, size_t i); /* borrowed */

/* Advance every symbol by dt_s seconds of market time (> 0). */
void mock_step(struct mock *m, double dt_s);

/* Annualised volatility of symbol i's walk (e.g. 0.8 = 80 % a year). */
double mock_vol(const struct mock *m, size_t i);

/* Continue symbol's walk from price (USD, > 0; otherwise ignored), e.g. the
 * last price another feeder published before this one took over. */
void mock_set_price(struct mock *m, const char *symbol, double price);

/* Current price of symbol i (USD, always > 0) and the volume traded during
 * the last mock_step() (USD notional, >= 0). */
double mock_price(const struct mock *m, size_t i);
double mock_volume(const struct mock *m, size_t i);

#endif
