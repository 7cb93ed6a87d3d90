#include "config.h"

#include "sse.h"

#include "cp_error.h"
#include "http.h"
#include "urlcode.h"
#include "xalloc.h"

#include <stdio.h>
#include <string.h>

struct sse_buf {
    char *p;
    size_t len, cap;
};

static void put(struct sse_buf *b, const char *s, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void put_field(struct sse_buf *b, const char *name, const char *value, size_t n)
{
    put(b, name, strlen(name));
    put(b, ": ", 2);
    put(b, value, n);
    put(b, "\n", 1);
}

char *sse_event_new(const char *id, const char *event, const char *data, size_t len,
                    size_t *out_len)
{
    struct sse_buf b = {xmalloc(len + 64), 0, len + 64};
    if (id)
        put_field(&b, "id", id, strlen(id));
    if (event)
        put_field(&b, "event", event, strlen(event));
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && data[i] != '\n' && data[i] != '\r')
            continue;
        put_field(&b, "data", data + start, i - start);
        if (i + 1 < len && data[i] == '\r' && data[i + 1] == '\n')
            i++;
        start = i + 1;
    }
    put(&b, "\n", 1);
    *out_len = b.len;
    return b.p;
}

char *sse_id_block_new(const char *id, size_t *out_len)
{
    size_t n = strlen(id);
    struct sse_buf b = {xmalloc(n + 8), 0, n + 8};
    put_field(&b, "id", id, n);
    put(&b, "\n", 1);
    *out_len = b.len;
    return b.p;
}

int sse_id_valid(const char *id)
{
    return strpbrk(id, "\r\n") == NULL;
}

int sse_parse_symbols(const char *list, char (*out)[PRICE_SYMBOL_MAX], int max, char *err,
                      size_t errlen)
{
    if (strcmp(list, "*") == 0)
        return 0;
    int n = 0;
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        char sym[PRICE_SYMBOL_MAX];
        snprintf(sym, sizeof sym, "%.*s", (int)(len < sizeof sym ? len : sizeof sym - 1), p);
        const char *why = len == 0                                        ? "an empty symbol"
                          : len >= sizeof sym || !price_symbol_valid(sym) ? "not a symbol"
                          : n == max                                      ? "one too many"
                                                                          : NULL;
        for (int i = 0; !why && i < n; i++)
            if (strcmp(out[i], sym) == 0)
                why = "repeated";
        if (why) {
            snprintf(err, errlen, "symbols: \"%.*s\" is %s", (int)(len > 32 ? 32 : len), p, why);
            return CP_EINVAL;
        }
        strcpy(out[n++], sym);
        p += len;
        if (*p == '\0')
            return n;
    }
}

int sse_query_symbols(const char *query, char (*out)[PRICE_SYMBOL_MAX], int max, char *err,
                      size_t errlen)
{
    char list[HTTP_URL_MAX]; /* decoding never lengthens: the whole value fits */
    int q = urlcode_query_param(query, "symbols", list, sizeof list);
    if (q == CP_ENOENT)
        return CP_ENOENT;
    if (q != CP_OK) {
        snprintf(err, errlen, "symbols is not a valid query value (a bad %%-escape or a NUL)");
        return CP_EINVAL;
    }
    return sse_parse_symbols(list[0] ? list : "*", out, max, err, errlen);
}
