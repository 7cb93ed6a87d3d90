#include "config.h"

#include "ws.h"

#include "cp_error.h"
#include "xalloc.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* ---- handshake (RFC 6455 §4) ----------------------------------------- */

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool ws_key_valid(const char *key)
{
    /* 16 bytes encode to 24 characters ending in "==". */
    if (strlen(key) != 24 || key[22] != '=' || key[23] != '=')
        return false;
    unsigned char raw[24];
    if (EVP_DecodeBlock(raw, (const unsigned char *)key, 24) != 18)
        return false;
    /* The 22nd character carries 2 bits of the last byte and 4 padding bits,
     * which must be zero for a canonical encoding of 16 bytes. */
    return strchr("AQgw", key[21]) != NULL;
}

/* The SHA-1 implementation and a digest context, fetched and made once per
 * thread and kept: EVP_sha1() + EVP_MD_CTX_new() on every handshake cost
 * about 9,000 instructions of the 11,000 the accept key took (OpenSSL 3
 * looks the digest up in its provider store on each init).  They are
 * reachable until exit, as OpenSSL's own caches are. */
static _Thread_local EVP_MD *ws_sha1;
static _Thread_local EVP_MD_CTX *ws_sha1_ctx;

void ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (!ws_sha1 && !(ws_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL)))
        abort(); /* no SHA-1 in the default provider: a broken OpenSSL */
    if (!ws_sha1_ctx && !(ws_sha1_ctx = EVP_MD_CTX_new()))
        abort(); /* only on allocation failure inside OpenSSL */
    if (!EVP_DigestInit_ex2(ws_sha1_ctx, ws_sha1, NULL) ||
        !EVP_DigestUpdate(ws_sha1_ctx, key, strlen(key)) ||
        !EVP_DigestUpdate(ws_sha1_ctx, ws_guid, sizeof ws_guid - 1) ||
        !EVP_DigestFinal_ex(ws_sha1_ctx, digest, &digest_len))
        abort();
    EVP_EncodeBlock((unsigned char *)out, digest, (int)digest_len);
}

/* ---- encoder (RFC 6455 §5.2) ----------------------------------------- */

size_t ws_frame_header(uint8_t out[WS_HEADER_MAX], enum ws_opcode opcode, bool fin, uint64_t len)
{
    return ws_frame_header_ext(out, opcode, fin, false, len);
}

size_t ws_frame_header_ext(uint8_t out[WS_HEADER_MAX], enum ws_opcode opcode, bool fin, bool rsv1,
                           uint64_t len)
{
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
    if (len < 126) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xFFFF) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    return 10;
}

/* ---- UTF-8 (RFC 3629 §4) --------------------------------------------- */

bool ws_utf8_feed(struct ws_utf8 *u, const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (u->need) {
            if (c < u->lo || c > u->hi)
                return false;
            u->need--;
            u->lo = 0x80;
            u->hi = 0xBF;
            continue;
        }
        if (c < 0x80)
            continue;
        u->lo = 0x80;
        u->hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            u->need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            u->need = 2;
            if (c == 0xE0)
                u->lo = 0xA0; /* overlong */
            else if (c == 0xED)
                u->hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            u->need = 3;
            if (c == 0xF0)
                u->lo = 0x90; /* overlong */
            else if (c == 0xF4)
                u->hi = 0x8F; /* above U+10FFFF */
        } else {
            return false;
        }
    }
    return true;
}

bool ws_utf8_complete(const struct ws_utf8 *u)
{
    return u->need == 0;
}

size_t ws_utf8_scrub(char *s)
{
    size_t replaced = 0;
    uint8_t *p = (uint8_t *)s;
    while (*p) {
        /* One character: its lead byte, then continuations until complete. */
        struct ws_utf8 u = {0};
        size_t n = 0;
        bool ok = true;
        while (ok) {
            ok = p[n] != 0 && ws_utf8_feed(&u, p + n, 1);
            if (ok && (++n, ws_utf8_complete(&u)))
                break;
        }
        if (ok) {
            p += n;
        } else {
            *p++ = '?';
            replaced++;
        }
    }
    return replaced;
}

/* ---- parser (RFC 6455 §5) -------------------------------------------- */

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-------+-+-------------+-------------------------------+
 * |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 * |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 * |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 * | |1|2|3|       |K|             |                               |
 * +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 * |     Extended payload length continued, if payload len == 127  |
 * + - - - - - - - - - - - - - - - +-------------------------------+
 * |                               |Masking-key, if MASK set to 1  |
 * +-------------------------------+-------------------------------+
 */
enum ws_state { WS_ST_HEAD, WS_ST_EXTLEN, WS_ST_MASK, WS_ST_PAYLOAD };

struct ws_parser {
    enum ws_state state;
    uint8_t hdr[8]; /* extended length or mask bytes being collected */
    size_t hdr_need, hdr_have;
    bool fin;
    bool rsv1;    /* the current frame has RSV1 */
    bool rsv1_ok; /* permessage-deflate agreed: RSV1 allowed, RFC 7692 §6 */
    uint8_t opcode;
    uint64_t remaining; /* payload bytes of the current frame still to come */
    uint8_t mask[4];
    size_t mask_pos;
    size_t max_message;
    /* The data message being reassembled from fragments. */
    uint8_t msg_opcode;  /* TEXT or BINARY while one is open, else 0 */
    bool msg_compressed; /* its first frame had RSV1 */
    uint8_t *msg;
    size_t msg_len, msg_cap;
    struct ws_utf8 utf8;
    /* The current control frame (never fragmented, at most 125 bytes). */
    uint8_t ctrl[WS_CONTROL_MAX];
    size_t ctrl_len;
};

struct ws_parser *ws_parser_new(size_t max_message)
{
    struct ws_parser *p = xcalloc(1, sizeof *p);
    p->max_message = max_message;
    return p;
}

void ws_parser_set_rsv1(struct ws_parser *p, bool allow)
{
    p->rsv1_ok = allow;
}

void ws_parser_release(struct ws_parser *p)
{
    if (p->msg_opcode != 0)
        return; /* a fragmented message is being reassembled */
    free(p->msg);
    p->msg = NULL;
    p->msg_len = p->msg_cap = 0;
}

bool ws_parser_idle(const struct ws_parser *p)
{
    return p->state == WS_ST_HEAD && p->hdr_have == 0 && p->msg_opcode == 0;
}

void ws_parser_free(struct ws_parser *p)
{
    if (!p)
        return;
    free(p->msg);
    free(p);
}

static bool is_control(uint8_t opcode)
{
    return opcode & 0x8;
}

/* Check the first two header bytes.  Returns 0 or CP_EPROTO/CP_ETOOBIG. */
static int parse_head(struct ws_parser *p, uint8_t b0, uint8_t b1)
{
    p->fin = b0 & 0x80;
    p->opcode = b0 & 0x0F;
    unsigned len7 = b1 & 0x7F;
    p->rsv1 = b0 & 0x40;
    if (b0 & 0x30)
        return CP_EPROTO; /* RSV2-3: no extension defines them, §5.2 */
    /* RSV1 ("Per-Message Compressed") only once permessage-deflate is agreed,
     * and only on the first frame of a data message, RFC 7692 §6. */
    if (p->rsv1 && (!p->rsv1_ok || (p->opcode != WS_OP_TEXT && p->opcode != WS_OP_BINARY)))
        return CP_EPROTO;
    if (!(b1 & 0x80))
        return CP_EPROTO; /* client frames must be masked, §5.1 */
    switch (p->opcode) {
    case WS_OP_CONT:
        if (!p->msg_opcode)
            return CP_EPROTO; /* continuation with nothing to continue */
        break;
    case WS_OP_TEXT:
    case WS_OP_BINARY:
        if (p->msg_opcode)
            return CP_EPROTO; /* new message inside a fragmented one, §5.4 */
        break;
    case WS_OP_CLOSE:
    case WS_OP_PING:
    case WS_OP_PONG:
        if (!p->fin || len7 > WS_CONTROL_MAX)
            return CP_EPROTO; /* §5.5 */
        break;
    default: return CP_EPROTO; /* reserved opcode */
    }
    p->remaining = len7;
    p->hdr_have = 0;
    if (len7 == 126) {
        p->hdr_need = 2;
        p->state = WS_ST_EXTLEN;
    } else if (len7 == 127) {
        p->hdr_need = 8;
        p->state = WS_ST_EXTLEN;
    } else {
        p->hdr_need = 4;
        p->state = WS_ST_MASK;
    }
    return CP_OK;
}

/* The extended length is complete in p->hdr: check it against the limit. */
static int parse_extlen(struct ws_parser *p)
{
    uint64_t len = 0;
    for (size_t i = 0; i < p->hdr_need; i++)
        len = len << 8 | p->hdr[i];
    if (p->hdr_need == 8 && (len >> 63))
        return CP_EPROTO; /* most significant bit must be 0, §5.2 */
    p->remaining = len;
    p->hdr_have = 0;
    p->hdr_need = 4;
    p->state = WS_ST_MASK;
    return CP_OK;
}

/* The mask is known: prepare to receive the payload. */
static int start_payload(struct ws_parser *p)
{
    memcpy(p->mask, p->hdr, 4);
    p->mask_pos = 0;
    p->state = WS_ST_PAYLOAD;
    if (is_control(p->opcode)) {
        p->ctrl_len = 0;
        return CP_OK;
    }
    /* A new message starts from nothing: the last one's length stays in
     * msg_len until here (ws_parser_release() clears it once per read). */
    size_t so_far = p->opcode == WS_OP_CONT ? p->msg_len : 0;
    if (p->remaining > p->max_message - so_far)
        return CP_ETOOBIG;
    if (p->opcode != WS_OP_CONT) {
        p->msg_opcode = p->opcode;
        p->msg_compressed = p->rsv1;
        p->msg_len = 0;
        memset(&p->utf8, 0, sizeof p->utf8);
    }
    size_t want = p->msg_len + (size_t)p->remaining;
    if (want > p->msg_cap) {
        p->msg_cap = want < 256 ? 256 : want;
        p->msg = xrealloc(p->msg, p->msg_cap);
    }
    return CP_OK;
}

static void unmask(struct ws_parser *p, uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] ^ p->mask[p->mask_pos++ & 3];
}

/* A close payload: empty, or a valid code and a UTF-8 reason (§5.5.1, §7.4). */
static int finish_close(struct ws_parser *p, struct ws_message *msg)
{
    msg->close_code = WS_CLOSE_NO_STATUS;
    if (p->ctrl_len == 0)
        return CP_OK;
    if (p->ctrl_len == 1)
        return CP_EPROTO;
    unsigned code = (unsigned)p->ctrl[0] << 8 | p->ctrl[1];
    if (!ws_close_code_valid(code))
        return CP_EPROTO;
    struct ws_utf8 u = {0};
    if (!ws_utf8_feed(&u, p->ctrl + 2, p->ctrl_len - 2) || !ws_utf8_complete(&u))
        return CP_EUTF8;
    msg->close_code = (uint16_t)code;
    return CP_OK;
}

/* Text is checked as it arrives, unless compressed: then its UTF-8 is only
 * known after inflation, which is the caller's. */
static bool checks_utf8(const struct ws_parser *p)
{
    return p->msg_opcode == WS_OP_TEXT && !p->msg_compressed;
}

/* The current frame's payload is complete.  Returns CP_OK with *msg filled,
 * CP_EAGAIN for a non-final fragment, or an error. */
static int finish_frame(struct ws_parser *p, struct ws_message *msg)
{
    p->state = WS_ST_HEAD;
    p->hdr_have = 0;
    if (is_control(p->opcode)) {
        msg->opcode = p->opcode;
        msg->payload = p->ctrl;
        msg->len = p->ctrl_len;
        msg->close_code = 0;
        msg->compressed = false;
        return p->opcode == WS_OP_CLOSE ? finish_close(p, msg) : CP_OK;
    }
    if (!p->fin)
        return CP_EAGAIN;
    if (checks_utf8(p) && !ws_utf8_complete(&p->utf8))
        return CP_EUTF8;
    msg->opcode = p->msg_opcode;
    msg->payload = p->msg;
    msg->len = p->msg_len;
    msg->close_code = 0;
    msg->compressed = p->msg_compressed;
    p->msg_opcode = 0;
    return CP_OK;
}

/* Copy payload bytes; text is validated as it arrives so that invalid UTF-8
 * fails fast, before the rest of a large message is buffered. */
static int take_payload(struct ws_parser *p, const uint8_t *data, size_t n)
{
    if (is_control(p->opcode)) {
        unmask(p, p->ctrl + p->ctrl_len, data, n);
        p->ctrl_len += n;
        return CP_OK;
    }
    uint8_t *dst = p->msg + p->msg_len;
    unmask(p, dst, data, n);
    p->msg_len += n;
    if (checks_utf8(p) && !ws_utf8_feed(&p->utf8, dst, n))
        return CP_EUTF8;
    return CP_OK;
}

int ws_parser_feed(struct ws_parser *p, const uint8_t *data, size_t len, size_t *consumed,
                   struct ws_message *msg)
{
    size_t i = 0;
    int rc = CP_OK;
    while (rc == CP_OK) {
        if (p->state == WS_ST_PAYLOAD && p->remaining == 0) {
            rc = finish_frame(p, msg);
            if (rc == CP_OK)
                break;
            if (rc == CP_EAGAIN)
                rc = CP_OK; /* a non-final fragment: go on */
            continue;
        }
        if (i == len) {
            rc = CP_EAGAIN;
            break;
        }
        switch (p->state) {
        case WS_ST_HEAD:
            p->hdr[p->hdr_have++] = data[i++];
            if (p->hdr_have == 2)
                rc = parse_head(p, p->hdr[0], p->hdr[1]);
            break;
        case WS_ST_EXTLEN:
        case WS_ST_MASK:
            p->hdr[p->hdr_have++] = data[i++];
            if (p->hdr_have == p->hdr_need)
                rc = p->state == WS_ST_EXTLEN ? parse_extlen(p) : start_payload(p);
            break;
        case WS_ST_PAYLOAD: {
            size_t n = len - i < p->remaining ? len - i : (size_t)p->remaining;
            rc = take_payload(p, data + i, n);
            i += n;
            p->remaining -= n;
            break;
        }
        }
    }
    *consumed = i;
    return rc;
}

enum ws_close_code ws_close_code_for(int error)
{
    switch (error) {
    case CP_ETOOBIG: return WS_CLOSE_TOO_BIG;
    case CP_EUTF8: return WS_CLOSE_INVALID_DATA;
    case CP_EPROTO: return WS_CLOSE_PROTOCOL_ERROR;
    }
    return WS_CLOSE_INTERNAL;
}

bool ws_close_code_valid(unsigned code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}
