#include "config.h"

#include "msg.h"

#include "cp_error.h"
#include "deflate.h"
#include "eio.h"
#include "latency.h"
#include "price.h"
#include "sse.h"
#include "ws.h"
#include "xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

struct msg {
    unsigned refs;
    bool sent;                    /* queued to at least one client */
    struct latency_hist *latency; /* borrowed; NULL: not observed */
    int64_t tick_ts;
    struct deflate_ctx *deflate;       /* borrowed; NULL: no compressed form */
    size_t ws_header;                  /* bytes of the frame header in bytes[MSG_WS] */
    char *bytes[MSG_TRANSPORTS];       /* indexed by enum msg_transport; owned or NULL */
    const char *start[MSG_TRANSPORTS]; /* where the bytes to send begin */
    size_t len[MSG_TRANSPORTS];
};

/* The WebSocket frame: header and JSON envelope in one contiguous buffer, so
 * each subscriber's output chain gets one chunk per message. */
static char *frame_new(const char *event, const char *data, size_t len, size_t *out_len)
{
    static const char open[] = "{\"event\":\"", mid[] = "\",\"data\":";
    size_t elen = strlen(event), body = sizeof open - 1 + elen + sizeof mid - 1 + len + 1;
    char *buf = xmalloc(WS_HEADER_MAX + body + 1);
    size_t h = ws_frame_header((uint8_t *)buf, WS_OP_TEXT, true, body);
    /* Copied in pieces: snprintf() walked the data (a whole tick) through
     * its format engine at about one call's cost per byte (callgrind). */
    char *p = buf + h;
    memcpy(p, open, sizeof open - 1);
    p += sizeof open - 1;
    memcpy(p, event, elen);
    p += elen;
    memcpy(p, mid, sizeof mid - 1);
    p += sizeof mid - 1;
    memcpy(p, data, len);
    p += len;
    *p++ = '}';
    *p = '\0';
    *out_len = (size_t)(p - buf);
    return buf;
}

struct msg *msg_new(const char *event, const char *data, size_t len, const char *sse_id,
                    struct deflate_ctx *deflate)
{
    struct msg *m = xcalloc(1, sizeof *m);
    m->refs = 1;
    m->deflate = deflate;
    m->bytes[MSG_WS] = frame_new(event, data, len, &m->len[MSG_WS]);
    m->bytes[MSG_SSE] = sse_event_new(sse_id, event, data, len, &m->len[MSG_SSE]);
    m->start[MSG_WS] = m->bytes[MSG_WS];
    m->start[MSG_SSE] = m->bytes[MSG_SSE];
    /* The event without its id: sse_event_new() writes the id line first. */
    size_t id_line = sse_id ? strlen("id: \n") + strlen(sse_id) : 0;
    m->start[MSG_SSE_PART] = m->bytes[MSG_SSE] + id_line;
    m->len[MSG_SSE_PART] = m->len[MSG_SSE] - id_line;
    uint8_t b1 = (uint8_t)m->bytes[MSG_WS][1];
    m->ws_header = b1 < 126 ? 2 : b1 == 126 ? 4 : 10;
    return m;
}

struct msg *msg_sse_id_new(const char *id)
{
    struct msg *m = xcalloc(1, sizeof *m);
    m->refs = 1;
    m->bytes[MSG_SSE] = sse_id_block_new(id, &m->len[MSG_SSE]);
    m->start[MSG_SSE] = m->bytes[MSG_SSE];
    return m;
}

/* The compressed frame: the payload is deflated into the buffer after
 * WS_HEADER_MAX bytes and the header, with RSV1 set (RFC 7692 §6), written
 * just before it.  Falls back to the plain frame if compression fails. */
static void compress_frame(struct msg *m)
{
    const uint8_t *payload = (const uint8_t *)m->bytes[MSG_WS] + m->ws_header;
    size_t plen = m->len[MSG_WS] - m->ws_header, clen;
    size_t cap = deflate_compress_bound(plen);
    uint8_t *buf = xmalloc(WS_HEADER_MAX + cap);
    if (!m->deflate ||
        deflate_compress(m->deflate, payload, plen, buf + WS_HEADER_MAX, cap, &clen) != CP_OK) {
        free(buf);
        m->start[MSG_WS_DEFLATE] = m->start[MSG_WS];
        m->len[MSG_WS_DEFLATE] = m->len[MSG_WS];
        return;
    }
    uint8_t h[WS_HEADER_MAX];
    size_t hl = ws_frame_header_ext(h, WS_OP_TEXT, true, true, clen);
    memcpy(buf + WS_HEADER_MAX - hl, h, hl);
    m->bytes[MSG_WS_DEFLATE] = (char *)buf;
    m->start[MSG_WS_DEFLATE] = (char *)buf + WS_HEADER_MAX - hl;
    m->len[MSG_WS_DEFLATE] = hl + clen;
}

/* The Socket.IO forms, from the WebSocket frame's JSON envelope
 * {"event":"E","data":D}: 42["E",D] framed (MSG_SIO_WS) or after a record
 * separator (MSG_SIO_POLL). */
static void sio_forms(struct msg *m)
{
    const char *env = m->bytes[MSG_WS] + m->ws_header;
    size_t env_len = m->len[MSG_WS] - m->ws_header;
    const char *event = env + strlen("{\"event\":\"");
    const char *quote = memchr(event, '"', env_len - (size_t)(event - env));
    const char *data = quote + strlen("\",\"data\":");
    size_t data_len = (size_t)(env + env_len - 1 - data); /* without the closing brace */
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(quote - event), event);
    size_t len;
    char *text = sio_event_encode(name, data, data_len, &len);
    char *frame = xmalloc(WS_HEADER_MAX + len);
    size_t h = ws_frame_header((uint8_t *)frame, WS_OP_TEXT, true, len);
    memcpy(frame + h, text, len);
    m->bytes[MSG_SIO_WS] = frame;
    m->start[MSG_SIO_WS] = frame;
    m->len[MSG_SIO_WS] = h + len;
    char *poll = xmalloc(len + 1);
    poll[0] = EIO_SEPARATOR;
    memcpy(poll + 1, text, len);
    m->bytes[MSG_SIO_POLL] = poll;
    m->start[MSG_SIO_POLL] = poll;
    m->len[MSG_SIO_POLL] = len + 1;
    free(text);
}

/* Build transport t's bytes the first time m is sent that way. */
static void build(struct msg *m, enum msg_transport t)
{
    if (t == MSG_WS_DEFLATE)
        compress_frame(m);
    else if (t == MSG_SIO_WS || t == MSG_SIO_POLL)
        sio_forms(m);
}

void msg_observe(struct msg *m, struct latency_hist *h, int64_t tick_ts)
{
    m->latency = h;
    m->tick_ts = tick_ts;
}

void msg_unref(struct msg *m)
{
    if (!m || --m->refs > 0)
        return;
    if (m->latency && m->sent)
        latency_observe(m->latency, (double)(price_now_ms() - m->tick_ts));
    for (int t = 0; t < MSG_TRANSPORTS; t++)
        free(m->bytes[t]);
    free(m);
}

static void msg_cleanup(const void *data, size_t len, void *arg)
{
    msg_unref(arg);
}

int msg_send(struct msg *m, struct evbuffer *out, enum msg_transport t)
{
    if (!m->start[t])
        build(m, t); /* the first subscriber of this message in that form */
    m->refs++;
    m->sent = true;
    if (evbuffer_add_reference(out, m->start[t], m->len[t], msg_cleanup, m) != 0) {
        m->refs--;
        return CP_ENOMEM;
    }
    return CP_OK;
}

int msg_write(struct msg *m, int fd, struct evbuffer *out, size_t queued, enum msg_transport t)
{
    if (fd < 0 || queued > 0)
        return msg_send(m, out, t);
    if (!m->start[t])
        build(m, t);
    m->sent = true;
    ssize_t n;
    do
        n = send(fd, m->start[t], m->len[t], MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)m->len[t])
        return CP_OK;
    size_t done = n > 0 ? (size_t)n : 0;
    m->refs++;
    if (evbuffer_add_reference(out, m->start[t] + done, m->len[t] - done, msg_cleanup, m) != 0) {
        m->refs--;
        return CP_ENOMEM;
    }
    return CP_OK;
}

size_t msg_len(const struct msg *m, enum msg_transport t)
{
    return m->start[t] ? m->len[t] : m->len[MSG_WS];
}

void msg_ws_append(struct evbuffer *out, const char *event, const char *data)
{
    size_t len;
    char *frame = frame_new(event, data, strlen(data), &len);
    evbuffer_add(out, frame, len);
    free(frame);
}
