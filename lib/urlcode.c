#include "config.h"

#include "urlcode.h"

#include "cp_error.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode n bytes of src; plus_space: '+' means ' ' (query strings). */
static int decode(const char *src, size_t n, bool plus_space, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return CP_ETOOBIG;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            int hi = i + 1 < n ? hexval(src[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(src[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return CP_EINVAL;
            c = hi << 4 | lo;
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (o + 1 >= outlen)
            return CP_ETOOBIG;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return CP_OK;
}

int urlcode_query_param(const char *query, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    for (const char *p = query ? query : ""; *p;) {
        size_t n = strcspn(p, "&;");
        if (n >= nlen && strncmp(p, name, nlen) == 0 && (n == nlen || p[nlen] == '='))
            return n == nlen ? decode("", 0, true, out, outlen)
                             : decode(p + nlen + 1, n - nlen - 1, true, out, outlen);
        p += n;
        if (*p)
            p++;
    }
    return CP_ENOENT;
}

int urlcode_path_decode(const char *src, char *out, size_t outlen)
{
    return decode(src, strlen(src), false, out, outlen);
}

const char *urlcode_query_text(const char *query, const char *name, char *out, size_t outlen)
{
    int rc = urlcode_query_param(query, name, out, outlen);
    if (rc == CP_ENOENT)
        return NULL;
    if (rc != CP_OK)
        out[0] = '\0';
    return out;
}
