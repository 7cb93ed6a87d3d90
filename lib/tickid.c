#include "config.h"

#include "tickid.h"

#include "cp_error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tickid tickid_next(struct tickid last, int64_t now_ms)
{
    if (now_ms > last.ms)
        return (struct tickid){now_ms, 0};
    return (struct tickid){last.ms, last.seq + 1};
}

int tickid_format(struct tickid id, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%" PRId64 "-%" PRIu64, id.ms, id.seq);
    return n < 0 || (size_t)n >= len ? CP_ETOOBIG : n;
}

/* Digits only, no sign, space or leading zero ("0" itself is fine): the
 * form Redis writes, so that one id has one spelling. */
static bool canonical_number(const char *s, size_t n)
{
    return n > 0 && n <= 20 && strspn(s, "0123456789") >= n && (s[0] != '0' || n == 1);
}

int tickid_parse(const char *text, struct tickid *out)
{
    const char *dash = strchr(text, '-');
    if (!dash || !canonical_number(text, (size_t)(dash - text)) ||
        !canonical_number(dash + 1, strlen(dash + 1)))
        return CP_EINVAL;
    char *end;
    errno = 0;
    long long ms = strtoll(text, &end, 10);
    if (errno || end == text || *end != '-' || ms < 0 || end[1] < '0' || end[1] > '9')
        return CP_EINVAL;
    const char *s = end + 1;
    unsigned long long seq = strtoull(s, &end, 10);
    if (errno || *end != '\0')
        return CP_EINVAL;
    out->ms = ms;
    out->seq = seq;
    return CP_OK;
}

bool tickid_after(struct tickid a, struct tickid b)
{
    return a.ms > b.ms || (a.ms == b.ms && a.seq > b.seq);
}
