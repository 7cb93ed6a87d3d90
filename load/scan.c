#define _GNU_SOURCE /* memmem */
#include "config.h"

#include "scan.h"

#include "cp_error.h"

#include <string.h>

int scan_event(const char *msg, size_t len, char *out, size_t cap)
{
    static const char head[] = "{\"event\":\"";
    size_t hl = sizeof head - 1;
    if (len < hl || memcmp(msg, head, hl) != 0)
        return CP_ENOENT;
    const char *s = msg + hl;
    const char *q = memchr(s, '"', len - hl);
    if (!q || (size_t)(q - s) >= cap)
        return CP_ENOENT;
    memcpy(out, s, (size_t)(q - s));
    out[q - s] = '\0';
    return (int)(q - s);
}

static int64_t number_at(const char *p, const char *end, const char **after)
{
    int64_t v = 0;
    const char *q = p;
    while (q < end && *q >= '0' && *q <= '9')
        v = v * 10 + (*q++ - '0');
    *after = q;
    return q == p ? -1 : v;
}

static const char *find(const char *p, const char *end, const char *needle, size_t n)
{
    return p < end ? memmem(p, (size_t)(end - p), needle, n) : NULL;
}

int scan_prices(const char *msg, size_t len, struct tickid *id, int64_t *ts, int max)
{
    const char *end = msg + len;
    const char *p = find(msg, end, "\"id\":\"", 6);
    if (!p)
        return CP_ENOENT;
    p += 6;
    const char *q = memchr(p, '"', (size_t)(end - p));
    char text[48];
    if (!q || (size_t)(q - p) >= sizeof text)
        return CP_ENOENT;
    memcpy(text, p, (size_t)(q - p));
    text[q - p] = '\0';
    if (tickid_parse(text, id) != CP_OK)
        return CP_ENOENT;
    const char *from = find(msg, end, "\"prices\":[", 10);
    bool bulk = from != NULL;
    p = bulk ? from : msg;
    int n = 0;
    while (n < max && (p = find(p, end, "\"ts\":", 5))) {
        int64_t v = number_at(p + 5, end, &p);
        if (v >= 0)
            ts[n++] = v;
        if (!bulk)
            break;
    }
    return n ? n : CP_ENOENT;
}
