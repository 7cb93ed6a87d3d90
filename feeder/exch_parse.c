/* exch_parse: the parser of the exchanges' messages (exch_parse.h) — JSON in,
 * the message sorted by its envelope by each exchange's own file
 * (exch_binance.c, exch_coinbase.c, exch_kraken.c), then ticker fields read
 * strictly: a message's quotes are taken whole or refused, so that a format
 * change upstream shows up as counted errors rather than as wrong prices. */
#include "config.h"

#include "exch_parse_private.h"

#include "cp_error.h"
#include "exch_map.h"
#include "exch_number.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bounds of a quote's values (exch_parse.h).  The volume bound is far above
 * the largest real 24 h base volumes (meme tokens reach about 1e14 units), so
 * it only catches garbage such as 1e300. */
#define PRICE_LIMIT 1e12
#define VOLUME_LIMIT 1e18

/* Exchange text goes to the logs: no control characters. */
static void sanitize(char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

int exch_parse_fail(struct exch_parse *p, const char *fmt, ...)
{
    size_t off = 0;
    if (p->where && p->errlen > 0)
        off = (size_t)snprintf(p->err, p->errlen, "%s: ", p->where);
    if (off < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + off, p->errlen - off, fmt, ap);
        va_end(ap);
    }
    if (p->errlen > 0)
        sanitize(p->err);
    return CP_EINVAL;
}

/* The exchange refused something: its own words (or a stand-in) in err. */
int exch_parse_reject(struct exch_parse *p, const json_t *text, json_int_t code, bool has_code)
{
    const char *s = json_is_string(text) ? json_string_value(text) : "(no message)";
    if (has_code)
        snprintf(p->err, p->errlen, "%.400s (code %" JSON_INTEGER_FORMAT ")", s, code);
    else
        snprintf(p->err, p->errlen, "%.400s", s);
    if (p->errlen > 0)
        sanitize(p->err);
    return EXCH_REJECT;
}

/* The string member key of obj, NULL when absent, *bad when not a string. */
const char *exch_parse_string(const json_t *obj, const char *key, bool *bad)
{
    const json_t *v = json_object_get(obj, key);
    *bad = v && !json_is_string(v);
    return json_string_value(v);
}

/* A ticker value: a decimal string on Binance and Coinbase, a JSON number on
 * Kraken v2, as each documents it.  The other type is refused: a change of
 * type upstream is a change of format we want to hear about. */
static int get_value(struct exch_parse *p, const json_t *obj, const char *key, double *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return exch_parse_fail(p, "no \"%s\"", key);
    if (p->id == EXCH_KRAKEN) {
        if (!json_is_number(v))
            return exch_parse_fail(p, "\"%s\" is not a JSON number", key);
        *out = json_number_value(v);
        return CP_OK;
    }
    if (!json_is_string(v))
        return exch_parse_fail(p, "\"%s\" is not a decimal string", key);
    if (exch_decimal(json_string_value(v), out) != CP_OK)
        return exch_parse_fail(p, "\"%s\" is not a decimal: \"%.40s\"", key, json_string_value(v));
    return CP_OK;
}

static int check_quote(struct exch_parse *p, const struct exch_quote *q)
{
    if (!(q->price > 0 && q->price < PRICE_LIMIT))
        return exch_parse_fail(p, "price %g is not positive and below 1e12", q->price);
    if (!(q->high24h > 0 && q->high24h < PRICE_LIMIT) ||
        !(q->low24h > 0 && q->low24h < PRICE_LIMIT))
        return exch_parse_fail(p, "24 h high %g or low %g is not positive and below 1e12",
                               q->high24h, q->low24h);
    if (!(q->change24h >= -100 && q->change24h < PRICE_LIMIT))
        return exch_parse_fail(p, "24 h change %g %% is below -100 or not below 1e12",
                               q->change24h);
    if (!(q->volume24h >= 0 && q->volume24h < VOLUME_LIMIT))
        return exch_parse_fail(p, "24 h volume %g is negative or not below 1e18", q->volume24h);
    return CP_OK;
}

/* Each exchange's ticker keys: instrument, price, 24 h change (percent),
 * high, low and base volume. */
static const struct ticker_keys {
    const char *instrument, *price, *change, *high, *low, *volume;
} ticker_keys[EXCH_COUNT] = {
    {"s", "c", "P", "h", "l", "v"},
    {"product_id", "price", "price_percent_chg_24_h", "high_24_h", "low_24_h", "volume_24_h"},
    {"symbol", "last", "change_pct", "high", "low", "volume"},
};

/* Read ticker object t into the next quote when its instrument is mapped.
 * The values of other instruments are not read: a bad figure for a product we
 * do not follow must not cost the quotes of those we do. */
int exch_parse_ticker(struct exch_parse *p, const json_t *t, int64_t ts_ms)
{
    const struct ticker_keys *k = &ticker_keys[p->id];
    bool bad;
    if (!json_is_object(t))
        return exch_parse_fail(p, "a ticker is not an object");
    const char *inst = exch_parse_string(t, k->instrument, &bad);
    if (!inst)
        return exch_parse_fail(p, "a ticker without a \"%s\" string", k->instrument);
    const char *symbol = exch_symbol(p->m, p->id, inst);
    if (!symbol)
        return CP_OK;
    struct exch_quote q = {.has_stats = true, .ts_ms = ts_ms};
    snprintf(q.symbol, sizeof q.symbol, "%s", symbol);
    p->where = exch_instrument(p->m, p->id, symbol);
    int rc = get_value(p, t, k->price, &q.price);
    rc = rc ? rc : get_value(p, t, k->change, &q.change24h);
    rc = rc ? rc : get_value(p, t, k->high, &q.high24h);
    rc = rc ? rc : get_value(p, t, k->low, &q.low24h);
    rc = rc ? rc : get_value(p, t, k->volume, &q.volume24h);
    rc = rc ? rc : check_quote(p, &q);
    p->where = NULL;
    if (rc == CP_OK && *p->n < p->max)
        p->out[(*p->n)++] = q;
    return rc;
}

/* Every element of array arr (of a message's key) through exch_parse_ticker(). */
int exch_parse_tickers(struct exch_parse *p, const json_t *arr, const char *key, int64_t ts_ms)
{
    size_t i;
    const json_t *t;
    if (!json_is_array(arr))
        return exch_parse_fail(p, "no \"%s\" array", key);
    json_array_foreach(arr, i, t)
    {
        int rc = exch_parse_ticker(p, t, ts_ms);
        if (rc != CP_OK)
            return rc;
    }
    return EXCH_QUOTES;
}

int exch_parse(const struct exch_map *m, enum exch_id id, const char *msg, size_t len,
               struct exch_quote *out, size_t max, size_t *n, char *err, size_t errlen)
{
    static int (*const parsers[EXCH_COUNT])(struct exch_parse *, const json_t *) = {
        exch_binance_parse, exch_coinbase_parse, exch_kraken_parse};
    size_t none;
    struct exch_parse p = {m, id, out, out ? max : 0, n ? n : &none, err, err ? errlen : 0, NULL};
    *p.n = 0;
    if (!exch_id_valid(id) || !msg)
        return exch_parse_fail(&p, "no such exchange or no message");
    json_error_t jerr;
    /* Duplicate keys would make a quote ambiguous: refused. */
    json_t *root = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return exch_parse_fail(&p, "not JSON: %s (byte %d)", jerr.text, jerr.position);
    int rc = parsers[id](&p, root);
    json_decref(root);
    if (rc != EXCH_QUOTES)
        *p.n = 0; /* a message's quotes are valid whole or not at all */
    return rc;
}
