#include "config.h"

#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

/* Blocks up to this size are zeroed here rather than by calloc(): glibc's
 * calloc() never takes a block from the thread cache (tcache), so each
 * small one went through _int_malloc, the larger part of the gateway's
 * allocation cost per connection (callgrind).  Larger blocks stay with
 * calloc(), which may get them already zeroed from the kernel. */
#define XCALLOC_SMALL 1024

void *xcalloc(size_t count, size_t n)
{
    count = count ? count : 1;
    n = n ? n : 1;
    if (count <= XCALLOC_SMALL / n) {
        void *p = xmalloc(count * n);
        memset(p, 0, count * n);
        return p;
    }
    void *p = calloc(count, n);
    if (!p)
        oom(count * n);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

void *xgrow(void *p, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return p;
    *cap = *cap ? *cap * 2 : first;
    return xrealloc(p, *cap * size);
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
