/* conn: one client connection and the registry of them all — the struct,
 * its socket I/O, closing (now, after a flush, or with a WebSocket Close)
 * and reaping, HTTP responses, WebSocket sends, per-client events, and
 * waiting on Redis.  The modules above it (serve, routes, websocket,
 * eventsource, resume, answer) give connections their behaviour.  Runs on
 * the gateway's loop.  The registry owns every conn: conn_close() only
 * marks it, and the registry frees closed ones on the next loop turn, never
 * inside their own callbacks.
 *
 * A connection on plain TCP is bare from its accept (conn_new_bare(),
 * conn_io.c): one edge-triggered event on the socket, registered once
 * with epoll (EPOLLIN | EPOLLOUT | EPOLLET), an output evbuffer written at
 * the end of the loop turn, and an input evbuffer only while bytes wait to
 * be parsed — about 600 bytes less per subscriber than a bufferevent with
 * its two evbuffers, and no epoll_ctl(2) from the accept to the close
 * however its output queues and drains.  A connection over TLS lives on
 * libevent's OpenSSL bufferevent; so does a Socket.IO one
 * (conn_leave_bare(): its long polls and sessions use the bufferevent's
 * watermarks and timeouts), which may go bare again for a native stream
 * (conn_go_bare()). */
#ifndef CP_CONN_H
#define CP_CONN_H

#include <event2/bufferevent.h>
#include <event2/util.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "connlog.h"
#include "ctx.h"
#include "msg.h"
#include "peers.h"
#include "proto.h"
#include "ws.h"

/* Event priorities on the gateway's loop (gateway_base_new()): a bare
 * connection's socket event runs at CONN_PRIORITY_HEAD from its accept
 * until its first read (normally its whole request head, answered in the
 * same callback), as does accepting; every other event (the connection's
 * later input, streams, Redis, timers, bufferevents) at
 * CONN_PRIORITY_STREAM, libevent's default.  In a reconnect storm the
 * backlog is accepted and each handshake answered before the resumes of
 * clients already back: a handshake costs tens of microseconds, a resume
 * a Redis read and a replay, and clients waiting for their 101 time out
 * and retry, while the listen backlog fills and the kernel drops SYNs.
 * One read per connection bounds what a client gets at CONN_PRIORITY_HEAD:
 * pipelined requests or a flood of frames cannot hold the loop. */
#define CONN_PRIORITY_HEAD 0
#define CONN_PRIORITY_STREAM 1
#define CONN_PRIORITIES 2

struct http_request;
struct ws_parser;
struct deflate_inflater;
struct resume;

enum conn_kind { CONN_HTTP, CONN_WS, CONN_SSE };

struct conn {
    struct ctx *ctx;
    struct bufferevent *bev; /* TLS, Socket.IO (conn_leave_bare()); else NULL: bare */
    struct event *ev;        /* bare: the socket's event (EV_READ|EV_WRITE|EV_CLOSED|EV_ET) */
    struct evbuffer *in;     /* bare: input not yet parsed (NULL when there is none) */
    struct evbuffer *out;    /* bare: output not yet written */
    struct conn *next_flush; /* bare: the next on the registry's flush list */
    enum conn_kind kind;
    bool flush_queued;                 /* bare: on the flush list */
    bool closing;                      /* on the registry's closing queue */
    bool close_after_flush;            /* close once the output is written */
    bool ping_outstanding;             /* WebSocket: pinged after silence, no answer yet */
    bool lingering;                    /* response sent and write side shut: reading to EOF */
    bool stream_ended;                 /* no longer counted as a current WS/SSE client */
    bool awaiting;                     /* HTTP: the response waits for Redis; input paused */
    bool peer_closed;                  /* bare: the client's FIN is in (EPOLLRDHUP): read to EOF */
    unsigned pending;                  /* Redis requests whose answer will come to this conn */
    int64_t head_started_ms;           /* first byte of the current request head */
    struct peers_key peer;             /* the client's address, counted by the registry */
    struct http_request *req;          /* while kind == CONN_HTTP */
    struct ws_parser *ws;              /* WebSocket: while a frame is read (freed between) */
    struct deflate_inflater *inflater; /* permessage-deflate negotiated */
    struct resume *resume;             /* a resume in progress, waiting or reading */
    struct proto_client pc;            /* WS and SSE: hub membership */
    struct hub_client *sub;            /* what feeds it: &pc.sub, or a Socket.IO session's */
    /* WebSocket: the application on top (NULL: the native protocol, proto.h),
     * given each complete text message, and told once when c starts closing. */
    void (*ws_text)(struct conn *c, const char *text, size_t len);
    void (*on_close)(struct conn *c, void *arg);
    void *app;                /* their argument: the Socket.IO session */
    struct conn *prev, *next; /* the registry's list */
    struct conn *next_closing;
    struct connlog *log; /* LOG_CONNECTIONS at accept: the connection log's record */
};

/* ---- the registry ---- */

/* A registry of at most max_conns connections, at most per_ip (0: no limit)
 * from one client address (peers.h), on base.  conn_registry_free() frees
 * the connections still open (NULL is a no-op). */
struct conn_registry *conn_registry_new(struct event_base *base, size_t max_conns, unsigned per_ip);
void conn_registry_free(struct conn_registry *reg);

/* Admit a connection from sa within the limits: true with *peer counted
 * (the conn made for it uncounts it when freed), false when over a limit. */
bool conn_registry_admit(struct conn_registry *reg, const struct sockaddr *sa,
                         struct peers_key *peer);

/* Open connections, closing ones not yet freed included. */
size_t conn_registry_count(const struct conn_registry *reg);

/* The first open connection, then the next: for walks over all of them. */
struct conn *conn_registry_first(const struct conn_registry *reg);

/* Close every connection; going_away: WebSocket clients first get Close
 * 1001 (RFC 6455 §7.4.1) and are closed once it is written. */
void conn_close_all(struct conn_registry *reg, bool going_away);

/* Free every conn closed since the last call (whose Redis answers are in). */
void conn_reap(struct conn_registry *reg);

/* ---- one connection ---- */

/* What a bare connection tells the module that serves it, in place of the
 * bufferevent's callbacks (the same for every connection; static). */
struct conn_io {
    /* Bytes arrived in in (c's input): parse what is whole, drain it. */
    void (*read)(struct conn *c, struct evbuffer *in);
    /* A write left the output at or below the low-water mark. */
    void (*drained)(struct conn *c);
    /* BEV_EVENT_EOF, _ERROR or _TIMEOUT, with _READING or _WRITING
     * (event2/bufferevent.h's flags, as a bufferevent's event callback). */
    void (*event)(struct conn *c, short what);
};

/* Adopt bev (an accepted socket's bufferevent, ownership passes; NULL:
 * fd is closed) from peer, already admitted.  Its callbacks are the
 * caller's to set (bufferevent_setcb with the conn as argument). */
struct conn *conn_new(struct ctx *ctx, struct bufferevent *bev, evutil_socket_t fd,
                      const struct peers_key *peer);

/* A bare connection on fd (an accepted plain-TCP socket, ownership passes)
 * from peer (already admitted), served by io (static): told of input,
 * output drained to low_water bytes, EOF, errors and timeouts.  No read
 * timeout yet (conn_set_read_timeout()).  Its event runs at
 * CONN_PRIORITY_HEAD until its first read.  NULL when out of memory (fd is
 * closed and peer no longer counted). */
struct conn *conn_new_bare(struct ctx *ctx, evutil_socket_t fd, const struct peers_key *peer,
                           const struct conn_io *io, size_t low_water);

/* Close now: output not yet written is discarded. */
void conn_close(struct conn *c);

/* Stop reading and close once everything queued has been written (within
 * CONN_CLOSE_FLUSH_MS, else dropped). */
void conn_close_after_flush(struct conn *c);

/* Send a WebSocket Close frame with code (RFC 6455 §7.4) and reason, then
 * close once it is written. */
void conn_close_ws(struct conn *c, uint16_t code, const char *reason);

/* Bound c's silence: read_ms (0: no bound) without input fires
 * BEV_EVENT_TIMEOUT | BEV_EVENT_READING, and reading goes on (a bufferevent
 * would stop it).  On a bare connection any socket activity restarts the
 * time, output taken by the client included: it is not idle. */
void conn_set_read_timeout(struct conn *c, int read_ms);

/* Leave libevent's bufferevent for a bare event on the socket (plain TCP;
 * returns false and changes nothing over TLS): what the bufferevent had
 * read and not parsed, and what it had not yet written, move with it, and
 * io (static) is told of input, output drained to low_water bytes, EOF,
 * errors and timeouts from now on.  The read timeout is read_ms (0: none);
 * on a connection that is bare already only that changes.  For a stream
 * whose head is answered (WebSocket, SSE). */
bool conn_go_bare(struct conn *c, const struct conn_io *io, size_t low_water, int read_ms);

/* The reverse, for an HTTP connection (kind CONN_HTTP) whose request needs
 * a bufferevent (Socket.IO): a socket bufferevent with the callbacks
 * read_cb, write_cb and event_cb (argument c), enabled for reading and
 * writing, takes over the socket, with what was read and not parsed (a
 * read callback is scheduled for it) and what was not yet written; read
 * timeout read_ms (0: none).  True at once when c is on a bufferevent
 * already; false (out of memory) leaves c bare. */
bool conn_leave_bare(struct conn *c, bufferevent_data_cb read_cb, bufferevent_data_cb write_cb,
                     bufferevent_event_cb event_cb, int read_ms);

/* Bytes of len read for c elsewhere (a connection handed over by another
 * worker, handoff.h) go in front of what its socket brings, and are read
 * on the next loop turn. */
void conn_push_input(struct conn *c, const char *bytes, size_t len);

/* c's socket. */
evutil_socket_t conn_fd(const struct conn *c);

/* c's output: bytes added are written to the socket (for a bare connection
 * at the end of the loop turn, in one writev(2) with whatever else was
 * queued meanwhile). */
struct evbuffer *conn_output(struct conn *c);

/* c's input read and not yet parsed; NULL when a bare connection has none. */
struct evbuffer *conn_input(struct conn *c);

/* A lingering close: shut c's write side and read, discarding, to EOF or
 * until ms pass without input (then BEV_EVENT_TIMEOUT | BEV_EVENT_READING). */
void conn_linger(struct conn *c, int ms);

/* Make c a hub subscriber in transport's encoding: ticks are queued
 * on its output, straight to the socket when it is plain TCP; a client that
 * cannot keep up is dropped (1008 on WebSocket). */
void conn_subscriber_init(struct conn *c, enum msg_transport transport);

/* ---- output ---- */

/* Queue a complete HTTP/1.1 response: status, Content-Type type, body of
 * len bytes (omitted for HEAD), extra header lines (each CRLF-ended, or
 * NULL), CORS headers for the request's Origin.  Closes after the flush
 * unless the request keeps the connection alive and status < 400. */
void conn_respond(struct conn *c, int status, const char *type, const char *body, size_t len,
                  const char *extra);

/* The same for a response caches may keep: cache_control is the value of
 * Cache-Control (conn_respond()'s is no-store) and etag, when not NULL, the
 * ETag (a quoted entity tag, etag.h).  Status 304 (Not Modified) gets
 * neither Content-Type nor Content-Length nor body (RFC 9110 §15.4.5). */
void conn_respond_cached(struct conn *c, int status, const char *type, const char *body, size_t len,
                         const char *cache_control, const char *etag, const char *extra);

/* The same with the bytes of body after its first skip ones, moved out of
 * body (without copying them), which is left empty. */
void conn_respond_buffer(struct conn *c, int status, const char *type, struct evbuffer *body,
                         size_t skip, const char *extra);

/* The same with {"error":code,"message":message} (docs/PROTOCOL.md §1). */
void conn_respond_error(struct conn *c, int status, const char *code, const char *message,
                        const char *extra);

/* The same with j as the body (takes the reference). */
void conn_respond_json(struct conn *c, int status, json_t *j);

/* CORS response headers for the request's Origin (CRLF-ended lines, in buf
 * of len bytes, or a constant, or ""). */
const char *conn_cors_headers(struct conn *c, char *buf, size_t len);

/* WebSocket: queue {"event":event,"data":data} (data: JSON text). */
void conn_ws_send(struct conn *c, const char *event, const char *data);

/* WebSocket: queue a control frame (RFC 6455 §5.5) with len ≤ 125 bytes. */
void conn_ws_control(struct conn *c, enum ws_opcode opcode, const uint8_t *payload, size_t len);

/* Queue one event with data to c alone, in its transport's encoding (SSE
 * with id when given): for snapshots and replays, per client by nature. */
void conn_emit(struct conn *c, const char *event, const json_t *data, const char *id);

/* conn_emit() of data already encoded: text is the JSON of data (borrowed). */
void conn_emit_text(struct conn *c, const char *event, const char *text, const char *id);

/* One tick (or replayed history entry) as the live fan-out would have sent
 * it to c: a price-update-bulk for "*" subscribers, else a price-update per
 * subscribed symbol with id on the last only (docs/PROTOCOL.md §3). */
void conn_emit_tick(struct conn *c, json_t *tick, const char *id);

/* The latest price of each of c's symbols, nothing while there is none:
 * for "*" subscribers one price-update-bulk, or with event one bulk event
 * of that name ("snapshot"), else a price-update per symbol.  lost: it
 * stands in for ticks the client missed (a resume that could not replay),
 * so a bulk payload carries "snapshot": true (docs/PROTOCOL.md §2). */
void conn_emit_snapshot(struct conn *c, const char *event, bool lost);

/* ---- waiting on Redis ---- */

/* An answer from Redis will come to c: a closed c is kept until it does,
 * and an HTTP c reads no further request until conn_answered(). */
void conn_await(struct conn *c);

/* The awaited answer came (call before using c; closing c are reaped).
 * Returns false when c closed meanwhile and must not be used. */
bool conn_answer_arrived(struct conn *c);

/* The HTTP response to the awaited request is queued: go on with the
 * requests pipelined behind it (the read callback runs again). */
void conn_answered(struct conn *c);

/* c's HTTP request state (http.h), made at the request's first byte: a
 * connection that waits for its head, or between keep-alive requests,
 * holds none (~17 KB each, which a storm's accepted connections would
 * otherwise hold at once).  Owned by c. */
struct http_request *conn_request(struct conn *c);

/* The current request is answered (or the connection is a stream now):
 * free its state; the next request's first byte makes another. */
void conn_request_done(struct conn *c);

#endif
