#include "config.h"

#include "mock.h"

#include "price.h"
#include "xalloc.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOCK_MAX_SYMBOLS 256
#define MOCK_PI 3.14159265358979323846
#define MOCK_YEAR_S (365.25 * 86400.0)
#define MOCK_PEG_RATE 0.01 /* per second: a stablecoin's deviation halves in ~70 s */

/* Where the walk starts, how fast it moves and how much it trades, computed
 * once from ../shared/data/market/yahoo_crypto_1m_2025-02-02_to_2025-02-04.csv
 * (3 days of 1-minute closes; only the numbers are kept here):
 *   price: the symbol's first close in the file (2025-02-02 00:00/00:01Z);
 *   vol:   annualised volatility sqrt(sum(r^2) / sum(dt)) over consecutive
 *          rows of the symbol, r = ln(close / previous close), dt in years,
 *          so that a gap of k minutes counts as k minutes (the file has many);
 *          the window holds the 2025-02-03 tariff crash, hence the high values;
 *   daily_volume: sum of the volume column / 3 days (USD notional).
 * feeder/mock-calibrate.py prints them again. */
static const struct mock_profile {
    const char *symbol;
    double price, vol, daily_volume;
    bool peg;
} mock_profiles[] = {
    {"BTC", 100624.8984, 0.802, 8.513e10, false},
    {"ETH", 3117.576172, 2.135, 1.152e11, false},
    {"SOL", 213.3251953, 1.326, 5.601e9, false},
    {"BNB", 652.9714355, 1.035, 1.360e9, false},
    {"XRP", 2.880716324, 1.912, 1.500e10, false},
    {"ADA", 0.8976321816, 1.528, 1.717e9, false},
    {"DOGE", 0.3080438673, 1.628, 4.380e9, false},
    {"AVAX", 32.13737488, 1.460, 7.178e8, false},
    {"DOT", 5.919604778, 1.605, 4.486e8, false},
    {"LINK", 23.02846146, 1.543, 1.028e9, false},
    {"LTC", 118.3110886, 1.431, 8.084e8, false},
    {"MATIC", 0.3753331602, 2.215, 2.666e7, false},
    {"USDT", 0.9999098778, 0.129, 1.298e11, true},
    {"USDC", 1.000075221, 0.120, 6.040e10, true},
    /* Not in the data set: rough public quotes of 2025-02-02 and a typical
     * volatility, so that these well-known names still look plausible. */
    {"TRX", 0.24, 0.70, 0.5e9, false},
    {"SHIB", 0.0000175, 1.00, 0.3e9, false},
    {"BCH", 420.0, 0.80, 0.3e9, false},
    {"XLM", 0.42, 0.90, 0.2e9, false},
    {"ATOM", 5.3, 0.90, 0.15e9, false},
    {"UNI", 12.5, 1.00, 0.3e9, false},
    {"NEAR", 4.6, 1.00, 0.3e9, false},
};
static const struct mock_profile mock_default = {"", 10.0, 1.0, 1e8, false};

struct mock_asset {
    char symbol[PRICE_SYMBOL_MAX];
    const struct mock_profile *profile;
    double price, volume;
};

struct mock {
    uint64_t rng; /* splitmix64 state */
    size_t n;
    struct mock_asset *a;
};

/* splitmix64: tiny, fast and the same on every platform, so a seed means the
 * same walk everywhere. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static double rng_uniform(uint64_t *state)
{
    return ((double)(rng_next(state) >> 11) + 0.5) / 9007199254740992.0;
}

/* Standard normal (Box-Muller). */
static double rng_normal(uint64_t *state)
{
    double u = rng_uniform(state), v = rng_uniform(state);
    return sqrt(-2.0 * log(u)) * cos(2.0 * MOCK_PI * v);
}

static const struct mock_profile *profile_of(const char *symbol)
{
    for (size_t i = 0; i < sizeof mock_profiles / sizeof mock_profiles[0]; i++)
        if (strcmp(mock_profiles[i].symbol, symbol) == 0)
            return &mock_profiles[i];
    return &mock_default;
}

/* Append the symbol text[0..len) to m.  Returns false with err filled. */
static bool add_asset(struct mock *m, const char *text, size_t len, char *err, size_t errlen)
{
    char sym[PRICE_SYMBOL_MAX];
    if (len == 0 || len >= sizeof sym) {
        snprintf(err, errlen, "SYMBOLS: \"%.*s\" is not a symbol", (int)len, text);
        return false;
    }
    memcpy(sym, text, len);
    sym[len] = '\0';
    if (!price_symbol_valid(sym)) {
        snprintf(err, errlen, "SYMBOLS: \"%s\" is not a symbol (A-Z, 0-9)", sym);
        return false;
    }
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->a[i].symbol, sym) == 0) {
            snprintf(err, errlen, "SYMBOLS: %s is listed twice", sym);
            return false;
        }
    }
    if (m->n == MOCK_MAX_SYMBOLS) {
        snprintf(err, errlen, "SYMBOLS: more than %d symbols", MOCK_MAX_SYMBOLS);
        return false;
    }
    struct mock_asset *a = &m->a[m->n++];
    strcpy(a->symbol, sym);
    a->profile = profile_of(sym);
    a->price = a->profile->price;
    a->volume = 0;
    return true;
}

struct mock *mock_new(const char *symbols, uint64_t seed, char *err, size_t errlen)
{
    struct mock *m = xcalloc(1, sizeof *m);
    m->rng = seed;
    m->a = xcalloc(MOCK_MAX_SYMBOLS, sizeof *m->a);
    const char *p = symbols;
    for (;;) {
        p += strspn(p, " ");
        size_t len = strcspn(p, ",");
        size_t word = len;
        while (word > 0 && p[word - 1] == ' ')
            word--;
        if (!(len == 0 && p[len] == '\0' && m->n > 0) && !add_asset(m, p, word, err, errlen)) {
            mock_free(m);
            return NULL;
        }
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    return m;
}

void mock_free(struct mock *m)
{
    if (!m)
        return;
    free(m->a);
    free(m);
}

size_t mock_count(const struct mock *m)
{
    return m->n;
}

const char *mock_symbol(const struct mock *m, size_t i)
{
    return m->a[i].symbol;
}

/* One GBM step with zero drift: S *= exp(-s^2 dt / 2 + s sqrt(dt) Z), dt in
 * years.  A pegged coin adds a pull of its log price back towards log(peg). */
static void step_asset(struct mock_asset *a, double dt_s, uint64_t *rng)
{
    double dt = dt_s / MOCK_YEAR_S, s = a->profile->vol;
    double x = log(a->price) - 0.5 * s * s * dt + s * sqrt(dt) * rng_normal(rng);
    if (a->profile->peg)
        x -= x * fmin(1.0, MOCK_PEG_RATE * dt_s); /* log(1 USD) = 0 */
    a->price = exp(x);
    /* Volume: the symbol's daily volume spread evenly over time, times
     * log-normal noise of mean 1 (exp(sN - s^2/2) with s = 0.8). */
    double mean = a->profile->daily_volume * dt_s / 86400.0;
    a->volume = mean * exp(0.8 * rng_normal(rng) - 0.32);
}

void mock_step(struct mock *m, double dt_s)
{
    if (!(dt_s > 0))
        return;
    for (size_t i = 0; i < m->n; i++)
        step_asset(&m->a[i], dt_s, &m->rng);
}

double mock_vol(const struct mock *m, size_t i)
{
    return m->a[i].profile->vol;
}

void mock_set_price(struct mock *m, const char *symbol, double price)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->a[i].symbol, symbol) == 0 && price > 0 && isfinite(price))
            m->a[i].price = price;
}

double mock_price(const struct mock *m, size_t i)
{
    return m->a[i].price;
}

double mock_volume(const struct mock *m, size_t i)
{
    return m->a[i].volume;
}
