/* exch_parse_private: what exch_parse.c shares with each exchange's parser
 * (exch_binance.c, exch_coinbase.c, exch_kraken.c): the state of one
 * exch_parse() call and the strict readers of ticker fields.  Not for other
 * modules.  Same thread and ownership as exch_parse.h; JSON values are
 * borrowed from the message being parsed. */
#ifndef CP_EXCH_PARSE_PRIVATE_H
#define CP_EXCH_PARSE_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exch_parse.h"

/* One call of exch_parse(). */
struct exch_parse {
    const struct exch_map *m;
    enum exch_id id;
    struct exch_quote *out;
    size_t max, *n;
    char *err;
    size_t errlen;
    const char *where; /* the mapped instrument being read, for errors */
};

/* The message is malformed: the reason, after "<instrument>: " while one is
 * being read, into p->err, control characters shown as '?'.  Returns
 * CP_EINVAL. */
int exch_parse_fail(struct exch_parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The exchange refused something: its own words text (a JSON string, or a
 * stand-in), with code when has_code, into p->err.  Returns EXCH_REJECT. */
int exch_parse_reject(struct exch_parse *p, const json_t *text, json_int_t code, bool has_code);

/* The string member key of obj (borrowed), NULL when absent; *bad when
 * present but not a string. */
const char *exch_parse_string(const json_t *obj, const char *key, bool *bad);

/* Ticker object t into the next quote of p, with event time ts_ms (0: none),
 * when its instrument is mapped; the values of other instruments are not
 * read.  Returns 0 or CP_EINVAL (exch_parse_fail()). */
int exch_parse_ticker(struct exch_parse *p, const json_t *t, int64_t ts_ms);

/* Every element of array arr (the message's member key, named in errors)
 * through exch_parse_ticker().  Returns EXCH_QUOTES or CP_EINVAL. */
int exch_parse_tickers(struct exch_parse *p, const json_t *arr, const char *key, int64_t ts_ms);

/* Each exchange's parser of a message's JSON root (borrowed): an enum
 * exch_kind or CP_EINVAL, as exch_parse() documents per exchange. */
int exch_binance_parse(struct exch_parse *p, const json_t *root);
int exch_coinbase_parse(struct exch_parse *p, const json_t *root);
int exch_kraken_parse(struct exch_parse *p, const json_t *root);

#endif
