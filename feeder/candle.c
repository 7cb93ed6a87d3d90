#include "config.h"

#include "candle.h"

#include "cp_error.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANDLE_MAX_FIELDS 16
#define CANDLE_FIELD_MAX 64 /* bytes of one field, including the NUL */

/* Binance open_time from 2025 on is in microseconds; any ms time before the
 * year 5138 is below this, any µs time after 1973 is above it. */
#define CANDLE_US_THRESHOLD INT64_C(100000000000000)

/* Sanity bounds of parsed values: a price of 1e12 USD or more, or a volume
 * of 1e15 USD or more in one candle, is corrupt data; let through, it would
 * overflow the 24 h figures or be dropped silently much later. */
#define CANDLE_PRICE_MAX 1e12
#define CANDLE_VOLUME_MAX 1e15
#define CANDLE_MINUTE_MS 60000

/* Quote currencies stripped from symbols, longest first so "FDUSD" wins
 * over "USD". */
static const char *const candle_quotes[] = {"FDUSD", "USDT", "USDC", "BUSD", "USD"};

static const char *const shared_names[] = {"ts_ms", "symbol", "open",  "high",
                                           "low",   "close",  "volume"};
static const char *const binance_names[] = {"open_time",
                                            "open",
                                            "high",
                                            "low",
                                            "close",
                                            "volume",
                                            "close_time",
                                            "quote_volume",
                                            "count",
                                            "taker_buy_volume",
                                            "taker_buy_quote_volume",
                                            "ignore"};

struct fields {
    size_t n;
    char text[CANDLE_MAX_FIELDS][CANDLE_FIELD_MAX];
};

/* Split line at commas into f.  Returns 0, or CP_ESYNTAX for too many or too
 * long fields. */
static int split(const char *line, struct fields *f, char *why, size_t whylen)
{
    size_t len = strcspn(line, "\r\n");
    f->n = 0;
    const char *p = line, *end = line + len;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        size_t n = (size_t)(stop - p);
        if (f->n == CANDLE_MAX_FIELDS) {
            snprintf(why, whylen, "more than %d columns", CANDLE_MAX_FIELDS);
            return CP_ESYNTAX;
        }
        if (n >= CANDLE_FIELD_MAX) {
            snprintf(why, whylen, "column %zu longer than %d bytes", f->n + 1,
                     CANDLE_FIELD_MAX - 1);
            return CP_ESYNTAX;
        }
        memcpy(f->text[f->n], p, n);
        f->text[f->n++][n] = '\0';
        if (!comma)
            return CP_OK;
        p = comma + 1;
    }
}

static bool is_names(const struct fields *f, const char *const *names, size_t n)
{
    if (f->n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(f->text[i], names[i]) != 0)
            return false;
    return true;
}

static bool parse_int64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < 0)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

int candle_detect_layout(const char *line, enum candle_layout *layout, bool *is_header, char *why,
                         size_t whylen)
{
    struct fields f;
    int64_t ts;
    if (split(line, &f, why, whylen) != CP_OK)
        return CP_ESYNTAX;
    *is_header = true;
    if (is_names(&f, shared_names, 7)) {
        *layout = CANDLE_LAYOUT_SHARED;
        return CP_OK;
    }
    if (is_names(&f, binance_names, 12)) {
        *layout = CANDLE_LAYOUT_BINANCE;
        return CP_OK;
    }
    *is_header = false;
    if (f.n == 7 && parse_int64(f.text[0], &ts)) {
        *layout = CANDLE_LAYOUT_SHARED;
        return CP_OK;
    }
    if (f.n == 12 && parse_int64(f.text[0], &ts)) {
        *layout = CANDLE_LAYOUT_BINANCE;
        return CP_OK;
    }
    snprintf(why, whylen,
             "unknown layout: expected the header \"ts_ms,symbol,open,high,low,close,volume\" "
             "or Binance klines (12 columns), got %zu columns",
             f.n);
    return CP_ESYNTAX;
}

/* Copy base into out when it is a valid symbol.  Returns 0 or CP_EINVAL. */
static int set_symbol(const char *base, size_t n, char *out)
{
    if (n == 0 || n >= PRICE_SYMBOL_MAX)
        return CP_EINVAL;
    memcpy(out, base, n);
    out[n] = '\0';
    return price_symbol_valid(out) ? CP_OK : CP_EINVAL;
}

/* Does name say it holds klines of another interval than 1m: a part
 * "-<n>m-", "-<n>h-" or "-<n>d-" other than "-1m-"? */
static bool other_interval(const char *name)
{
    for (const char *p = strchr(name, '-'); p; p = strchr(p + 1, '-')) {
        size_t digits = strspn(p + 1, "0123456789");
        const char *u = p + 1 + digits;
        if (digits && (*u == 'm' || *u == 'h' || *u == 'd' || *u == 's') && u[1] == '-' &&
            !(digits == 1 && p[1] == '1' && *u == 'm'))
            return true;
    }
    return false;
}

int candle_symbol_from_path(const char *path, char *out, char *why, size_t whylen)
{
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    if (other_interval(name)) {
        snprintf(why, whylen, "the file name \"%s\" names klines of another interval than 1m",
                 name);
        return CP_EINVAL;
    }
    size_t n = strcspn(name, "-.");
    for (size_t i = 0; i < sizeof candle_quotes / sizeof candle_quotes[0]; i++) {
        size_t q = strlen(candle_quotes[i]);
        if (n > q && strncmp(name + n - q, candle_quotes[i], q) == 0) {
            n -= q;
            break;
        }
    }
    if (set_symbol(name, n, out) == CP_OK)
        return CP_OK;
    snprintf(why, whylen,
             "cannot take a symbol from the file name \"%s\" (expected e.g. "
             "BTCUSDT-1m-2025-01-01.csv)",
             name);
    return CP_EINVAL;
}

/* "BTC-USD" -> "BTC"; a symbol without a quote is taken as it is. */
static int shared_symbol(const char *text, char *out)
{
    const char *dash = strchr(text, '-');
    if (!dash)
        return set_symbol(text, strlen(text), out);
    for (size_t i = 0; i < sizeof candle_quotes / sizeof candle_quotes[0]; i++)
        if (strcmp(dash + 1, candle_quotes[i]) == 0)
            return set_symbol(text, (size_t)(dash - text), out);
    return CP_EINVAL;
}

/* Check that column i of f (named name) is a positive price. */
static int positive(const struct fields *f, size_t i, const char *name, double *out, char *why,
                    size_t whylen)
{
    double v;
    if (!parse_double(f->text[i], &v)) {
        snprintf(why, whylen, "%s: \"%s\" is not a number", name, f->text[i]);
        return CP_ESYNTAX;
    }
    if (!(v > 0)) {
        snprintf(why, whylen, "%s: %s is not a positive price", name, f->text[i]);
        return CP_ESYNTAX;
    }
    if (!(v < CANDLE_PRICE_MAX)) {
        snprintf(why, whylen, "%s: %s is not a plausible price (at most 1e12)", name, f->text[i]);
        return CP_ESYNTAX;
    }
    *out = v;
    return CP_OK;
}

static int non_negative(const struct fields *f, size_t i, const char *name, double *out, char *why,
                        size_t whylen)
{
    double v;
    if (!parse_double(f->text[i], &v) || v < 0) {
        snprintf(why, whylen, "%s: \"%s\" is not a non-negative number", name, f->text[i]);
        return CP_ESYNTAX;
    }
    *out = v;
    return CP_OK;
}

/* A volume the 24 h sums use: non-negative and below CANDLE_VOLUME_MAX. */
static int volume(const struct fields *f, size_t i, const char *name, double *out, char *why,
                  size_t whylen)
{
    int rc = non_negative(f, i, name, out, why, whylen);
    if (rc == CP_OK && !(*out < CANDLE_VOLUME_MAX)) {
        snprintf(why, whylen, "%s: %s is not a plausible volume (at most 1e15)", name, f->text[i]);
        rc = CP_ESYNTAX;
    }
    return rc;
}

static int timestamp(const struct fields *f, size_t i, const char *name, int64_t *out, char *why,
                     size_t whylen)
{
    if (!parse_int64(f->text[i], out)) {
        snprintf(why, whylen, "%s: \"%s\" is not a whole number of ms", name, f->text[i]);
        return CP_ESYNTAX;
    }
    return CP_OK;
}

/* The replay steps a minute at a time and the 24 h window has one-minute
 * buckets: a time inside a minute means the file does not hold 1-minute
 * candles (e.g. Binance 1s klines), which flooring would silently merge. */
static int whole_minute(int64_t ts_ms, const char *name, char *why, size_t whylen)
{
    if (ts_ms % CANDLE_MINUTE_MS == 0)
        return CP_OK;
    snprintf(why, whylen, "%s: %" PRId64 " ms is not a whole minute (1-minute candles expected)",
             name, ts_ms);
    return CP_ESYNTAX;
}

/* open, high, low and close of columns first..first+3 into out. */
static int ohlc(const struct fields *f, size_t first, struct candle *out, char *why, size_t whylen)
{
    static const char *const names[] = {"open", "high", "low", "close"};
    double v[4];
    for (size_t k = 0; k < 4; k++) {
        int rc = positive(f, first + k, names[k], &v[k], why, whylen);
        if (rc != CP_OK)
            return rc;
    }
    if (v[1] < v[2]) {
        snprintf(why, whylen, "high %s is below low %s", f->text[first + 1], f->text[first + 2]);
        return CP_ESYNTAX;
    }
    for (size_t k = 0; k < 4; k += 3)
        if (v[k] > v[1] || v[k] < v[2]) {
            snprintf(why, whylen, "%s %s is outside [low %s, high %s]", names[k],
                     f->text[first + k], f->text[first + 2], f->text[first + 1]);
            return CP_ESYNTAX;
        }
    out->open = v[0];
    out->high = v[1];
    out->low = v[2];
    out->close = v[3];
    return CP_OK;
}

static int parse_shared(const struct fields *f, struct candle *out, char *why, size_t whylen)
{
    if (f->n != 7) {
        snprintf(why, whylen,
                 "expected 7 columns (ts_ms,symbol,open,high,low,close,volume), "
                 "got %zu",
                 f->n);
        return CP_ESYNTAX;
    }
    int rc = timestamp(f, 0, "ts_ms", &out->ts_ms, why, whylen);
    if (rc == CP_OK)
        rc = whole_minute(out->ts_ms, "ts_ms", why, whylen);
    if (rc != CP_OK)
        return rc;
    if (shared_symbol(f->text[1], out->symbol) != CP_OK) {
        snprintf(why, whylen, "symbol: \"%s\" is not BASE-USD", f->text[1]);
        return CP_ESYNTAX;
    }
    rc = ohlc(f, 2, out, why, whylen);
    return rc == CP_OK ? volume(f, 6, "volume", &out->volume, why, whylen) : rc;
}

static int parse_binance(const struct fields *f, const char *file_symbol, struct candle *out,
                         char *why, size_t whylen)
{
    if (f->n != 12) {
        snprintf(why, whylen, "expected 12 columns (Binance klines), got %zu", f->n);
        return CP_ESYNTAX;
    }
    int64_t close_time;
    double base_volume;
    int rc = timestamp(f, 0, "open_time", &out->ts_ms, why, whylen);
    if (rc == CP_OK)
        rc = ohlc(f, 1, out, why, whylen);
    if (rc == CP_OK)
        rc = non_negative(f, 5, "volume", &base_volume, why, whylen);
    if (rc == CP_OK)
        rc = timestamp(f, 6, "close_time", &close_time, why, whylen);
    /* quote_volume: USDT notional, the same unit as the shared file's volume */
    if (rc == CP_OK)
        rc = volume(f, 7, "quote_volume", &out->volume, why, whylen);
    if (rc != CP_OK)
        return rc;
    if (out->ts_ms >= CANDLE_US_THRESHOLD)
        out->ts_ms /= 1000;
    if (whole_minute(out->ts_ms, "open_time", why, whylen) != CP_OK)
        return CP_ESYNTAX;
    if (!file_symbol || set_symbol(file_symbol, strlen(file_symbol), out->symbol) != CP_OK) {
        snprintf(why, whylen, "no valid symbol for a Binance file");
        return CP_ESYNTAX;
    }
    return CP_OK;
}

int candle_parse_line(enum candle_layout layout, const char *line, const char *file_symbol,
                      struct candle *out, char *why, size_t whylen)
{
    struct fields f;
    memset(out, 0, sizeof *out);
    if (split(line, &f, why, whylen) != CP_OK)
        return CP_ESYNTAX;
    if (layout == CANDLE_LAYOUT_SHARED)
        return parse_shared(&f, out, why, whylen);
    return parse_binance(&f, file_symbol, out, why, whylen);
}
