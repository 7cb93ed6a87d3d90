#include "config.h"

#include "price.h"

#include "cp_error.h"
#include "tickid.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Tick sizes of the well-known symbols, as the large USD(T) venues quote them. */
static const struct {
    const char *symbol;
    int decimals;
} price_ticks[] = {
    {"BTC", 2},  {"ETH", 2},  {"SOL", 2},  {"BNB", 2}, {"XRP", 4},   {"ADA", 4},  {"DOGE", 5},
    {"AVAX", 2}, {"DOT", 3},  {"LINK", 3}, {"LTC", 2}, {"MATIC", 4}, {"USDT", 4}, {"USDC", 4},
    {"TRX", 5},  {"SHIB", 8}, {"BCH", 2},  {"XLM", 5}, {"ATOM", 3},  {"UNI", 3},  {"NEAR", 3},
};

bool price_symbol_valid(const char *symbol)
{
    size_t n = 0;
    for (; symbol[n]; n++) {
        char c = symbol[n];
        if (n >= PRICE_SYMBOL_MAX - 1 || !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return n > 0;
}

int price_decimals(const char *symbol, double ref_price)
{
    for (size_t i = 0; i < sizeof price_ticks / sizeof price_ticks[0]; i++)
        if (strcmp(price_ticks[i].symbol, symbol) == 0)
            return price_ticks[i].decimals;
    if (!(ref_price > 0))
        return 8;
    int d = 5 - (int)floor(log10(ref_price));
    return d < 0 ? 0 : d > 8 ? 8 : d;
}

double price_round(double value, int decimals)
{
    double scale = pow(10.0, decimals);
    /* Dividing by the exact power of ten gives the double nearest to the
     * decimal, which then prints short with %.15g. */
    double r = round(value * scale) / scale;
    return r == 0 ? 0.0 : r; /* never "-0.0" in JSON */
}

json_t *price_to_json(const struct price *p)
{
    int d = price_decimals(p->symbol, p->price);
    json_t *j =
        json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:I, s:s}", "symbol", p->symbol, "price",
                  price_round(p->price, d), "change24h", price_round(p->change24h, 2), "volume24h",
                  price_round(p->volume24h, 3), "high24h", price_round(p->high24h, d), "low24h",
                  price_round(p->low24h, d), "ts", (json_int_t)p->ts, "id", p->id);
    if (!p->live)
        return j;
    json_t *sources = json_array();
    for (unsigned i = 0; i < p->n_sources && i < PRICE_SOURCES_MAX; i++)
        json_array_append_new(sources, json_string(p->sources[i]));
    json_object_set_new(j, "sources", sources);
    json_object_set_new(j, "stale", json_boolean(p->stale));
    return j;
}

static int get_number(const json_t *obj, const char *key, double *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v)) {
        snprintf(err, errlen, "\"%s\" is missing or not a number", key);
        return CP_EINVAL;
    }
    *out = json_number_value(v);
    if (!isfinite(*out)) {
        snprintf(err, errlen, "\"%s\" is not finite", key);
        return CP_EINVAL;
    }
    return CP_OK;
}

static int clean_sources(const json_t *v, json_t *into, char *err, size_t errlen);

#define PRICE_MAX 1e12 /* no asset is quoted this high: a bigger number is an error */
#define VOLUME_MAX 1e18

/* Values a price object can hold: a price in (0, 1e12), high and low in
 * [0, 1e12) with low <= high (0: not known yet), a volume in [0, 1e18), a
 * change of at least -100 %. */
static int check_ranges(const struct price *p, char *err, size_t errlen)
{
    const char *why =
        !(p->price > 0 && p->price < PRICE_MAX)        ? "\"price\" is out of range"
        : !(p->high24h >= 0 && p->high24h < PRICE_MAX) ? "\"high24h\" is out of range"
        : !(p->low24h >= 0 && p->low24h <= p->high24h)
            ? "\"low24h\" is above \"high24h\" or negative"
        : !(p->volume24h >= 0 && p->volume24h < VOLUME_MAX)   ? "\"volume24h\" is out of range"
        : !(p->change24h >= -100 && p->change24h < PRICE_MAX) ? "\"change24h\" is out of range"
                                                              : NULL;
    if (why)
        snprintf(err, errlen, "%s", why);
    return why ? CP_EINVAL : CP_OK;
}

/* "sources" and "stale" of live data, when present. */
static int read_live_fields(const json_t *obj, struct price *out, char *err, size_t errlen)
{
    json_t *sources = json_object_get(obj, "sources"), *stale = json_object_get(obj, "stale");
    if (sources && clean_sources(sources, NULL, err, errlen) != CP_OK)
        return CP_EINVAL;
    if (stale && !json_is_boolean(stale)) {
        snprintf(err, errlen, "\"stale\" is not true or false");
        return CP_EINVAL;
    }
    out->live = sources || stale;
    out->stale = json_is_true(stale);
    size_t i;
    json_t *s;
    json_array_foreach(sources, i, s)
        snprintf(out->sources[out->n_sources++], PRICE_SOURCE_MAX, "%s", json_string_value(s));
    return CP_OK;
}

int price_from_json(const json_t *obj, struct price *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj)) {
        snprintf(err, errlen, "price is not an object");
        return CP_EINVAL;
    }
    const char *sym = json_string_value(json_object_get(obj, "symbol"));
    const char *id = json_string_value(json_object_get(obj, "id"));
    json_t *ts = json_object_get(obj, "ts");
    if (!sym || !price_symbol_valid(sym)) {
        snprintf(err, errlen, "\"symbol\" is missing or not a symbol");
        return CP_EINVAL;
    }
    if (!id || strlen(id) >= PRICE_ID_MAX) {
        snprintf(err, errlen, "\"id\" is missing or too long");
        return CP_EINVAL;
    }
    if (!json_is_integer(ts) || json_integer_value(ts) < 0) {
        snprintf(err, errlen, "\"ts\" is missing or not a non-negative integer");
        return CP_EINVAL;
    }
    strcpy(out->symbol, sym);
    strcpy(out->id, id);
    out->ts = json_integer_value(ts);
    int rc = get_number(obj, "price", &out->price, err, errlen);
    if (rc == CP_OK)
        rc = get_number(obj, "change24h", &out->change24h, err, errlen);
    if (rc == CP_OK)
        rc = get_number(obj, "volume24h", &out->volume24h, err, errlen);
    if (rc == CP_OK)
        rc = get_number(obj, "high24h", &out->high24h, err, errlen);
    if (rc == CP_OK)
        rc = get_number(obj, "low24h", &out->low24h, err, errlen);
    if (rc == CP_OK)
        rc = check_ranges(out, err, errlen);
    if (rc == CP_OK)
        rc = read_live_fields(obj, out, err, errlen);
    return rc;
}

/* "sources": exchange names, lower case, as the live feed writes them. */
static bool exchange_name_valid(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < PRICE_SOURCE_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static int clean_sources(const json_t *v, json_t *into, char *err, size_t errlen)
{
    size_t i, n = json_array_size(v);
    json_t *s;
    if (!json_is_array(v) || n == 0 || n > PRICE_SOURCES_MAX) {
        snprintf(err, errlen, "\"sources\" is not an array of 1 to %d names", PRICE_SOURCES_MAX);
        return CP_EINVAL;
    }
    json_array_foreach(v, i, s)
    {
        if (!json_is_string(s) || !exchange_name_valid(json_string_value(s))) {
            snprintf(err, errlen, "\"sources\" holds something that is not an exchange name");
            return CP_EINVAL;
        }
    }
    if (into)
        json_object_set(into, "sources", (json_t *)v);
    return CP_OK;
}

json_t *price_clean(const json_t *obj, char *err, size_t errlen)
{
    static const char *const fields[] = {"symbol",  "price",  "change24h", "volume24h",
                                         "high24h", "low24h", "ts",        "id"};
    struct price p;
    if (price_from_json(obj, &p, err, errlen) != CP_OK)
        return NULL;
    json_t *out = json_object();
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        json_object_set(out, fields[i], json_object_get(obj, fields[i]));
    /* price_from_json() checked "sources" and "stale". */
    json_t *sources = json_object_get(obj, "sources");
    json_t *stale = json_object_get(obj, "stale");
    if (sources)
        json_object_set(out, "sources", sources);
    if (stale)
        json_object_set(out, "stale", stale);
    return out;
}

/* A price belongs to its tick: the tick's id, and one price per symbol. */
static int tick_member(const json_t *price, const json_t *before, const char *id, char *why,
                       size_t len)
{
    const char *sym = json_string_value(json_object_get(price, "symbol"));
    if (strcmp(json_string_value(json_object_get(price, "id")), id) != 0) {
        snprintf(why, len, "its \"id\" is not the tick's");
        return CP_EINVAL;
    }
    size_t i;
    json_t *p;
    json_array_foreach(before, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "symbol")), sym) == 0) {
            snprintf(why, len, "a second price of %s", sym);
            return CP_EINVAL;
        }
    }
    return CP_OK;
}

json_t *price_tick_clean(const json_t *tick, char *err, size_t errlen)
{
    const char *id = json_string_value(json_object_get(tick, "id"));
    json_t *ts = json_object_get(tick, "ts");
    json_t *prices = json_object_get(tick, "prices");
    struct tickid parsed;
    if (!json_is_object(tick) || !id || strlen(id) >= PRICE_ID_MAX ||
        tickid_parse(id, &parsed) != CP_OK) {
        snprintf(err, errlen, "tick has no valid \"id\" (\"<ms>-<seq>\")");
        return NULL;
    }
    /* A negative ts is no time, and would overflow the latency of each
     * message (now - ts); a price's ts is held to the same. */
    if (!json_is_integer(ts) || json_integer_value(ts) < 0 || !json_is_array(prices)) {
        snprintf(err, errlen, "tick %s has no non-negative integer \"ts\" or no \"prices\" array",
                 id);
        return NULL;
    }
    json_t *clean = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(prices, i, p)
    {
        char why[128];
        json_t *c = price_clean(p, why, sizeof why);
        if (c && tick_member(c, clean, id, why, sizeof why) != CP_OK) {
            json_decref(c);
            c = NULL;
        }
        if (!c) {
            snprintf(err, errlen, "tick %s, price %zu: %s", id, i, why);
            json_decref(clean);
            return NULL;
        }
        json_array_append_new(clean, c);
    }
    return json_pack("{s:s, s:O, s:o}", "id", id, "ts", ts, "prices", clean);
}

json_t *price_tick_to_json(const char *id, int64_t ts, const struct price *prices, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, price_to_json(&prices[i]));
    return json_pack("{s:s, s:I, s:o}", "id", id, "ts", (json_int_t)ts, "prices", arr);
}

int64_t price_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
