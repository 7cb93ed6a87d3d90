/* price: the price object and tick of docs/PROTOCOL.md §2 and §4 — rounding to each
 * symbol's tick size and the JSON shape.  Pure functions, any thread.
 * json_t results are new references the caller must json_decref(). */
#ifndef CP_PRICE_H
#define CP_PRICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRICE_SYMBOL_MAX 16 /* bytes, including the NUL */
#define PRICE_ID_MAX 48     /* bytes of a tick id, including the NUL */
#define PRICE_SOURCES_MAX 8 /* exchanges one price may name in "sources" */
#define PRICE_SOURCE_MAX 32 /* bytes of one source name, including the NUL */

/* jansson flags for every price JSON we write: compact, and 15 significant
 * digits so that a value rounded to its tick size prints without float noise
 * (97123.45, never 97123.45000000001). */
#define PRICE_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

struct price {
    char symbol[PRICE_SYMBOL_MAX]; /* base asset, "BTC" */
    double price;                  /* quote currency (USD) */
    double change24h;              /* percent */
    double volume24h;              /* as the source reports it */
    double high24h, low24h;
    int64_t ts;            /* ms since the Unix epoch when produced */
    char id[PRICE_ID_MAX]; /* tick id (docs/PROTOCOL.md §4) */
    /* Live exchange data only (live set): the exchanges the price came from,
     * and stale when none was fresh (the last price kept). */
    bool live;
    bool stale;
    unsigned n_sources;
    char sources[PRICE_SOURCES_MAX][PRICE_SOURCE_MAX];
};

/* True for 1-15 characters of A-Z and 0-9: how the product names a symbol. */
bool price_symbol_valid(const char *symbol);

/* Decimal places of symbol's tick size (BTC: 2, XRP: 4, DOGE: 5).  Unknown
 * symbols get six significant digits of ref_price, between 0 and 8 places. */
int price_decimals(const char *symbol, double ref_price);

/* value rounded half away from zero to decimals places. */
double price_round(double value, int decimals);

/* The price object JSON of docs/PROTOCOL.md §2, prices rounded to the tick size,
 * change24h to 0.01 %, volume to 0.001; with "sources" and "stale" when
 * p->live. */
json_t *price_to_json(const struct price *p);

/* Parse and validate a price object, "sources" and "stale" included when
 * present (they set out->live).  Returns 0, or CP_EINVAL with the reason in
 * err (errlen bytes). */
int price_from_json(const json_t *obj, struct price *out, char *err, size_t errlen);

/* The price object as the contract defines it (docs/PROTOCOL.md §2), built from
 * obj: the same values, no other fields.  Validates as price_from_json(),
 * plus the optional fields of live data: "sources", an array of 1 to
 * PRICE_SOURCES_MAX names of 1-31 characters [a-z0-9_-], and "stale", a
 * boolean.  Unknown fields are left out, so that whatever else a producer
 * writes never reaches clients.  Returns a new object, or NULL with the
 * reason in err. */
json_t *price_clean(const json_t *obj, char *err, size_t errlen);

/* A tick {"id","ts","prices":[...]} rebuilt from tick with only those fields
 * and each price passed through price_clean().  id must parse as a tick id
 * (docs/PROTOCOL.md §4) and ts be a non-negative integer.  Returns a new object,
 * or NULL with the reason, naming the tick, in err: a tick is valid whole or
 * not at all. */
json_t *price_tick_clean(const json_t *tick, char *err, size_t errlen);

/* The tick JSON published and stored per tick, which is also the data of a
 * price-update-bulk message: {"id":id,"ts":ts,"prices":[...]}. */
json_t *price_tick_to_json(const char *id, int64_t ts, const struct price *prices, size_t n);

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t price_now_ms(void);

#endif
