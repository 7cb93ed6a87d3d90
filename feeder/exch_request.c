/* exch_request: what the live feed asks an exchange for — the URL to connect
 * to and the messages that subscribe to tickers (exch_request.h), built from
 * the names of exch.c and the instruments of exch_map.c. */
#include "config.h"

#include "exch_request.h"

#include "cp_error.h"
#include "xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int exch_request_connect_url(const struct exch_map *m, enum exch_id id, const char *base,
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

size_t exch_request_subscribe(const struct exch_map *m, enum exch_id id, const char *const *symbols,
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
