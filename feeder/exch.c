/* exch: the exchanges' market-data formats (exch.h).  Each parser first sorts
 * a message by its envelope, then reads ticker fields strictly: a message's
 * quotes are taken whole or refused, so that a format change upstream shows up
 * as counted errors rather than as wrong prices. */
#include "config.h"

#include "exch.h"

#include "cp_error.h"
#include "xalloc.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIGITS "0123456789"
#define UPPER_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* Bounds of a quote's values (exch.h).  The volume bound is far above the
 * largest real 24 h base volumes (meme tokens reach about 1e14 units), so it
 * only catches garbage such as 1e300. */
#define PRICE_LIMIT 1e12
#define VOLUME_LIMIT 1e18
#define TS_MS_MAX 253402300799999LL /* 9999-12-31T23:59:59.999Z */

static const char *const exch_names[EXCH_COUNT] = {"binance", "coinbase", "kraken"};
static const char *const exch_urls[EXCH_COUNT] = {"wss://stream.binance.com:9443",
                                                  "wss://advanced-trade-ws.coinbase.com",
                                                  "wss://ws.kraken.com/v2"};

static bool id_valid(enum exch_id id)
{
    return (unsigned)id < EXCH_COUNT;
}

const char *exch_name(enum exch_id id)
{
    return id_valid(id) ? exch_names[id] : "unknown";
}

int exch_from_name(const char *name, enum exch_id *out)
{
    for (int i = 0; name && i < EXCH_COUNT; i++) {
        if (strcmp(name, exch_names[i]) == 0) {
            *out = (enum exch_id)i;
            return CP_OK;
        }
    }
    return CP_ENOENT;
}

const char *exch_default_url(enum exch_id id)
{
    return id_valid(id) ? exch_urls[id] : NULL;
}

/* ---- The symbol map ---- */

/* Instruments of the default SYMBOLS, NULL where the exchange has no USD (or,
 * on Binance, USDT) market for it.  MATIC became POL (a 1:1 token migration
 * in September 2024, after which the exchanges delisted MATIC pairs): its
 * quotes come from the POL markets while the product keeps calling it MATIC.
 * Binance has no pair pricing USDT itself, Coinbase counts USDC as USD (no
 * USDC-USD book), and BNB trades on Binance only.  Kraken v2 spells BTC and
 * DOGE so, not XBT and XDG as v1 did. */
static const struct {
    const char *symbol;
    const char *instrument[EXCH_COUNT]; /* binance, coinbase, kraken */
} builtin[] = {
    {"BTC", {"BTCUSDT", "BTC-USD", "BTC/USD"}},     {"ETH", {"ETHUSDT", "ETH-USD", "ETH/USD"}},
    {"SOL", {"SOLUSDT", "SOL-USD", "SOL/USD"}},     {"BNB", {"BNBUSDT", NULL, NULL}},
    {"XRP", {"XRPUSDT", "XRP-USD", "XRP/USD"}},     {"ADA", {"ADAUSDT", "ADA-USD", "ADA/USD"}},
    {"DOGE", {"DOGEUSDT", "DOGE-USD", "DOGE/USD"}}, {"AVAX", {"AVAXUSDT", "AVAX-USD", "AVAX/USD"}},
    {"DOT", {"DOTUSDT", "DOT-USD", "DOT/USD"}},     {"LINK", {"LINKUSDT", "LINK-USD", "LINK/USD"}},
    {"LTC", {"LTCUSDT", "LTC-USD", "LTC/USD"}},     {"MATIC", {"POLUSDT", "POL-USD", "POL/USD"}},
    {"USDT", {NULL, "USDT-USD", "USDT/USD"}},       {"USDC", {"USDCUSDT", NULL, "USDC/USD"}},
};

struct exch_entry {
    enum exch_id id;
    char symbol[PRICE_SYMBOL_MAX];
    char instrument[EXCH_INSTRUMENT_MAX];
    bool extra; /* from FEED_SYMBOL_MAP: a second extra entry for it is an error */
};

struct exch_map {
    struct exch_entry *e;
    size_t n, cap;
};

static struct exch_entry *find(const struct exch_map *m, enum exch_id id, const char *symbol,
                               const char *instrument)
{
    for (size_t i = 0; m && i < m->n; i++) {
        struct exch_entry *e = &m->e[i];
        if (e->id == id && ((symbol && strcmp(e->symbol, symbol) == 0) ||
                            (instrument && strcmp(e->instrument, instrument) == 0)))
            return e;
    }
    return NULL;
}

/* Map symbol to instrument on id, replacing any entry of either: one symbol
 * per instrument keeps exch_symbol() unambiguous.  An empty instrument only
 * removes. */
static void map_set(struct exch_map *m, enum exch_id id, const char *symbol, const char *instrument,
                    bool extra)
{
    struct exch_entry *old;
    while ((old = find(m, id, symbol, *instrument ? instrument : NULL)) != NULL)
        *old = m->e[--m->n];
    if (!*instrument)
        return;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->e = xrealloc(m->e, m->cap * sizeof *m->e);
    }
    struct exch_entry *e = &m->e[m->n++];
    *e = (struct exch_entry){.id = id, .extra = extra};
    snprintf(e->symbol, sizeof e->symbol, "%s", symbol);
    snprintf(e->instrument, sizeof e->instrument, "%s", instrument);
}

/* Whether instrument is spelt as exchange id spells them: it ends up inside
 * URLs and JSON subscribe messages, so only those characters pass. */
static bool instrument_valid(enum exch_id id, const char *s)
{
    static const char sep[EXCH_COUNT] = {'\0', '-', '/'};
    size_t base = strspn(s, UPPER_ALNUM);
    if (base == 0 || strlen(s) >= EXCH_INSTRUMENT_MAX)
        return false;
    if (sep[id] == '\0' || s[base] != sep[id])
        return s[base] == sep[id];
    size_t quote = strspn(s + base + 1, UPPER_ALNUM);
    return quote > 0 && s[base + 1 + quote] == '\0';
}

static const char *const instrument_rule[EXCH_COUNT] = {
    "a Binance instrument is letters A-Z and digits (BTCUSDT)",
    "a Coinbase instrument is BASE-QUOTE in A-Z and digits (BTC-USD)",
    "a Kraken instrument is BASE/QUOTE in A-Z and digits (BTC/USD)"};

/* Check one "exchange:SYMBOL=INSTRUMENT" entry (in buf, modified) and add it;
 * why gets the reason it is refused. */
static int add_entry(struct exch_map *m, char *buf, const char **why)
{
    char *colon = strchr(buf, ':');
    char *eq = colon ? strchr(colon, '=') : NULL;
    enum exch_id id;
    if (!eq) {
        *why = "not exchange:SYMBOL=INSTRUMENT";
        return CP_EINVAL;
    }
    *colon = *eq = '\0';
    const char *symbol = colon + 1, *instrument = eq + 1;
    if (exch_from_name(buf, &id) != CP_OK)
        *why = "the exchange is not binance, coinbase or kraken";
    else if (!price_symbol_valid(symbol))
        *why = "the symbol is not 1-15 characters A-Z and 0-9";
    else if (*instrument && !instrument_valid(id, instrument))
        *why = instrument_rule[id];
    if (*why)
        return CP_EINVAL;
    const struct exch_entry *same_symbol = find(m, id, symbol, NULL);
    const struct exch_entry *same_instrument = *instrument ? find(m, id, NULL, instrument) : NULL;
    if (same_symbol && same_symbol->extra)
        *why = "a second entry for this exchange and symbol";
    else if (same_instrument && same_instrument->extra)
        *why = "this instrument is already mapped by another entry";
    else
        map_set(m, id, symbol, instrument, true);
    return *why ? CP_EINVAL : CP_OK;
}

static int add_extra(struct exch_map *m, const char *extra, char *err, size_t errlen)
{
    size_t index = 0;
    for (const char *p = extra; *p;) {
        size_t len = strcspn(p, ",");
        char buf[PRICE_SYMBOL_MAX + EXCH_INSTRUMENT_MAX + 16];
        const char *why = NULL;
        index++;
        if (len == 0)
            why = "empty entry";
        else if (len >= sizeof buf)
            why = "too long";
        else {
            memcpy(buf, p, len);
            buf[len] = '\0';
            add_entry(m, buf, &why);
        }
        if (why) {
            snprintf(err, errlen, "entry %zu \"%.*s\": %s", index, (int)(len > 64 ? 64 : len), p,
                     why);
            return CP_EINVAL;
        }
        p += len;
        if (*p == ',' && *++p == '\0') {
            snprintf(err, errlen, "entry %zu \"\": empty entry (a trailing comma)", index + 1);
            return CP_EINVAL;
        }
    }
    return CP_OK;
}

struct exch_map *exch_map_new(const char *extra, char *err, size_t errlen)
{
    struct exch_map *m = xcalloc(1, sizeof *m);
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        for (int id = 0; id < EXCH_COUNT; id++)
            if (builtin[i].instrument[id])
                map_set(m, (enum exch_id)id, builtin[i].symbol, builtin[i].instrument[id], false);
    if (extra && add_extra(m, extra, err, errlen) != CP_OK) {
        exch_map_free(m);
        return NULL;
    }
    return m;
}

void exch_map_free(struct exch_map *m)
{
    if (!m)
        return;
    free(m->e);
    free(m);
}

const char *exch_instrument(const struct exch_map *m, enum exch_id id, const char *symbol)
{
    const struct exch_entry *e = symbol ? find(m, id, symbol, NULL) : NULL;
    return e ? e->instrument : NULL;
}

const char *exch_symbol(const struct exch_map *m, enum exch_id id, const char *instrument)
{
    const struct exch_entry *e = instrument ? find(m, id, NULL, instrument) : NULL;
    return e ? e->symbol : NULL;
}

/* ---- Connect URLs and subscribe messages ---- */

/* The distinct instruments of symbols on id, in their order, into out (room
 * for n).  A symbol listed twice must not become a stream or product listed
 * twice. */
static size_t instruments_of(const struct exch_map *m, enum exch_id id, const char *const *symbols,
                             size_t n, const char **out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *inst = exch_instrument(m, id, symbols[i]);
        size_t j = 0;
        while (inst && j < k && strcmp(out[j], inst) != 0)
            j++;
        if (inst && j == k)
            out[k++] = inst;
    }
    return k;
}

/* A bounded string builder: len counts what was asked for, so an overflow is
 * seen once at the end. */
struct text {
    char *buf;
    size_t cap, len;
};

static void put(struct text *t, const char *s, size_t n, bool lower)
{
    for (size_t i = 0; i < n; i++, t->len++)
        if (t->len + 1 < t->cap)
            t->buf[t->len] = lower && s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
}

static int text_end(struct text *t)
{
    if (t->cap)
        t->buf[t->len < t->cap ? t->len : 0] = '\0';
    return t->len < t->cap ? (int)t->len : CP_ETOOBIG;
}

/* base + "/stream?streams=btcusdt@ticker/...": Binance combined streams
 * (lower-case stream names) with the envelope exch_parse() expects. */
static void binance_url(struct text *t, const char *base, const char *const *inst, size_t k)
{
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    put(t, base, blen, false);
    if (blen < 7 || memcmp(base + blen - 7, "/stream", 7) != 0)
        put(t, "/stream", 7, false);
    put(t, "?streams=", 9, false);
    for (size_t i = 0; i < k; i++) {
        if (i > 0)
            put(t, "/", 1, false);
        put(t, inst[i], strlen(inst[i]), true);
        put(t, "@ticker", 7, false);
    }
}

int exch_connect_url(const struct exch_map *m, enum exch_id id, const char *base,
                     const char *const *symbols, size_t n, char *out, size_t cap)
{
    struct text t = {out, cap, 0};
    if (id != EXCH_BINANCE) {
        put(&t, base, strlen(base), false);
        return text_end(&t);
    }
    const char **inst = xcalloc(n, sizeof *inst);
    binance_url(&t, base, inst, instruments_of(m, id, symbols, n, inst));
    free(inst);
    return text_end(&t);
}

/* The compact text of j, which it consumes.  jansson keeps insertion order,
 * so the message reads as built. */
static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s) {
        fputs("out of memory encoding a subscribe message\n", stderr);
        abort();
    }
    return s;
}

static char *coinbase_subscribe(const char *const *inst, size_t k, const char *channel)
{
    json_t *ids = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(ids, json_string(inst[i]));
    return dump(
        json_pack("{s:s, s:o, s:s}", "type", "subscribe", "product_ids", ids, "channel", channel));
}

static char *kraken_subscribe(const char *const *inst, size_t k)
{
    json_t *symbols = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(symbols, json_string(inst[i]));
    return dump(json_pack("{s:s, s:{s:s, s:o, s:b}, s:i}", "method", "subscribe", "params",
                          "channel", "ticker", "symbol", symbols, "snapshot", 1, "req_id", 1));
}

size_t exch_subscribe(const struct exch_map *m, enum exch_id id, const char *const *symbols,
                      size_t n, char **msgs)
{
    const char **inst = xcalloc(n, sizeof *inst);
    size_t k = instruments_of(m, id, symbols, n, inst), count = 0;
    if (k > 0 && id == EXCH_COINBASE) {
        msgs[count++] = coinbase_subscribe(inst, k, "ticker");
        msgs[count++] = coinbase_subscribe(inst, k, "heartbeats");
    } else if (k > 0 && id == EXCH_KRAKEN) {
        msgs[count++] = kraken_subscribe(inst, k);
    }
    free(inst);
    return count;
}

/* ---- Numbers and times ---- */

int exch_decimal(const char *s, double *out)
{
    if (!s)
        return CP_EINVAL;
    const char *p = s + (*s == '-');
    size_t whole = strspn(p, DIGITS);
    if (whole == 0)
        return CP_EINVAL;
    p += whole;
    if (*p == '.') {
        size_t frac = strspn(p + 1, DIGITS);
        if (frac == 0)
            return CP_EINVAL;
        p += 1 + frac;
    }
    if (*p != '\0')
        return CP_EINVAL;
    /* The grammar above is a subset of strtod's, which rounds correctly.  In
     * a locale whose decimal point is not '.', end falls short and the value
     * is refused rather than misread. */
    char *end;
    double v = strtod(s, &end);
    if (end != p || !isfinite(v))
        return CP_EINVAL;
    *out = v;
    return CP_OK;
}

/* Exactly n digits at s into *out. */
static bool read_digits(const char *s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *out = *out * 10 + (s[i] - '0');
    }
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (Howard Hinnant's
 * days_from_civil); y >= 1970 keeps every division non-negative. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = y / 400, yoe = y - era * 400;
    int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + doe - 719468;
}

/* The fraction after the seconds ("" or ".1" to ".123456789"), truncated to
 * ms; *s moves past it. */
static bool read_fraction(const char **s, int *ms)
{
    *ms = 0;
    if (**s != '.')
        return true;
    size_t k = strspn(*s + 1, DIGITS);
    if (k < 1 || k > 9)
        return false;
    for (size_t i = 0; i < 3; i++)
        *ms = *ms * 10 + (i < k ? (*s)[1 + i] - '0' : 0);
    *s += 1 + k;
    return true;
}

int exch_rfc3339_ms(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, ms;
    if (!s || !read_digits(s, 4, &y) || s[4] != '-' || !read_digits(s + 5, 2, &mo) || s[7] != '-' ||
        !read_digits(s + 8, 2, &d) || s[10] != 'T' || !read_digits(s + 11, 2, &h) || s[13] != ':' ||
        !read_digits(s + 14, 2, &mi) || s[16] != ':' || !read_digits(s + 17, 2, &sec))
        return CP_EINVAL;
    const char *p = s + 19;
    if (!read_fraction(&p, &ms) || strcmp(p, "Z") != 0)
        return CP_EINVAL;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 59)
        return CP_EINVAL;
    *out = (((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec) * 1000 + ms;
    return CP_OK;
}

/* ---- Messages ---- */

/* One call of exch_parse(). */
struct parse {
    const struct exch_map *m;
    enum exch_id id;
    struct exch_quote *out;
    size_t max, *n;
    char *err;
    size_t errlen;
    const char *where; /* the mapped instrument being read, for errors */
};

/* Exchange text goes to the logs: no control characters. */
static void sanitize(char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse *p, const char *fmt, ...)
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
static int reject(struct parse *p, const json_t *text, json_int_t code, bool has_code)
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
static const char *get_string(const json_t *obj, const char *key, bool *bad)
{
    const json_t *v = json_object_get(obj, key);
    *bad = v && !json_is_string(v);
    return json_string_value(v);
}

/* A ticker value: a decimal string on Binance and Coinbase, a JSON number on
 * Kraken v2, as each documents it.  The other type is refused: a change of
 * type upstream is a change of format we want to hear about. */
static int get_value(struct parse *p, const json_t *obj, const char *key, double *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return fail(p, "no \"%s\"", key);
    if (p->id == EXCH_KRAKEN) {
        if (!json_is_number(v))
            return fail(p, "\"%s\" is not a JSON number", key);
        *out = json_number_value(v);
        return CP_OK;
    }
    if (!json_is_string(v))
        return fail(p, "\"%s\" is not a decimal string", key);
    if (exch_decimal(json_string_value(v), out) != CP_OK)
        return fail(p, "\"%s\" is not a decimal: \"%.40s\"", key, json_string_value(v));
    return CP_OK;
}

static int check_quote(struct parse *p, const struct exch_quote *q)
{
    if (!(q->price > 0 && q->price < PRICE_LIMIT))
        return fail(p, "price %g is not positive and below 1e12", q->price);
    if (!(q->high24h > 0 && q->high24h < PRICE_LIMIT) ||
        !(q->low24h > 0 && q->low24h < PRICE_LIMIT))
        return fail(p, "24 h high %g or low %g is not positive and below 1e12", q->high24h,
                    q->low24h);
    if (!(q->change24h >= -100 && q->change24h < PRICE_LIMIT))
        return fail(p, "24 h change %g %% is below -100 or not below 1e12", q->change24h);
    if (!(q->volume24h >= 0 && q->volume24h < VOLUME_LIMIT))
        return fail(p, "24 h volume %g is negative or not below 1e18", q->volume24h);
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
static int take_ticker(struct parse *p, const json_t *t, int64_t ts_ms)
{
    const struct ticker_keys *k = &ticker_keys[p->id];
    bool bad;
    if (!json_is_object(t))
        return fail(p, "a ticker is not an object");
    const char *inst = get_string(t, k->instrument, &bad);
    if (!inst)
        return fail(p, "a ticker without a \"%s\" string", k->instrument);
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

/* Every element of array arr (of a message's key) through take_ticker(). */
static int take_tickers(struct parse *p, const json_t *arr, const char *key, int64_t ts_ms)
{
    size_t i;
    const json_t *t;
    if (!json_is_array(arr))
        return fail(p, "no \"%s\" array", key);
    json_array_foreach(arr, i, t)
    {
        int rc = take_ticker(p, t, ts_ms);
        if (rc != CP_OK)
            return rc;
    }
    return EXCH_QUOTES;
}

/* Binance: {"code":..,"msg":..} or {"error":{"code":..,"msg":..},"id":..}. */
static int binance_error(struct parse *p, const json_t *root)
{
    const json_t *e = json_object_get(root, "error");
    const json_t *body = json_is_object(e) ? e : root;
    const json_t *code = json_object_get(body, "code");
    const json_t *msg = json_object_get(body, "msg");
    if (!msg && json_is_string(e))
        msg = e;
    return reject(p, msg, json_integer_value(code), json_is_integer(code));
}

static int binance_ticker(struct parse *p, const json_t *d)
{
    const json_t *e = json_object_get(d, "E");
    json_int_t ts = json_integer_value(e);
    if (!json_is_integer(e) || ts <= 0 || ts > TS_MS_MAX)
        return fail(p, "24hrTicker without an event time \"E\" in ms");
    int rc = take_ticker(p, d, ts);
    return rc != CP_OK ? rc : EXCH_QUOTES;
}

/* A Binance event payload, bare or from a combined stream's "data". */
static int binance_event(struct parse *p, const json_t *d)
{
    bool bad;
    const char *e = get_string(d, "e", &bad);
    if (bad)
        return fail(p, "the event type \"e\" is not a string");
    if (!e) {
        /* bookTicker is the one stream whose events have no "e" */
        if (json_object_get(d, "u") && json_object_get(d, "s"))
            return EXCH_IGNORED;
        return fail(p, "no event type \"e\"");
    }
    if (strcmp(e, "24hrTicker") == 0)
        return binance_ticker(p, d);
    /* a planned disconnect: the close that follows makes the owner reconnect */
    if (strcmp(e, "serverShutdown") == 0)
        return EXCH_ACK;
    return EXCH_IGNORED;
}

static int parse_binance(struct parse *p, const json_t *root)
{
    bool bad;
    if (!json_is_object(root))
        return fail(p, "not a JSON object");
    const json_t *data = json_object_get(root, "data");
    if (get_string(root, "stream", &bad) || bad) {
        if (bad)
            return fail(p, "\"stream\" is not a string");
        if (json_is_array(data))
            return EXCH_IGNORED; /* all-market streams such as !miniTicker@arr */
        if (!json_is_object(data))
            return fail(p, "a combined-stream message without a \"data\" object");
        return binance_event(p, data);
    }
    if (json_object_get(root, "result") && json_object_get(root, "id"))
        return EXCH_ACK;
    if (json_object_get(root, "error") || json_object_get(root, "code"))
        return binance_error(p, root);
    return binance_event(p, root);
}

/* Coinbase Advanced Trade ticker: the message's "timestamp", then
 * events[].tickers[]. */
static int coinbase_ticker(struct parse *p, const json_t *root)
{
    bool bad;
    int64_t ts;
    const char *stamp = get_string(root, "timestamp", &bad);
    if (!stamp || exch_rfc3339_ms(stamp, &ts) != CP_OK)
        return fail(p, "ticker without an RFC 3339 UTC \"timestamp\"");
    const json_t *events = json_object_get(root, "events");
    size_t i;
    const json_t *ev;
    if (!json_is_array(events))
        return fail(p, "ticker without an \"events\" array");
    json_array_foreach(events, i, ev)
    {
        int rc = json_is_object(ev) ? take_tickers(p, json_object_get(ev, "tickers"), "tickers", ts)
                                    : fail(p, "an event is not an object");
        if (rc != EXCH_QUOTES)
            return rc;
    }
    return EXCH_QUOTES;
}

static int parse_coinbase(struct parse *p, const json_t *root)
{
    bool bad;
    if (!json_is_object(root))
        return fail(p, "not a JSON object");
    const char *type = get_string(root, "type", &bad);
    if (type && strcmp(type, "error") == 0)
        return reject(p, json_object_get(root, "message"), 0, false);
    const char *channel = get_string(root, "channel", &bad);
    if (!channel)
        return fail(p, "no \"channel\" string: not a Coinbase Advanced Trade message");
    if (strcmp(channel, "ticker") == 0)
        return coinbase_ticker(p, root);
    if (strcmp(channel, "heartbeats") == 0)
        return EXCH_HEARTBEAT;
    if (strcmp(channel, "subscriptions") == 0)
        return EXCH_ACK;
    return EXCH_IGNORED;
}

/* A reply to a request of ours ({"method":"subscribe","success":..}); pong
 * replies carry no "success". */
static int kraken_reply(struct parse *p, const json_t *root)
{
    const json_t *success = json_object_get(root, "success");
    if (success && !json_is_boolean(success))
        return fail(p, "\"success\" is not a boolean");
    if (json_is_false(success))
        return reject(p, json_object_get(root, "error"), 0, false);
    return EXCH_ACK;
}

static int parse_kraken(struct parse *p, const json_t *root)
{
    bool bad;
    if (json_is_array(root))
        return fail(p, "a Kraken v1 array message (the feed speaks v2, wss://ws.kraken.com/v2)");
    if (!json_is_object(root))
        return fail(p, "not a JSON object");
    if (get_string(root, "method", &bad) || bad)
        return bad ? fail(p, "\"method\" is not a string") : kraken_reply(p, root);
    const char *channel = get_string(root, "channel", &bad);
    if (!channel)
        return fail(p, "neither a \"method\" nor a \"channel\" string: not a Kraken v2 message");
    /* v2 tickers carry no time of their own: ts_ms stays 0 */
    if (strcmp(channel, "ticker") == 0)
        return take_tickers(p, json_object_get(root, "data"), "data", 0);
    if (strcmp(channel, "heartbeat") == 0)
        return EXCH_HEARTBEAT;
    if (strcmp(channel, "status") == 0)
        return EXCH_ACK;
    return EXCH_IGNORED;
}

int exch_parse(const struct exch_map *m, enum exch_id id, const char *msg, size_t len,
               struct exch_quote *out, size_t max, size_t *n, char *err, size_t errlen)
{
    static int (*const parsers[EXCH_COUNT])(struct parse *, const json_t *) = {
        parse_binance, parse_coinbase, parse_kraken};
    size_t none;
    struct parse p = {m, id, out, out ? max : 0, n ? n : &none, err, err ? errlen : 0, NULL};
    *p.n = 0;
    if (!id_valid(id) || !msg)
        return fail(&p, "no such exchange or no message");
    json_error_t jerr;
    /* Duplicate keys would make a quote ambiguous: refused. */
    json_t *root = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return fail(&p, "not JSON: %s (byte %d)", jerr.text, jerr.position);
    int rc = parsers[id](&p, root);
    json_decref(root);
    if (rc != EXCH_QUOTES)
        *p.n = 0; /* a message's quotes are valid whole or not at all */
    return rc;
}
