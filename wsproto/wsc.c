#include "config.h"

#include "wsc.h"

#include "cp_error.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void wsc_key(const uint8_t nonce[16], char out[WSC_KEY_LEN + 1])
{
    EVP_EncodeBlock((unsigned char *)out, nonce, 16);
}

/* The opening handshake with the Host value host (RFC 6455 §4.1). */
static int request(char *out, size_t cap, const char *host, const char *path,
                   const char key[WSC_KEY_LEN + 1], bool deflate)
{
    int n = snprintf(out, cap,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s\r\n",
                     path, host, key,
                     deflate ? "Sec-WebSocket-Extensions: permessage-deflate; "
                               "client_max_window_bits\r\n"
                             : "");
    return n < 0 || (size_t)n >= cap ? CP_ETOOBIG : n;
}

int wsc_request(char *out, size_t cap, const char *host, int port, const char *path,
                const char key[WSC_KEY_LEN + 1], bool deflate)
{
    char hostport[WSC_HOST_MAX + 8];
    int n = snprintf(hostport, sizeof hostport, "%s:%d", host, port);
    if (n < 0 || (size_t)n >= sizeof hostport)
        return CP_ETOOBIG;
    return request(out, cap, hostport, path, key, deflate);
}

int wsc_request_url(char *out, size_t cap, const struct wsc_url *u, const char key[WSC_KEY_LEN + 1])
{
    bool v6 = strchr(u->host, ':') != NULL;
    char host[WSC_HOST_MAX + 8];
    int n = u->port == (u->tls ? 443 : 80)
                ? snprintf(host, sizeof host, v6 ? "[%s]" : "%s", u->host)
                : snprintf(host, sizeof host, v6 ? "[%s]:%d" : "%s:%d", u->host, u->port);
    if (n < 0 || (size_t)n >= sizeof host)
        return CP_ETOOBIG;
    return request(out, cap, host, u->resource, key, false);
}

/* Copy the n bytes at s into out (cap bytes) with a NUL; false when they do
 * not fit. */
static bool copy_part(char *out, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

/* The host of an authority (s, n bytes, no user information): a bracketed
 * IPv6 address or a name or IPv4 address of letters, digits, '-', '.' and
 * '_' (RFC 3986 §3.2.2, without percent-encoding).  Sets *rest to what
 * follows it. */
static bool parse_host(const char *s, size_t n, struct wsc_url *u, const char **rest)
{
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        struct in6_addr a6;
        if (!close || !copy_part(u->host, sizeof u->host, s + 1, (size_t)(close - s - 1)) ||
            inet_pton(AF_INET6, u->host, &a6) != 1)
            return false;
        *rest = close + 1;
        return true;
    }
    size_t h = 0;
    while (h < n && (isalnum((unsigned char)s[h]) || s[h] == '-' || s[h] == '.' || s[h] == '_'))
        h++;
    *rest = s + h;
    return h > 0 && copy_part(u->host, sizeof u->host, s, h);
}

/* ":port" (1..65535) at s, up to end; nothing means the default. */
static bool parse_port(const char *s, const char *end, struct wsc_url *u)
{
    if (s == end)
        return true;
    if (*s != ':' || end - s < 2 || end - s > 6)
        return false;
    long port = 0;
    for (const char *p = s + 1; p < end; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        port = port * 10 + (*p - '0');
    }
    if (port < 1 || port > 65535)
        return false;
    u->port = (int)port;
    return true;
}

int wsc_url_parse(const char *url, struct wsc_url *u)
{
    memset(u, 0, sizeof *u);
    const char *p;
    if (strncasecmp(url, "ws://", 5) == 0)
        p = url + 5;
    else if (strncasecmp(url, "wss://", 6) == 0)
        p = url + 6, u->tls = true;
    else
        return CP_EINVAL;
    u->port = u->tls ? 443 : 80;
    for (const char *q = p; *q; q++)
        if ((unsigned char)*q <= 0x20 || *q == 0x7f || *q == '#')
            return CP_EINVAL;
    size_t alen = strcspn(p, "/?");
    const char *aend = p + alen;
    const char *rest;
    if (memchr(p, '@', alen) || !parse_host(p, alen, u, &rest) || !parse_port(rest, aend, u))
        return CP_EINVAL;
    if (*aend == '?')
        return snprintf(u->resource, sizeof u->resource, "/%s", aend) < (int)sizeof u->resource
                   ? CP_OK
                   : CP_EINVAL;
    if (!*aend)
        aend = "/";
    return copy_part(u->resource, sizeof u->resource, aend, strlen(aend)) ? CP_OK : CP_EINVAL;
}

/* Value of header name in the head (lines after the status line), trimmed,
 * copied into out; false when absent. */
static bool header_value(const char *head, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *end = head + len;
    const char *line = memchr(head, '\n', len);
    while (line && ++line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            break;
        if ((size_t)(eol - line) > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            const char *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t n = (size_t)(ve - v) < cap - 1 ? (size_t)(ve - v) : cap - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return true;
        }
        line = eol;
    }
    return false;
}

/* True when the comma list value holds token (case-insensitive). */
static bool has_token(const char *value, const char *token)
{
    size_t tl = strlen(token);
    for (const char *p = value; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ';')
            e++;
        size_t n = (size_t)(e - p);
        while (n && p[n - 1] == ' ')
            n--;
        if (n == tl && strncasecmp(p, token, tl) == 0)
            return true;
        p = e;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

/* The status of the line "HTTP/1.x NNN ..." that starts buf (len bytes, the
 * whole head), or 0.  Not sscanf(): buf is not NUL-terminated, and glibc's
 * sscanf() looks for the NUL first. */
static int status_code(const char *buf, size_t len)
{
    if (len < 13 || memcmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') ||
        buf[8] != ' ' || (buf[12] != ' ' && buf[12] != '\r'))
        return 0;
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (!isdigit((unsigned char)buf[i]))
            return 0;
        status = status * 10 + (buf[i] - '0');
    }
    return status;
}

int wsc_response(const char *buf, size_t len, const char key[WSC_KEY_LEN + 1],
                 struct wsc_handshake *hs)
{
    hs->status = 0;
    hs->deflate = false;
    const char *end = NULL;
    for (size_t i = 0; i + 3 < len; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
            end = buf + i + 4;
            break;
        }
    if (!end)
        return CP_EAGAIN;
    size_t head = (size_t)(end - buf);
    int status = status_code(buf, head);
    if (!status)
        return CP_EPROTO;
    hs->status = status;
    char v[256], want[WS_ACCEPT_LEN + 1];
    if (status != 101 || !header_value(buf, head, "Upgrade", v, sizeof v) ||
        strcasecmp(v, "websocket") != 0 || !header_value(buf, head, "Connection", v, sizeof v) ||
        !has_token(v, "upgrade") || !header_value(buf, head, "Sec-WebSocket-Accept", v, sizeof v))
        return CP_EPROTO;
    ws_accept_key(key, want);
    if (strcmp(v, want) != 0)
        return CP_EPROTO;
    if (header_value(buf, head, "Sec-WebSocket-Extensions", v, sizeof v))
        hs->deflate = has_token(v, "permessage-deflate");
    return (int)head;
}

/*  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-------+-+-------------+-------------------------------+
 * |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 * |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 * |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 * | |1|2|3|       |K|             |                               |
 * +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +  (RFC 6455 §5.2) */
int wsc_frame_parse(const uint8_t *buf, size_t len, struct wsc_frame *f)
{
    memset(f, 0, sizeof *f);
    if (len < 2)
        return CP_EAGAIN;
    f->fin = buf[0] & 0x80;
    f->rsv1 = buf[0] & 0x40;
    f->opcode = (enum ws_opcode)(buf[0] & 0x0F);
    if ((buf[0] & 0x30) || (buf[1] & 0x80))
        return CP_EPROTO;
    bool control = f->opcode & 0x8;
    if (f->opcode != WS_OP_CONT && f->opcode != WS_OP_TEXT && f->opcode != WS_OP_BINARY &&
        f->opcode != WS_OP_CLOSE && f->opcode != WS_OP_PING && f->opcode != WS_OP_PONG)
        return CP_EPROTO;
    uint64_t plen = buf[1] & 0x7F;
    size_t hlen = 2;
    if (plen == 126) {
        hlen = 4;
        if (len < hlen)
            return CP_EAGAIN;
        plen = (uint64_t)buf[2] << 8 | buf[3];
    } else if (plen == 127) {
        hlen = 10;
        if (len < hlen)
            return CP_EAGAIN;
        if (buf[2] & 0x80)
            return CP_EPROTO;
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = plen << 8 | buf[2 + i];
    }
    if (control && (!f->fin || plen > WS_CONTROL_MAX))
        return CP_EPROTO;
    f->len = plen;
    f->total = hlen + plen;
    if (len < f->total)
        return CP_EAGAIN;
    f->payload = buf + hlen;
    return CP_OK;
}

int wsc_frame_encode(uint8_t *out, size_t cap, enum ws_opcode opcode, const uint8_t *payload,
                     size_t len, const uint8_t mask[4])
{
    if (cap < len + WSC_MASK_HEADER_MAX)
        return CP_ETOOBIG;
    size_t h = ws_frame_header(out, opcode, true, len);
    out[1] |= 0x80; /* MASK: every client frame is masked (§5.3) */
    memcpy(out + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < len; i++)
        out[h + i] = payload[i] ^ mask[i & 3];
    return (int)(h + len);
}
