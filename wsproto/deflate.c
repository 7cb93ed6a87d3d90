#include "config.h"

#include "deflate.h"

#include "cp_error.h"
#include "xalloc.h"

#define ZLIB_CONST
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* The empty stored block that ends a sync flush (RFC 7692 §7.2.1, §7.2.2). */
static const uint8_t deflate_tail[4] = {0x00, 0x00, 0xff, 0xff};

/* ---- negotiation (RFC 7692 §5, §7.1; RFC 6455 §9.1) -------------------- */

/* One permessage-deflate offer as parsed; a window of 0 means absent. */
struct offer {
    unsigned seen; /* bit per parameter, to find duplicates */
    bool server_no_takeover;
    bool client_no_takeover;
    int server_bits; /* 8..15 */
    int client_bits; /* 8..15, or -1: present without a value */
};

struct cursor {
    const char *p, *end;
};

static void skip_ows(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* tchar, RFC 7230 §3.2.6. */
static bool is_tchar(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Take a token; returns its length, 0 when there is none. */
static size_t take_token(struct cursor *c, const char **tok)
{
    *tok = c->p;
    while (c->p < c->end && is_tchar(*c->p))
        c->p++;
    return (size_t)(c->p - *tok);
}

/* Take a value: a token, or a quoted-string whose unescaped text must be a
 * token (RFC 6455 §9.1).  Copies it NUL-ended into buf; false when malformed
 * or longer than any valid value. */
static bool take_value(struct cursor *c, char *buf, size_t cap)
{
    size_t n = 0;
    bool quoted = c->p < c->end && *c->p == '"';
    if (quoted)
        c->p++;
    while (c->p < c->end && !(quoted && *c->p == '"')) {
        if (quoted && *c->p == '\\' && c->p + 1 < c->end)
            c->p++;
        if (!is_tchar(*c->p))
            break;
        if (n + 1 == cap)
            return false;
        buf[n++] = *c->p++;
    }
    if (quoted) {
        if (c->p == c->end || *c->p != '"')
            return false;
        c->p++;
    }
    buf[n] = '\0';
    return n > 0;
}

/* A window size: a decimal 8..15 without leading zeros (§7.1.2.1, §7.1.2.2).
 * Returns 0 when invalid. */
static int window_bits(const char *v)
{
    if (v[0] >= '8' && v[0] <= '9' && !v[1])
        return v[0] - '0';
    if (v[0] == '1' && v[1] >= '0' && v[1] <= '5' && !v[2])
        return 10 + v[1] - '0';
    return 0;
}

enum { P_SNCT = 1, P_CNCT = 2, P_SMWB = 4, P_CMWB = 8 };

/* Record one parameter (value: NULL when it had none).  False when the
 * offer must be declined (§7: unknown, duplicate or invalid parameter). */
static bool apply_param(struct offer *o, const char *name, size_t len, const char *value)
{
    static const char *const names[] = {"server_no_context_takeover", "client_no_context_takeover",
                                        "server_max_window_bits", "client_max_window_bits"};
    unsigned i = 0;
    while (i < 4 && !(strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0))
        i++;
    if (i == 4 || (o->seen & (1u << i)))
        return false;
    o->seen |= 1u << i;
    switch (1u << i) {
    case P_SNCT: o->server_no_takeover = true; return !value; /* §7.1.1.1: no value */
    case P_CNCT: o->client_no_takeover = true; return !value; /* §7.1.1.2: no value */
    case P_SMWB:
        o->server_bits = value ? window_bits(value) : 0; /* §7.1.2.1: value required */
        return o->server_bits != 0;
    default:
        o->client_bits = value ? window_bits(value) : -1; /* §7.1.2.2: value optional */
        return o->client_bits != 0;
    }
}

/* Parse one list element [s, end).  True for a well-formed
 * permessage-deflate offer; false for another extension or a malformed one. */
static bool parse_offer(const char *s, const char *end, struct offer *o)
{
    struct cursor c = {s, end};
    const char *tok;
    memset(o, 0, sizeof *o);
    skip_ows(&c);
    size_t n = take_token(&c, &tok);
    if (n != 18 || strncasecmp(tok, "permessage-deflate", n) != 0)
        return false;
    for (skip_ows(&c); c.p < c.end; skip_ows(&c)) {
        if (*c.p++ != ';')
            return false;
        skip_ows(&c);
        n = take_token(&c, &tok);
        if (n == 0)
            return false;
        skip_ows(&c);
        char value[8];
        bool has_value = c.p < c.end && *c.p == '=';
        if (has_value) {
            c.p++;
            skip_ows(&c);
            if (!take_value(&c, value, sizeof value))
                return false;
        }
        if (!apply_param(o, tok, n, has_value ? value : NULL))
            return false;
    }
    return true;
}

/* End of the list element starting at s: the next comma outside a
 * quoted-string, or the terminating NUL. */
static const char *element_end(const char *s)
{
    bool quoted = false;
    for (; *s; s++) {
        if (quoted && *s == '\\' && s[1])
            s++;
        else if (*s == '"')
            quoted = !quoted;
        else if (*s == ',' && !quoted)
            break;
    }
    return s;
}

/* Accept o: fill the agreed parameters and the response (§7.1). */
static void accept_offer(const struct offer *o, struct deflate_params *agreed, char *response)
{
    agreed->server_no_context_takeover = true;
    agreed->client_no_context_takeover = true;
    agreed->server_max_window_bits = (uint8_t)(o->server_bits ? o->server_bits : 15);
    agreed->client_max_window_bits = 15;
    int n = snprintf(response, DEFLATE_RESPONSE_MAX,
                     "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    /* §7.1.2.1: accepting an offered server window means answering it; the
     * shared stream's smaller window keeps within it. */
    if (o->server_bits)
        n += snprintf(response + n, (size_t)(DEFLATE_RESPONSE_MAX - n),
                      "; server_max_window_bits=%d", o->server_bits);
    if (o->client_bits) {
        int bits = o->client_bits > 0 && o->client_bits < DEFLATE_CLIENT_WINDOW_BITS
                       ? o->client_bits
                       : DEFLATE_CLIENT_WINDOW_BITS;
        agreed->client_max_window_bits = (uint8_t)bits;
        snprintf(response + n, (size_t)(DEFLATE_RESPONSE_MAX - n), "; client_max_window_bits=%d",
                 bits);
    }
}

int deflate_negotiate(const char *offers, struct deflate_params *agreed,
                      char response[DEFLATE_RESPONSE_MAX])
{
    for (const char *s = offers; s;) {
        const char *end = element_end(s);
        struct offer o;
        /* One stream serves everyone; its window fits every offer but 8. */
        if (parse_offer(s, end, &o) &&
            (!o.server_bits || o.server_bits >= DEFLATE_SERVER_WINDOW_BITS)) {
            accept_offer(&o, agreed, response);
            return CP_OK;
        }
        s = *end ? end + 1 : NULL;
    }
    return CP_ENOENT;
}

/* ---- compression (RFC 7692 §7.2.1) ------------------------------------- */

struct deflate_ctx {
    z_stream z;
};

struct deflate_ctx *deflate_ctx_new(void)
{
    struct deflate_ctx *c = xcalloc(1, sizeof *c);
    /* Negative window bits: raw DEFLATE, no zlib header (§7.2.1). */
    if (deflateInit2(&c->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -DEFLATE_SERVER_WINDOW_BITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        abort(); /* only on out-of-memory, like xalloc */
    return c;
}

void deflate_ctx_free(struct deflate_ctx *c)
{
    if (!c)
        return;
    deflateEnd(&c->z);
    free(c);
}

size_t deflate_compress_bound(size_t len)
{
    /* zlib's conservative deflateBound() for a window or memLevel other than
     * the defaults is len + len/8 + len/64 + 5 (+ wrapper), for Z_FINISH; a
     * sync flush adds at most an empty stored block (5 bytes) and a partial
     * byte.  Round up generously. */
    return len + ((len + 7) >> 3) + ((len + 63) >> 6) + 32;
}

int deflate_compress(struct deflate_ctx *c, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                     size_t *out_len)
{
    if (len > UINT_MAX || cap < 5)
        return CP_ETOOBIG;
    uInt avail = cap > UINT_MAX ? UINT_MAX : (uInt)cap;
    deflateReset(&c->z); /* no context takeover: every message from an empty window */
    c->z.next_in = in;
    c->z.avail_in = (uInt)len;
    c->z.next_out = out;
    c->z.avail_out = avail;
    int zr = deflate(&c->z, Z_SYNC_FLUSH);
    /* A full output buffer may hide pending output: demand a spare byte. */
    if (zr != Z_OK || c->z.avail_in != 0 || c->z.avail_out == 0)
        return CP_ETOOBIG;
    size_t n = avail - c->z.avail_out;
    if (n < 4 || memcmp(out + n - 4, deflate_tail, 4) != 0)
        return CP_EINVAL; /* a sync flush always ends so; never happens */
    *out_len = n - 4;
    return CP_OK;
}

/* ---- decompression (RFC 7692 §7.2.2) ----------------------------------- */

struct deflate_inflater {
    struct deflate_params params;
    z_stream z;
    bool live;        /* z is initialised */
    bool ended;       /* the message held a block with BFINAL set */
    bool spilled;     /* out is full: output now goes to the sentinel */
    uint8_t sentinel; /* one byte past max: writing it means too big */
    size_t mem, peak; /* bytes zlib holds, now and at most */
};

/* zlib's allocator, counting what it holds; each block starts with its size. */
static voidpf inflater_alloc(voidpf opaque, uInt items, uInt size)
{
    struct deflate_inflater *f = opaque;
    size_t n = (size_t)items * size;
    max_align_t *b = malloc(sizeof *b + n);
    if (!b)
        return NULL;
    *(size_t *)b = n;
    f->mem += n;
    if (f->mem > f->peak)
        f->peak = f->mem;
    return b + 1;
}

static void inflater_release(voidpf opaque, voidpf p)
{
    struct deflate_inflater *f = opaque;
    max_align_t *b = (max_align_t *)p - 1;
    f->mem -= *(size_t *)b;
    free(b);
}

struct deflate_inflater *deflate_inflater_new(const struct deflate_params *params)
{
    struct deflate_inflater *f = xcalloc(1, sizeof *f);
    f->params = *params;
    return f;
}

static void inflater_close(struct deflate_inflater *f)
{
    if (f->live)
        inflateEnd(&f->z);
    f->live = false;
}

void deflate_inflater_free(struct deflate_inflater *f)
{
    if (!f)
        return;
    inflater_close(f);
    free(f);
}

size_t deflate_inflater_peak(const struct deflate_inflater *f)
{
    return f->peak;
}

static int inflater_open(struct deflate_inflater *f)
{
    if (f->live)
        return CP_OK;
    memset(&f->z, 0, sizeof f->z);
    f->z.zalloc = inflater_alloc;
    f->z.zfree = inflater_release;
    f->z.opaque = f;
    /* The agreed window bounds the client's distances (§7.1.2.2); zlib
     * allocates it at the first output. */
    if (inflateInit2(&f->z, -(int)f->params.client_max_window_bits) != Z_OK)
        return CP_ENOMEM;
    f->live = true;
    return CP_OK;
}

/* Inflate n bytes of input into the current output.  Input after a block
 * with BFINAL set is ignored: RFC 7692 §7.2.3.4 has the sender follow it with
 * an octet of header bits, and our appended tail follows it too. */
static int inflate_chunk(struct deflate_inflater *f, const uint8_t *data, size_t n)
{
    while (n > 0 && !f->ended) {
        uInt part = n > UINT_MAX ? UINT_MAX : (uInt)n;
        f->z.next_in = data;
        f->z.avail_in = part;
        while (f->z.avail_in > 0 && !f->ended) {
            if (f->z.avail_out == 0) {
                if (f->spilled)
                    return CP_ETOOBIG;
                f->spilled = true;
                f->z.next_out = &f->sentinel;
                f->z.avail_out = 1;
            }
            int zr = inflate(&f->z, Z_SYNC_FLUSH);
            if (f->spilled && f->z.avail_out == 0)
                return CP_ETOOBIG; /* one byte past max: stop here */
            if (zr == Z_STREAM_END)
                f->ended = true;
            else if (zr == Z_MEM_ERROR)
                return CP_ENOMEM;
            else if (zr != Z_OK)
                return CP_EPROTO; /* Z_DATA_ERROR, or no progress possible */
        }
        data += part;
        n -= part;
    }
    return CP_OK;
}

/* A final block ended the DEFLATE stream (§7.2.3.4).  With context takeover
 * the next message must still see this window: carry it into a new stream. */
static int restart_keeping_window(struct deflate_inflater *f)
{
    uInt n = 1u << f->params.client_max_window_bits;
    Bytef *window = xmalloc(n);
    int zr = inflateGetDictionary(&f->z, window, &n);
    if (zr == Z_OK)
        zr = inflateReset(&f->z);
    if (zr == Z_OK && n > 0)
        zr = inflateSetDictionary(&f->z, window, n);
    free(window);
    return zr == Z_OK ? CP_OK : CP_EPROTO;
}

/* After a message: keep, reset or drop the stream as the parameters say. */
static int finish_message(struct deflate_inflater *f, int rc)
{
    if (rc != CP_OK || f->params.client_no_context_takeover)
        inflater_close(f);
    else if (f->ended)
        rc = restart_keeping_window(f);
    if (rc != CP_OK)
        inflater_close(f);
    return rc;
}

int deflate_inflate(struct deflate_inflater *f, const uint8_t *in, size_t len, uint8_t *out,
                    size_t max, size_t *out_len)
{
    *out_len = 0;
    int rc = inflater_open(f);
    if (rc != CP_OK)
        return rc;
    uInt avail = max > UINT_MAX ? UINT_MAX : (uInt)max;
    f->z.next_out = out;
    f->z.avail_out = avail;
    f->ended = false;
    f->spilled = false;
    rc = inflate_chunk(f, in, len);
    if (rc == CP_OK)
        rc = inflate_chunk(f, deflate_tail, sizeof deflate_tail);
    *out_len = f->spilled ? avail : avail - f->z.avail_out;
    return finish_message(f, rc);
}
