#include "config.h"

#include "history.h"

#include "cp_error.h"
#include "price.h"
#include "strlist.h"
#include "urlcode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int history_ticks_for(int limit)
{
    return limit * 2;
}

/* The price of symbol in one tick, or NULL. */
static json_t *symbol_price_of(json_t *tick, const char *symbol)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(tick, "prices"), i, p)
    {
        const char *s = json_string_value(json_object_get(p, "symbol"));
        if (s && strcmp(s, symbol) == 0)
            return p;
    }
    return NULL;
}

json_t *history_points(const char *symbol, const char *const *ticks, const size_t *lens, size_t n,
                       int limit)
{
    json_t *points = json_array();
    for (size_t i = 0; i < n && (int)json_array_size(points) < limit; i++) {
        json_t *tick = json_loadb(ticks[i], lens[i], 0, NULL);
        json_t *p = tick ? symbol_price_of(tick, symbol) : NULL;
        json_t *ts = json_object_get(p, "ts"), *price = json_object_get(p, "price");
        if (json_is_integer(ts) && json_is_number(price))
            json_array_insert_new(points, 0, json_pack("[O, O]", ts, price)); /* oldest first */
        json_decref(tick);
    }
    return json_pack("{s:s, s:o}", "symbol", symbol, "points", points);
}

int history_check(const char *symbol, const char *limit, int *out, char *err, size_t errlen)
{
    if (!symbol || !price_symbol_valid(symbol)) {
        snprintf(err, errlen, "symbol must be a symbol such as BTC");
        return CP_EINVAL;
    }
    *out = HISTORY_DEFAULT_LIMIT;
    if (!limit)
        return CP_OK;
    char *end;
    long v = strtol(limit, &end, 10);
    if (limit[0] < '0' || limit[0] > '9' || *end != '\0' || v < 1 || v > HISTORY_MAX_LIMIT) {
        snprintf(err, errlen, "limit must be a whole number from 1 to %d", HISTORY_MAX_LIMIT);
        return CP_EINVAL;
    }
    *out = (int)v;
    return CP_OK;
}

bool history_symbol_listed(const char *list, const char *symbol)
{
    return !list || !*list || strlist_has(list, symbol);
}

int history_query_parse(const char *query, struct history_query *hq, char *err, size_t errlen)
{
    char symbol[PRICE_SYMBOL_MAX + 1], bufs[4][24];
    memset(hq, 0, sizeof *hq);
    int src = urlcode_query_param(query, "symbol", symbol, sizeof symbol);
    if (src == CP_ENOENT || (src == CP_OK && !symbol[0])) {
        snprintf(err, errlen, "symbol is required");
        return CP_EINVAL;
    }
    if (src != CP_OK)
        symbol[0] = '\0'; /* too long or badly escaped: refused below */
    const char *limit = urlcode_query_text(query, "limit", bufs[3], sizeof bufs[3]);
    int rc = candles_query_check(symbol, urlcode_query_text(query, "interval", bufs[0], 24),
                                 urlcode_query_text(query, "from", bufs[1], 24),
                                 urlcode_query_text(query, "to", bufs[2], 24), limit, &hq->q, err,
                                 errlen);
    hq->candles = rc == CP_OK;
    if (rc != CP_ENOENT)
        return rc;
    rc = history_check(symbol, limit, &hq->limit, err, errlen);
    if (rc == CP_OK) /* a valid symbol: 1-15 characters */
        memcpy(hq->q.symbol, symbol, strlen(symbol) + 1);
    return rc;
}
