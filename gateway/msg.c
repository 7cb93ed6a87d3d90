#include "config.h"

#include "msg.h"

#include "cp_error.h"
#include "sse.h"
#include "ws.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct msg {
    unsigned refs;
    char *bytes[2];   /* [MSG_WS] frame, [MSG_SSE] event */
    size_t len[2];
};

/* The WebSocket frame: header and JSON envelope in one contiguous buffer, so
 * each subscriber's output chain gets one chunk per message. */
static char *ws_frame_new(const char *event, const char *data, size_t len, size_t *out_len)
{
    size_t body = strlen(event) + len + sizeof "{\"event\":\"\",\"data\":}" - 1;
    char *buf = xmalloc(WS_HEADER_MAX + body + 1);
    size_t h = ws_frame_header((uint8_t *)buf, WS_OP_TEXT, true, body);
    int n = snprintf(buf + h, body + 1, "{\"event\":\"%s\",\"data\":%.*s}", event, (int)len,
                     data);
    *out_len = h + (size_t)n;
    return buf;
}

struct msg *msg_new(const char *event, const char *data, size_t len, const char *sse_id)
{
    struct msg *m = xcalloc(1, sizeof *m);
    m->refs = 1;
    m->bytes[MSG_WS] = ws_frame_new(event, data, len, &m->len[MSG_WS]);
    m->bytes[MSG_SSE] = sse_event_new(sse_id, event, data, len, &m->len[MSG_SSE]);
    return m;
}

void msg_unref(struct msg *m)
{
    if (!m || --m->refs > 0)
        return;
    free(m->bytes[MSG_WS]);
    free(m->bytes[MSG_SSE]);
    free(m);
}

static void msg_cleanup(const void *data, size_t len, void *arg)
{
    msg_unref(arg);
}

int msg_send(struct msg *m, struct evbuffer *out, enum msg_transport t)
{
    m->refs++;
    if (evbuffer_add_reference(out, m->bytes[t], m->len[t], msg_cleanup, m) != 0) {
        m->refs--;
        return CP_ENOMEM;
    }
    return CP_OK;
}

size_t msg_len(const struct msg *m, enum msg_transport t)
{
    return m->len[t];
}

void msg_ws_append(struct evbuffer *out, const char *event, const char *data)
{
    size_t len;
    char *frame = ws_frame_new(event, data, strlen(data), &len);
    evbuffer_add(out, frame, len);
    free(frame);
}
