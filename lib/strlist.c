/* strlist: comma lists, host:port entries, milliseconds as timevals. */
#include "strlist.h"

#include <string.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

bool strlist_next(const char **cursor, const char **item, size_t *len)
{
    const char *p = *cursor;
    if (!p || !*p)
        return false;
    size_t n = strcspn(p, ",");
    const char *end = p + n;
    *cursor = *end ? end + 1 : end;
    while (p < end && blank(*p))
        p++;
    while (end > p && blank(end[-1]))
        end--;
    *item = p;
    *len = (size_t)(end - p);
    return true;
}

bool strlist_has(const char *list, const char *word)
{
    size_t wlen = strlen(word);
    const char *item;
    size_t len;
    while (strlist_next(&list, &item, &len))
        if (len == wlen && memcmp(item, word, len) == 0)
            return true;
    return false;
}

bool strlist_copy(const char *item, size_t len, char *out, size_t outlen)
{
    if (outlen == 0)
        return false;
    if (len >= outlen) {
        out[0] = '\0';
        return false;
    }
    memcpy(out, item, len);
    out[len] = '\0';
    return true;
}

bool strlist_hostport(const char *entry, size_t len, char *host, size_t hostlen, int *port)
{
    const char *colon = NULL;
    for (size_t i = 0; i < len; i++)
        if (entry[i] == ':')
            colon = entry + i;
    if (!colon || colon == entry || colon + 1 == entry + len)
        return false;
    long v = 0;
    for (const char *d = colon + 1; d < entry + len; d++) {
        if (*d < '0' || *d > '9' || v > 65535)
            return false;
        v = v * 10 + (*d - '0');
    }
    if (v < 1 || v > 65535 || (size_t)(colon - entry) >= hostlen)
        return false;
    memcpy(host, entry, (size_t)(colon - entry));
    host[colon - entry] = '\0';
    *port = (int)v;
    return true;
}

struct timeval strlist_timeval_ms(int64_t ms)
{
    return (struct timeval){.tv_sec = (time_t)(ms / 1000),
                            .tv_usec = (suseconds_t)(ms % 1000) * 1000};
}

bool strlist_next_element(const char **cursor, const char **item, size_t *len)
{
    while (strlist_next(cursor, item, len))
        if (*len > 0)
            return true;
    return false;
}
