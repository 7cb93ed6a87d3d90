#include "config.h"

#include "wsc.h"

#include "cp_error.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void wsc_key(const uint8_t nonce[16], char out[WSC_KEY_LEN + 1])
{
    EVP_EncodeBlock((unsigned char *)out, nonce, 16);
}

int wsc_request(char *out, size_t cap, const char *host, int port, const char *path,
                const char key[WSC_KEY_LEN + 1], bool deflate)
{
    int n = snprintf(out, cap,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s\r\n",
                     path, host, port, key,
                     deflate ? "Sec-WebSocket-Extensions: permessage-deflate; "
                               "client_max_window_bits\r\n"
                             : "");
    return n < 0 || (size_t)n >= cap ? CP_ETOOBIG : n;
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
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*1[01] %3d", &status) != 1)
        return CP_EPROTO;
    hs->status = status;
    char v[256], want[WS_ACCEPT_LEN + 1];
    if (status != 101 || !header_value(buf, head, "Upgrade", v, sizeof v) ||
        strcasecmp(v, "websocket") != 0 ||
        !header_value(buf, head, "Connection", v, sizeof v) || !has_token(v, "upgrade") ||
        !header_value(buf, head, "Sec-WebSocket-Accept", v, sizeof v))
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
