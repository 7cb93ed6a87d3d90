#include "config.h"

#include "serve.h"

#include "cp_error.h"
#include "http.h"
#include "resume.h"
#include "routes.h"
#include "websocket.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>

/* How long a closing HTTP connection reads what the client still sends. */
#define SERVE_LINGER_MS 2000

static void read_cb(struct bufferevent *bev, void *arg);
static void write_cb(struct bufferevent *bev, void *arg);
static void event_cb(struct bufferevent *bev, short what, void *arg);
static void on_read(struct conn *c, struct evbuffer *in);
static void on_drained(struct conn *c);
static void on_event(struct conn *c, short what);

/* The same three once the connection is bare (conn_go_bare()). */
static const struct conn_io serve_io = {
    .read = on_read,
    .drained = on_drained,
    .event = on_event,
};

struct conn *serve_accepted(struct ctx *ctx, evutil_socket_t fd, const struct peers_key *peer,
                            struct ssl_ctx_st *tls)
{
    const struct cp_conf *conf = ctx->conf;
    struct conn *c;
    if (tls) {
        SSL *ssl = SSL_new(tls);
        struct bufferevent *bev =
            ssl ? bufferevent_openssl_socket_new(ctx->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                 BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)
                : NULL;
        if (bev) /* clients that close without close_notify are the norm */
            bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
        c = conn_new(ctx, bev, fd, peer);
        if (!c)
            return NULL;
        bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
        bufferevent_enable(bev, EV_READ | EV_WRITE);
    } else {
        /* Plain TCP: bare from the start, one epoll registration for the
         * connection's life (conn.h). */
        c = conn_new_bare(ctx, fd, peer, &serve_io, (size_t)conf->output_high_water_bytes / 4);
        if (!c)
            return NULL;
    }
    /* The read timeout bounds the request head (slowloris); a stream
     * replaces it once the head is answered (read_heads). */
    conn_set_read_timeout(c, conf->handshake_timeout_ms);
    return c;
}

void serve_handed_over(struct conn *c, const char *bytes, size_t len)
{
    conn_push_input(c, bytes, len);
}

static void refuse_head(struct conn *c, int rc)
{
    if (rc == CP_ETOOBIG && http_request_body_too_large(c->req))
        routes_body_too_large(c);
    else if (rc == CP_ETOOBIG && http_request_url_too_long(c->req))
        conn_respond_error(c, 414, "uri_too_long", "request URL too long", NULL);
    else if (rc == CP_ETOOBIG)
        conn_respond_error(c, 431, "headers_too_large", "request head too large", NULL);
    else if (http_request_method_unknown(c->req))
        conn_respond_error(c, 501, "not_implemented", "request method not implemented", NULL);
    else
        conn_respond_error(c, 400, "bad_request", http_request_error(c->req), NULL);
}

/* The head is answered and c is a stream now.  WebSocket clients are pinged
 * after silence; SSE clients send nothing, and a vanished one is noticed
 * when a write fails.  On plain TCP the native protocol's streams are bare
 * (conn.h), or go bare after a Socket.IO request on the same connection; a
 * Socket.IO session's WebSocket stays on its bufferevent. */
static void start_stream(struct conn *c)
{
    const struct cp_conf *conf = c->ctx->conf;
    int read_ms = c->kind == CONN_WS ? conf->ws_ping_interval_ms : 0;
    size_t low_water = (size_t)conf->output_high_water_bytes / 4; /* as serve_accepted()'s */
    conn_request_done(c);
    bool native = !c->ws_text && c->sub == &c->pc.sub;
    if ((!c->bev || native) && conn_go_bare(c, &serve_io, low_water, read_ms))
        return;
    conn_set_read_timeout(c, read_ms);
    bufferevent_setwatermark(c->bev, EV_WRITE, low_water, 0);
}

/* Socket.IO's polls and sessions use a bufferevent's watermarks and
 * timeouts: a bare connection moves onto one for such a request.  False
 * when it cannot (out of memory): c is closed. */
static bool onto_bufferevent_for_socketio(struct conn *c)
{
    if (c->bev || !routes_is_socketio(c) ||
        conn_leave_bare(c, read_cb, write_cb, event_cb, c->ctx->conf->handshake_timeout_ms))
        return true;
    conn_close(c);
    return false;
}

/* Parse request heads until the connection becomes a stream, needs more
 * bytes, or is closing.  Bytes after a WebSocket handshake stay in the input
 * for the frame parser. */
static void read_heads(struct conn *c)
{
    while (c->kind == CONN_HTTP && !c->close_after_flush && !c->closing) {
        struct evbuffer *in = conn_input(c);
        size_t len = in ? evbuffer_get_length(in) : 0;
        if (len == 0)
            return;
        size_t used;
        int64_t now = ctx_now_ms(c->ctx);
        if (!http_request_started(c->req))
            c->head_started_ms = now;
        int rc =
            http_request_feed(conn_request(c), (const char *)evbuffer_pullup(in, -1), len, &used);
        evbuffer_drain(in, used);
        /* The read timeout restarts with every byte; a head trickled in
         * slowly (slowloris) is bounded by its total time too. */
        if (rc == CP_EAGAIN && now - c->head_started_ms > c->ctx->conf->handshake_timeout_ms)
            conn_respond_error(c, 408, "timeout", "request head not received in time", NULL);
        if (rc == CP_EAGAIN)
            return;
        if (rc != CP_OK) {
            refuse_head(c, rc);
            return;
        }
        if (!onto_bufferevent_for_socketio(c))
            return;
        routes_handle(c);
        if (c->awaiting)
            return; /* conn_answered() goes on once Redis answers */
        if (c->kind != CONN_HTTP)
            start_stream(c);
        else
            conn_request_done(c);
    }
}

static void on_read(struct conn *c, struct evbuffer *in)
{
    if (c->lingering) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    if (c->kind == CONN_HTTP && !c->awaiting) {
        struct bufferevent *bev = c->bev;
        read_heads(c);
        if (c->bev != bev)
            return; /* moved between bare and bufferevent: the rest is read there */
        in = conn_input(c);
    }
    if (c->kind == CONN_WS && in)
        websocket_read(c, in);
    else if (c->kind == CONN_SSE && in)
        evbuffer_drain(in, evbuffer_get_length(in)); /* clients send nothing */
}

/* Closing a connection whose client may still be sending (an HTTP error
 * answered before the request was read whole, a pipelined request; a
 * WebSocket client closed for flooding or a bad frame) with unread input
 * would make the kernel send RST, which can destroy the response or Close
 * frame in flight.  Shut the write side and read to EOF for a moment
 * instead, as web servers' lingering close does (for WebSocket this is also
 * RFC 6455 §7.1.1: the server closes the TCP connection first). */
static void on_drained(struct conn *c)
{
    if (c->close_after_flush && !c->lingering && c->kind != CONN_SSE &&
        evbuffer_get_length(conn_output(c)) == 0) {
        conn_linger(c, SERVE_LINGER_MS);
        return;
    }
    /* Output fell below the low-water mark: a conflating client catches up,
     * a replaying one reads its next page. */
    if (c->sub->conflating && !c->close_after_flush)
        hub_client_catch_up(c->ctx->hub, c->sub);
    if (c->resume && !c->close_after_flush)
        resume_continue(c);
    /* Deferred callbacks may run after more output was queued: only close
     * once everything is really written. */
    if (c->close_after_flush && evbuffer_get_length(conn_output(c)) == 0)
        conn_close(c);
}

static void on_event(struct conn *c, short what)
{
    if (what == BEV_EVENT_CONNECTED)
        return; /* a TLS handshake completed */
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) && c->kind == CONN_WS &&
        !c->close_after_flush) {
        websocket_idle(c);
        return;
    }
    /* An idle keep-alive connection just closes; a head that stalled midway
     * (slowloris) is told why. */
    if ((what & BEV_EVENT_TIMEOUT) && c->kind == CONN_HTTP && !c->close_after_flush &&
        http_request_started(c->req)) {
        conn_respond_error(c, 408, "timeout", "request head not received in time", NULL);
        return;
    }
    /* A client that half-closed after its requests (the FIN read with
     * them) still gets the answers already queued: responses, a 101 and
     * its welcome, an SSE stream's head; then the close.  Not after an
     * error: a deferred bufferevent reports a failed write and the EOF
     * read after it in one call, and a socket that cannot be written would
     * wait for its flush for ever (libevent stops the write timeout with
     * the write). */
    if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !c->close_after_flush &&
        evbuffer_get_length(conn_output(c)) > 0) {
        conn_close_after_flush(c);
        return;
    }
    conn_close(c);
}

/* libevent's bufferevent callbacks: the connection's until it goes bare,
 * and for good over TLS. */
static void read_cb(struct bufferevent *bev, void *arg)
{
    on_read(arg, bufferevent_get_input(bev));
}

static void write_cb(struct bufferevent *bev, void *arg)
{
    on_drained(arg);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    on_event(arg, what);
}
