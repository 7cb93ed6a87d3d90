#include "config.h"

#include "ssec.h"

#include "cp_error.h"

#include <string.h>

/* End of the line starting at p: sets *next past its terminator.  Returns
 * false when the terminator is not in buf yet; a CR as the last byte may be
 * half of a CRLF, so it counts as not yet. */
static bool line_end(const char *p, const char *end, const char **eol, const char **next)
{
    for (const char *q = p; q < end; q++) {
        if (*q == '\n') {
            *eol = q;
            *next = q + 1;
            return true;
        }
        if (*q == '\r') {
            if (q + 1 == end)
                return false;
            *eol = q;
            *next = q + (q[1] == '\n' ? 2 : 1);
            return true;
        }
    }
    return false;
}

static void retry_field(struct ssec_event *ev, const char *v, size_t n)
{
    long r = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return; /* ignored unless all digits (§9.2.6) */
        r = r * 10 + (v[i] - '0');
    }
    if (n)
        ev->retry = r;
}

/* Append one data line; the first stays in buf, later ones go to scratch. */
static int data_field(struct ssec_event *ev, const char *v, size_t n, char *scratch, size_t cap,
                      size_t *lines)
{
    if ((*lines)++ == 0) {
        ev->data = v;
        ev->data_len = n;
        return CP_OK;
    }
    if (ev->data != scratch) {
        if (ev->data_len > cap)
            return CP_ETOOBIG;
        memmove(scratch, ev->data, ev->data_len);
        ev->data = scratch;
    }
    if (ev->data_len + 1 + n > cap)
        return CP_ETOOBIG;
    scratch[ev->data_len++] = '\n';
    memcpy(scratch + ev->data_len, v, n);
    ev->data_len += n;
    return CP_OK;
}

int ssec_parse(const char *buf, size_t len, struct ssec_event *ev, char *scratch, size_t cap)
{
    memset(ev, 0, sizeof *ev);
    ev->retry = -1;
    const char *p = buf, *end = buf + len, *eol, *next;
    size_t lines = 0;
    while (line_end(p, end, &eol, &next)) {
        if (eol == p)
            return (int)(next - buf); /* blank line: dispatch */
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        const char *name = p;
        size_t nlen = colon ? (size_t)(colon - p) : (size_t)(eol - p);
        const char *v = colon ? colon + 1 : eol;
        if (v < eol && *v == ' ')
            v++;
        size_t vlen = (size_t)(eol - v);
        if (nlen == 4 && memcmp(name, "data", 4) == 0) {
            int rc = data_field(ev, v, vlen, scratch, cap, &lines);
            if (rc != CP_OK)
                return rc;
        } else if (nlen == 2 && memcmp(name, "id", 2) == 0 && !memchr(v, '\0', vlen)) {
            ev->id = v;
            ev->id_len = vlen;
        } else if (nlen == 5 && memcmp(name, "event", 5) == 0) {
            ev->event = v;
            ev->event_len = vlen;
        } else if (nlen == 5 && memcmp(name, "retry", 5) == 0) {
            retry_field(ev, v, vlen);
        } /* comments (nlen 0) and unknown fields are ignored */
        p = next;
    }
    return CP_EAGAIN;
}
