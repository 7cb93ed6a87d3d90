/* exch_testdata: what the tests of feeder/exch*.c share — the recorded
 * exchange samples ($CRYPTOPULSE_SHARED, else ../shared beside the source
 * tree), a default symbol map and quote buffers set up per test, and
 * builders of each exchange's ticker messages.  One thread; a Check test's
 * checked fixture (setup/teardown) makes and frees the map. */
#ifndef CP_EXCH_TESTDATA_H
#define CP_EXCH_TESTDATA_H

#include <stdbool.h>
#include <stddef.h>

#include "exch.h"
#include "exch_map.h"
#include "exch_number.h"
#include "exch_parse.h"

#define QMAX 8
#define BINANCE_FIELDS 13 /* entries of binance_fields, with the {NULL} end */

/* The samples' folder, with a trailing '/', set by have_samples(). */
extern char samples[512];
/* True when the samples are there; else says so on stderr (the sample
 * tests then pass, as the other tests of shared data do). */
bool have_samples(void);

/* The default map (exch_map_new("")), and what parse() filled. */
extern struct exch_map *map;
extern struct exch_quote q[QMAX];
extern size_t nq;
extern char err[512];
void setup(void);
void teardown(void);

/* exch_parse() of msg (NUL-terminated) for id with map into q, nq and err. */
int parse(enum exch_id id, const char *msg);

/* The whole of a sample file, NUL-terminated; the caller frees it. */
char *read_sample(const char *name);

/* The received messages of a cryptofeed .txt recording ("<epoch>: <raw>"),
 * skipping the connect line and the client's own "<url> <- <epoch>: " lines.
 * Calls check(message, line number) and returns how many it checked. */
size_t each_recorded(const char *name, void (*check)(const char *, size_t));

/* A message built from fields (raw JSON values; the table ends with a NULL
 * key) between prefix and suffix, with field key's value replaced by value
 * (raw JSON), or left out when value is NULL.  Returns a static buffer. */
struct field {
    const char *key, *value;
};

const char *build(const char *prefix, const struct field *f, const char *key, const char *value,
                  const char *suffix);

/* A hostile value (raw JSON) for a key of a ticker; NULL leaves the key out. */
struct hostile {
    const char *key, *value;
};

/* A valid ticker of each exchange (BTCUSDT in a combined-stream envelope;
 * ETH-USD at 2026-08-09T21:05:48.5Z; BTC/USD v2), with key's value replaced
 * or left out as build() does; static buffers. */
extern const struct field binance_fields[BINANCE_FIELDS];
extern const struct field coinbase_fields[];
extern const struct field kraken_fields[];
const char *binance(const char *key, const char *value);
const char *coinbase(const char *key, const char *value);
const char *kraken(const char *key, const char *value);

/* Asserts that msg (line lineno of a recording) of id gives no quotes:
 * CP_EINVAL or EXCH_IGNORED. */
void expect_not_quotes(enum exch_id id, const char *msg, size_t lineno);

#endif
