#include "config.h"

#include "candles.h"

#include "cp_error.h"
#include "keys.h"
#include "xalloc.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int64_t ms;
} intervals[CANDLES_INTERVALS] = {
    [CANDLES_1M] = {"1m", 60000},
    [CANDLES_5M] = {"5m", 300000},
    [CANDLES_1H] = {"1h", 3600000},
    [CANDLES_1D] = {"1d", 86400000},
};

const char *candles_interval_name(enum candles_interval iv)
{
    return intervals[iv].name;
}

int64_t candles_interval_ms(enum candles_interval iv)
{
    return intervals[iv].ms;
}

int candles_interval_parse(const char *name, enum candles_interval *out)
{
    for (int i = 0; name && i < CANDLES_INTERVALS; i++)
        if (strcmp(name, intervals[i].name) == 0) {
            *out = (enum candles_interval)i;
            return CP_OK;
        }
    return CP_EINVAL;
}

int64_t candles_bucket(int64_t t, enum candles_interval iv)
{
    return t - t % intervals[iv].ms;
}

int candles_key(char *buf, size_t len, const char *prefix, const char *symbol,
                enum candles_interval iv)
{
    char suffix[PRICE_SYMBOL_MAX + 8];
    snprintf(suffix, sizeof suffix, "%s:%s", symbol, intervals[iv].name);
    return keys_format(buf, len, prefix, KEYS_CANDLES, suffix);
}

int candles_member(const struct ohlcv *b, const char *symbol, char *buf, size_t len)
{
    int d = price_decimals(symbol, b->close);
    json_t *arr = json_array();
    json_array_append_new(arr, json_integer((json_int_t)b->open_ms));
    double v[5] = {price_round(b->open, d), price_round(b->high, d), price_round(b->low, d),
                   price_round(b->close, d), price_round(b->volume, 3)};
    for (int i = 0; i < 5; i++)
        json_array_append_new(arr, json_real(v[i]));
    char *text = json_dumps(arr, PRICE_JSON_FLAGS);
    json_decref(arr);
    int n = text ? snprintf(buf, len, "%c%s", b->is_open ? 'o' : 'c', text) : -1;
    free(text);
    return n < 0 || (size_t)n >= len ? CP_ETOOBIG : n;
}

/* Length of the JSON number (RFC 8259 §6) at p (at most end), 0 if none. */
static size_t json_number_len(const char *p, const char *end)
{
    const char *s = p;
    if (s < end && *s == '-')
        s++;
    if (s >= end || *s < '0' || *s > '9')
        return 0;
    if (*s == '0')
        s++;
    else
        while (s < end && *s >= '0' && *s <= '9')
            s++;
    if (s < end && *s == '.') {
        if (++s >= end || *s < '0' || *s > '9')
            return 0;
        while (s < end && *s >= '0' && *s <= '9')
            s++;
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        if (++s < end && (*s == '+' || *s == '-'))
            s++;
        if (s >= end || *s < '0' || *s > '9')
            return 0;
        while (s < end && *s >= '0' && *s <= '9')
            s++;
    }
    return (size_t)(s - p);
}

/* The shape of a stored member without converting its numbers: a flag,
 * then "[" six JSON numbers "]" — enough to copy it into a response as
 * valid JSON.  Returns the flag ('o' or 'c'), or 0 when it is not one. */
static char member_shape(const char *member, size_t len)
{
    const char *p = member + 2, *end = member + len;
    if (len < 14 || len >= CANDLES_MEMBER_MAX || (member[0] != 'o' && member[0] != 'c') ||
        member[1] != '[')
        return 0;
    for (int i = 0; i < 6; i++) {
        size_t n = json_number_len(p, end);
        if (n == 0 || *p == '-' || p + n >= end || p[n] != (i == 5 ? ']' : ','))
            return 0;
        p += n + 1;
    }
    return p == end ? member[0] : 0;
}

int candles_member_parse(const char *member, size_t len, struct ohlcv *out)
{
    const char *p = member, *end = member + len;
    if (len < 14 || (p[0] != 'o' && p[0] != 'c') || p[1] != '[' || end[-1] != ']' ||
        len >= CANDLES_MEMBER_MAX)
        return CP_ESYNTAX;
    double v[6];
    p += 2;
    for (int i = 0; i < 6; i++) {
        size_t n = json_number_len(p, end);
        char num[64];
        if (n == 0 || n >= sizeof num || p + n >= end || p[n] != (i == 5 ? ']' : ','))
            return CP_ESYNTAX;
        memcpy(num, p, n);
        num[n] = '\0';
        v[i] = strtod(num, NULL);
        if (!isfinite(v[i]) || v[i] < 0)
            return CP_ESYNTAX;
        p += n + 1;
    }
    if (p != end || v[0] != floor(v[0]) || v[0] > (double)CANDLES_TIME_MAX || v[3] > v[2] ||
        v[1] > v[2] || v[4] > v[2] || v[1] < v[3] || v[4] < v[3])
        return CP_ESYNTAX;
    *out = (struct ohlcv){(int64_t)v[0], v[1], v[2], v[3], v[4], v[5], member[0] == 'o'};
    return CP_OK;
}

/* A whole number of ms in 0..CANDLES_TIME_MAX from text. */
static bool parse_time(const char *text, int64_t *out)
{
    char *end;
    if (text[0] < '0' || text[0] > '9' || strlen(text) > 15)
        return false;
    long long v = strtoll(text, &end, 10);
    if (*end != '\0' || v > CANDLES_TIME_MAX)
        return false;
    *out = v;
    return true;
}

int candles_query_check(const char *symbol, const char *interval, const char *from, const char *to,
                        const char *limit, struct candles_query *q, char *err, size_t errlen)
{
    if (!interval) {
        if (!from && !to)
            return CP_ENOENT;
        snprintf(err, errlen, "from and to need an interval (1m, 5m, 1h or 1d)");
        return CP_EINVAL;
    }
    memset(q, 0, sizeof *q);
    if (!symbol || !price_symbol_valid(symbol)) {
        snprintf(err, errlen, "symbol must be a symbol such as BTC");
        return CP_EINVAL;
    }
    snprintf(q->symbol, sizeof q->symbol, "%s", symbol);
    if (candles_interval_parse(interval, &q->interval) != CP_OK) {
        snprintf(err, errlen, "interval must be one of 1m, 5m, 1h, 1d");
        return CP_EINVAL;
    }
    const char *names[2] = {"from", "to"};
    const char *texts[2] = {from, to};
    int64_t *values[2] = {&q->from, &q->to};
    bool *has[2] = {&q->has_from, &q->has_to};
    for (int i = 0; i < 2; i++) {
        if (!texts[i])
            continue;
        if (!parse_time(texts[i], values[i])) {
            snprintf(err, errlen, "%s must be a time in ms since the epoch, 0 to %lld", names[i],
                     (long long)CANDLES_TIME_MAX);
            return CP_EINVAL;
        }
        *has[i] = true;
    }
    if (q->has_from && q->has_to && q->from > q->to) {
        snprintf(err, errlen, "from must not be after to");
        return CP_EINVAL;
    }
    q->limit = CANDLES_DEFAULT_LIMIT;
    if (limit) {
        char *end;
        long v = strtol(limit, &end, 10);
        if (limit[0] < '0' || limit[0] > '9' || *end != '\0' || v < 1 || v > CANDLES_MAX_LIMIT) {
            snprintf(err, errlen, "limit must be a whole number from 1 to %d", CANDLES_MAX_LIMIT);
            return CP_EINVAL;
        }
        q->limit = (int)v;
    }
    return CP_OK;
}

void candles_query_range(const struct candles_query *q, char min[24], char max[24], bool *reverse)
{
    *reverse = !q->has_from;
    if (q->has_from)
        snprintf(min, 24, "%lld", (long long)q->from);
    else
        snprintf(min, 24, "-inf");
    if (q->has_to)
        snprintf(max, 24, "%lld", (long long)q->to);
    else
        snprintf(max, 24, "+inf");
}

char *candles_response(const struct candles_query *q, const char *const *members,
                       const size_t *lens, size_t n, bool reverse, const char *newest,
                       size_t newest_len, bool *cacheable, size_t *len)
{
    size_t cap = 128 + n * CANDLES_MEMBER_MAX, used;
    char *out = xmalloc(cap);
    used = (size_t)snprintf(out, cap, "{\"symbol\":\"%s\",\"interval\":\"%s\",\"candles\":[",
                            q->symbol, intervals[q->interval].name);
    bool last_open = false, first = true;
    int64_t first_open = -1;
    for (size_t k = 0; k < n; k++) {
        size_t i = reverse ? n - 1 - k : k;
        char flag = member_shape(members[i], lens[i]);
        if (!flag)
            continue;
        if (!first)
            out[used++] = ',';
        memcpy(out + used, members[i] + 1, lens[i] - 1);
        used += lens[i] - 1;
        last_open = flag == 'o';
        if (first_open < 0)
            first_open = (int64_t)strtoll(members[i] + 2, NULL, 10);
        first = false;
    }
    used += (size_t)snprintf(out + used, cap - used, "],\"last_open\":%s}",
                             last_open ? "true" : "false");
    struct ohlcv top;
    *cacheable = q->has_to && newest && candles_member_parse(newest, newest_len, &top) == CP_OK &&
                 q->to < top.open_ms;
    /* The feeder trims what is older than its newest candle less the
     * retention, and the newest moves on by about the max-age meanwhile. */
    if (*cacheable && q->retention_ms > 0 && first_open >= 0)
        *cacheable = first_open > top.open_ms + CANDLES_CACHE_MAX_AGE * 1000LL - q->retention_ms;
    *len = used;
    return out;
}
