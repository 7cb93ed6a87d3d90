#include "config.h"

#include "etag.h"

#include "strlist.h"

#include <stdio.h>
#include <string.h>

uint64_t etag_hash(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

void etag_format(const void *data, size_t len, const char *suffix, char out[ETAG_MAX])
{
    snprintf(out, ETAG_MAX, "\"%llx-%016llx%.8s\"", (unsigned long long)len,
             (unsigned long long)etag_hash(data, len), suffix ? suffix : "");
}

bool etag_matches(const char *if_none_match, const char *etag)
{
    const char *s = if_none_match, *el;
    size_t len, tlen = strlen(etag);
    while (strlist_next_element(&s, &el, &len)) {
        if (len == 1 && el[0] == '*')
            return true;
        if (len > 2 && strncmp(el, "W/", 2) == 0) { /* weak comparison, §8.8.3.2 */
            el += 2;
            len -= 2;
        }
        if (len == tlen && memcmp(el, etag, len) == 0)
            return true;
    }
    return false;
}
