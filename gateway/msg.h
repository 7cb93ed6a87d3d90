/* msg: a broadcast message encoded once per tick — its WebSocket frame and
 * its SSE event — and shared by every subscriber through
 * evbuffer_add_reference(), which holds a reference until the bytes are
 * written.  Runs on one worker's event loop; msg_new() returns one reference,
 * each msg_send() takes another, msg_unref() drops one. */
#ifndef CP_MSG_H
#define CP_MSG_H

#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>

/* MSG_WS_DEFLATE: a WebSocket client that negotiated permessage-deflate.
 * MSG_SSE_PART: the SSE event without its "id:" line, for a stream that gets
 * several events of one tick and then the tick's id-only block (docs/PROTOCOL.md
 * §3); the same bytes as MSG_SSE after that line, not a copy. */
/* MSG_SIO_WS: a Socket.IO client on WebSocket — one text frame holding the
 * Engine.IO message 42["event",data] (docs/PROTOCOL.md §7).  MSG_SIO_POLL: one
 * on HTTP long-polling — the same packet after a record separator (\x1e), so
 * that a poll's answer is the queued bytes without their first one.  Both
 * are built once, when first sent that way. */
enum msg_transport {
    MSG_WS = 0,
    MSG_SSE = 1,
    MSG_WS_DEFLATE = 2,
    MSG_SSE_PART = 3,
    MSG_SIO_WS = 4,
    MSG_SIO_POLL = 5
};
#define MSG_TRANSPORTS 6

struct deflate_ctx;

struct msg;

/* Build {"event":event,"data":data} as one unmasked text frame (RFC 6455
 * §5.6) and as an SSE event with the given id, or none for NULL
 * (docs/PROTOCOL.md §2, §3).  data is
 * len bytes of JSON.  deflate (borrowed, may be NULL) compresses the frame
 * for MSG_WS_DEFLATE, once, when it is first sent that way (RFC 7692 §7.2.1).
 * Returns a message with one reference. */
struct msg *msg_new(const char *event, const char *data, size_t len, const char *sse_id,
                    struct deflate_ctx *deflate);
/* An SSE-only message: the id-only block of tick id (sse_id_block_new()),
 * which follows a tick's MSG_SSE_PART events.  Only for MSG_SSE.  Returns a message with one
 * reference. */
struct msg *msg_sse_id_new(const char *id);
void msg_unref(struct msg *m); /* NULL is a no-op */

struct latency_hist;
/* Once m has been sent and its last reference dropped — every subscriber has
 * written it — count now minus tick_ts (ms since the epoch) in h (borrowed;
 * must outlive m). */
void msg_observe(struct msg *m, struct latency_hist *h, int64_t tick_ts);

/* Queue m's bytes for transport t on out without copying; takes a reference
 * that the evbuffer drops once the bytes are written or discarded.
 * Returns 0 or CP_ENOMEM. */
int msg_send(struct msg *m, struct evbuffer *out, enum msg_transport t);

/* The fan-out's fast path: when out is empty (queued, the bytes on it, is 0:
 * the caller knows them, so the buffer is not read), write m's bytes for transport
 * t straight to the connected socket fd with one send(2) (non-blocking,
 * MSG_NOSIGNAL) and queue on out, by reference as msg_send() does, only the
 * part the socket did not take.  A client that keeps up so costs one system
 * call per tick and no event-loop work (no EV_WRITE registration).  With fd
 * < 0 (e.g. TLS, where bytes must go through the TLS layer) or bytes already
 * queued on out (order is kept), this is msg_send().  A socket error other
 * than EAGAIN queues the whole message, so the connection's own write finds
 * and reports the error.  Returns CP_OK or CP_ENOMEM. */
int msg_write(struct msg *m, int fd, struct evbuffer *out, size_t queued, enum msg_transport t);

/* Bytes msg_send() queues for transport t. */
size_t msg_len(const struct msg *m, enum msg_transport t);

/* Append a one-off WebSocket text frame holding {"event":event,"data":data}
 * (data: JSON text) to out, copying; for unicast replies. */
void msg_ws_append(struct evbuffer *out, const char *event, const char *data);

#endif
