/* wsclient_frames: the frames of an open wsclient connection — masked frames
 * out, the server's frames in (RFC 6455 §5), message reassembly with its
 * UTF-8 and size checks, control frames and the closing handshake (§7).
 * The socket, timers and connection states are wsclient.c's: this half
 * calls nothing of it, and reports the end of a connection through the
 * result of wsclient_frames_read(). */
#include "config.h"

#include "wsclient_private.h"

#include "cp_error.h"
#include "strlist.h"
#include "ws.h"
#include "wsc.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define CLOSE_TIMEOUT_MS 2000 /* how long a Close of ours waits for the server's */

/* ---- frames out ------------------------------------------------------ */

/* Queue one masked frame (RFC 6455 §5.3: a fresh unpredictable mask each). */
int wsclient_frames_send(struct wsclient *c, enum ws_opcode op, const uint8_t *payload, size_t len)
{
    if (len > (size_t)INT_MAX - WSC_MASK_HEADER_MAX)
        return CP_ETOOBIG;
    uint8_t mask[4];
    if (RAND_bytes(mask, sizeof mask) != 1)
        return CP_EIO;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    struct evbuffer_iovec v;
    if (evbuffer_reserve_space(out, (ev_ssize_t)(len + WSC_MASK_HEADER_MAX), &v, 1) < 1)
        return CP_ENOMEM;
    int n = wsc_frame_encode(v.iov_base, v.iov_len, op, payload, len, mask);
    if (n < 0)
        return n;
    v.iov_len = (size_t)n;
    return evbuffer_commit_space(out, &v, 1) == 0 ? CP_OK : CP_ENOMEM;
}

/* A Close frame with code (none when it may not be sent, §7.4.1) and
 * reason, cut to fit 125 bytes at a UTF-8 character boundary. */
static void send_close(struct wsclient *c, unsigned code, const char *reason)
{
    uint8_t p[WS_CONTROL_MAX];
    size_t n = 0;
    if (ws_close_code_valid(code)) {
        p[0] = (uint8_t)(code >> 8);
        p[1] = (uint8_t)code;
        size_t r = reason ? strlen(reason) : 0;
        if (r > sizeof p - 2) {
            r = sizeof p - 2;
            while (r && ((uint8_t)reason[r] & 0xC0) == 0x80)
                r--;
        }
        if (r)
            memcpy(p + 2, reason, r);
        n = 2 + r;
    }
    wsclient_frames_send(c, WS_OP_CLOSE, p, n);
}

/* Send a Close and wait for the server's, at most CLOSE_TIMEOUT_MS. */
void wsclient_frames_close(struct wsclient *c, unsigned code, const char *reason)
{
    send_close(c, code, reason);
    c->state = ST_CLOSING;
    c->msg_len = 0; /* the buffer may hold on_message's text: freed later */
    c->in_msg = false;
    struct timeval tv = strlist_timeval_ms(CLOSE_TIMEOUT_MS);
    event_add(c->timer, &tv);
}

/* Fail the connection (RFC 6455 §7.1.7) for a fault of the server's: close
 * with code, then wait for its Close as after wsclient_close(). */
void wsclient_frames_fail(struct wsclient *c, unsigned code, const char *what)
{
    snprintf(c->why, sizeof c->why, "%s: closed with %u", what, code);
    wsclient_frames_close(c, code, NULL);
}

/* ---- frames in ------------------------------------------------------- */

/* The server's Close (§5.5.1): status code, then a UTF-8 reason.  Returns
 * true when it answers ours, which ends the connection. */
static bool got_close(struct wsclient *c, const uint8_t *p, size_t len)
{
    unsigned code = len >= 2 ? (unsigned)p[0] << 8 | p[1] : 0;
    struct ws_utf8 u = {0};
    if (c->state == ST_CLOSING) { /* the answer to ours: nothing more to check */
        c->got_close = true;
        c->peer_code = ws_close_code_valid(code) ? (uint16_t)code : 0;
        return true;
    }
    if (len == 1 || (len >= 2 && !ws_close_code_valid(code))) {
        wsclient_frames_fail(c, WS_CLOSE_PROTOCOL_ERROR, "bad close frame from the server");
        return false;
    }
    if (len > 2 && (!ws_utf8_feed(&u, p + 2, len - 2) || !ws_utf8_complete(&u))) {
        wsclient_frames_fail(c, WS_CLOSE_INVALID_DATA, "close reason not UTF-8");
        return false;
    }
    c->got_close = true;
    c->peer_code = (uint16_t)code;
    /* Printable bytes only: the reason goes to a log line. */
    char reason[WS_CONTROL_MAX + 1];
    size_t n = len > 2 ? len - 2 : 0;
    for (size_t i = 0; i < n; i++)
        reason[i] = p[2 + i] < 0x20 || p[2 + i] == 0x7f ? '?' : (char)p[2 + i];
    reason[n] = '\0';
    if (code)
        snprintf(c->why, sizeof c->why, "closed by the server: %u%s%s", code, n ? " " : "", reason);
    else
        snprintf(c->why, sizeof c->why, "closed by the server without a status code");
    wsclient_frames_close(c, code, NULL); /* the echo; on_write finishes once it is out */
    return false;
}

#define WSCLIENT_OUTPUT_MAX (256 * 1024) /* bytes queued for the server at most */

/* Returns true when the frame ended the connection (got_close()). */
static bool got_control(struct wsclient *c, enum ws_opcode op, const uint8_t *p, size_t len)
{
    if (op == WS_OP_CLOSE)
        return got_close(c, p, len);
    if (op == WS_OP_PING && c->state == ST_OPEN &&
        evbuffer_get_length(bufferevent_get_output(c->bev)) > WSCLIENT_OUTPUT_MAX)
        /* A peer that pings faster than it reads our pongs would make them
         * pile up without bound. */
        wsclient_frames_fail(c, WS_CLOSE_POLICY, "the server does not read its pongs");
    else if (op == WS_OP_PING && c->state == ST_OPEN)
        wsclient_frames_send(c, WS_OP_PONG, p, len); /* same payload, §5.5.3 */
    return false;
}

/* A data frame's payload (len bytes at the head of in) joins the message;
 * the last one delivers it. */
static void got_data(struct wsclient *c, struct evbuffer *in, const struct wsc_frame *f)
{
    size_t need = c->msg_len + (size_t)f->len + 1;
    if (need > c->msg_cap) {
        size_t cap = c->msg_cap ? c->msg_cap : 4096;
        while (cap < need)
            cap *= 2;
        if (cap > c->max_message + 1)
            cap = c->max_message + 1;
        c->msg = xrealloc(c->msg, cap);
        c->msg_cap = cap;
    }
    uint8_t *part = c->msg + c->msg_len;
    evbuffer_remove(in, part, (size_t)f->len);
    c->msg_len += (size_t)f->len;
    if (!ws_utf8_feed(&c->utf8, part, (size_t)f->len) || (f->fin && !ws_utf8_complete(&c->utf8))) {
        wsclient_frames_fail(c, WS_CLOSE_INVALID_DATA, "text message not UTF-8");
        return;
    }
    if (!f->fin)
        return;
    c->msg[c->msg_len] = '\0';
    size_t len = c->msg_len;
    c->in_msg = false;
    c->msg_len = 0;
    if (c->cb.on_message)
        c->cb.on_message((const char *)c->msg, len, c->arg);
}

/* The rules a data frame's header must meet before its payload is read
 * (§5.4 fragmentation; binary refused; max_message).  Returns false after
 * failing the connection. */
static bool data_frame_ok(struct wsclient *c, const struct wsc_frame *f)
{
    if (f->opcode == WS_OP_CONT && !c->in_msg) {
        wsclient_frames_fail(c, WS_CLOSE_PROTOCOL_ERROR, "continuation frame outside a message");
        return false;
    }
    if (f->opcode != WS_OP_CONT && c->in_msg) {
        wsclient_frames_fail(c, WS_CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one");
        return false;
    }
    if (f->opcode == WS_OP_BINARY) {
        wsclient_frames_fail(c, WS_CLOSE_UNSUPPORTED, "binary message refused");
        return false;
    }
    if (f->len > c->max_message - (c->in_msg ? c->msg_len : 0)) {
        char what[64];
        snprintf(what, sizeof what, "message over %zu bytes", c->max_message);
        wsclient_frames_fail(c, WS_CLOSE_TOO_BIG, what);
        return false;
    }
    if (f->opcode == WS_OP_TEXT) {
        c->in_msg = true;
        c->msg_len = 0;
        memset(&c->utf8, 0, sizeof c->utf8);
    }
    return true;
}

/*  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-------+-+-------------+-------------------------------+
 * |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 * |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 * |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 * +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +  (RFC 6455 §5.2)
 * Only the header is pulled up: a payload goes straight from the input into
 * the message buffer.  A data frame's header is checked as soon as it is
 * in, so an oversized message is refused before its bytes are waited for.
 * While closing, only the server's Close matters, and a bad frame ends the
 * connection at once: WSCLIENT_FRAMES_OVER tells wsclient.c to finish it. */
enum wsclient_frames_result wsclient_frames_read(struct wsclient *c, struct evbuffer *in)
{
    size_t avail = evbuffer_get_length(in);
    size_t hl = avail < WS_HEADER_MAX ? avail : WS_HEADER_MAX;
    if (!hl)
        return WSCLIENT_FRAMES_WAIT;
    struct wsc_frame f;
    int rc = wsc_frame_parse(evbuffer_pullup(in, (ev_ssize_t)hl), hl, &f);
    bool closing = c->state == ST_CLOSING;
    if (rc == CP_EPROTO || (f.total && f.rsv1)) { /* RSV1: no extension was offered */
        if (closing)
            return WSCLIENT_FRAMES_OVER;
        wsclient_frames_fail(c, WS_CLOSE_PROTOCOL_ERROR, "bad frame from the server");
        return WSCLIENT_FRAMES_WAIT;
    }
    if (!f.total)
        return WSCLIENT_FRAMES_WAIT;
    bool control = f.opcode & 0x8;
    if (!closing && !control && !c->frame_checked) {
        if (!data_frame_ok(c, &f))
            return WSCLIENT_FRAMES_WAIT;
        c->frame_checked = true;
    }
    if (avail < f.total)
        return WSCLIENT_FRAMES_WAIT;
    c->frame_checked = false;
    evbuffer_drain(in, (size_t)(f.total - f.len));
    if (control) {
        uint8_t p[WS_CONTROL_MAX];
        evbuffer_remove(in, p, (size_t)f.len);
        if (got_control(c, f.opcode, p, (size_t)f.len))
            return WSCLIENT_FRAMES_OVER;
    } else if (closing) {
        evbuffer_drain(in, (size_t)f.len);
    } else {
        got_data(c, in, &f);
    }
    return WSCLIENT_FRAMES_NEXT;
}
