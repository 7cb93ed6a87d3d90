/* exch_map: the symbol map of the live feed — built-in instruments of the
 * default SYMBOLS on each exchange, extended or overridden by
 * FEED_SYMBOL_MAP (exch_map.h). */
#include "config.h"

#include "exch_map.h"

#include "cp_error.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPPER_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

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
