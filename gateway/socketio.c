#include "config.h"

#include "socketio.h"

#include "cp_error.h"
#include "eio.h"
#include "handoff.h"
#include "http.h"
#include "sio_events.h"
#include "sio_session.h"
#include "urlcode.h"
#include "websocket.h"
#include "ws.h"
#include "xalloc.h"

#include <event2/bufferevent_ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOCKETIO_TEXT "text/plain; charset=UTF-8"

struct socketio {
    struct ctx *ctx;
    struct sio_table *table;
};

struct socketio *socketio_new(struct ctx *ctx)
{
    struct socketio *sio = xcalloc(1, sizeof *sio);
    sio->ctx = ctx;
    sio->table = sio_table_new(ctx);
    return sio;
}

void socketio_free(struct socketio *sio)
{
    if (!sio)
        return;
    sio_table_free(sio->table);
    free(sio);
}

size_t socketio_sessions(const struct socketio *sio)
{
    return sio_table_count(sio->table);
}

bool socketio_path(const struct cp_conf *conf, const char *path)
{
    const char *p = conf->socketio_path;
    size_t n = strlen(p);
    if (n > 1 && p[n - 1] == '/')
        n--;
    return strncmp(path, p, n) == 0 && (path[n] == '\0' || (path[n] == '/' && path[n + 1] == '\0'));
}

/* An Engine.IO error: {"code":N,"message":"..."} (engine.io's Server.errors). */
static void refuse(struct conn *c, int status, enum eio_error code)
{
    char body[96];
    int n = snprintf(body, sizeof body, "{\"code\":%d,\"message\":\"%s\"}", (int)code,
                     eio_error_message(code));
    conn_respond(c, status, "application/json", body, (size_t)n, NULL);
}

/* One Engine.IO packet from s's client (a POST body's, or a WebSocket
 * message).  Returns false when it was malformed and s has been closed. */
static bool receive(struct sio_session *s, const char *pkt, size_t len)
{
    enum eio_type type;
    const char *data;
    size_t dlen;
    if (len > 0 && pkt[0] == 'b') {
        proto_error(&s->pc, "binary_not_supported", "binary packets are not accepted");
        return true;
    }
    if (eio_packet_parse(pkt, len, &type, &data, &dlen) != 0) {
        sio_session_close(s, WS_CLOSE_PROTOCOL_ERROR, "parse error");
        return false;
    }
    switch (type) {
    case EIO_PONG: sio_session_pong(s); return true;
    case EIO_MESSAGE: return sio_events_receive(s, data, dlen);
    case EIO_CLOSE: sio_session_close(s, WS_CLOSE_NORMAL, "client close"); return true;
    default: return true; /* ping, upgrade outside a probe, noop: nothing to do */
    }
}

/* A WebSocket message: an Engine.IO packet of the session, or of a probe. */
static void on_ws_text(struct conn *c, const char *text, size_t len)
{
    struct sio_session *s = c->app;
    if (!s)
        return;
    if (c != s->probe) {
        receive(s, text, len);
        return;
    }
    if (len == 6 && memcmp(text, "2probe", 6) == 0) {
        uint8_t h[WS_HEADER_MAX];
        size_t n = ws_frame_header(h, WS_OP_TEXT, true, 6);
        evbuffer_add(conn_output(c), h, n);
        evbuffer_add(conn_output(c), "3probe", 6);
        sio_session_send_poll_noop(s); /* the client pauses polling: end its GET */
    } else if (len == 1 && text[0] == '5') {
        sio_session_use_ws(s, c);
    }
}

/* GET ?transport=websocket without sid: a session on WebSocket from the
 * start, its open packet the first frame. */
static void open_websocket(struct socketio *sio, struct conn *c)
{
    if (!websocket_handshake(c, false))
        return;
    c->ws_text = on_ws_text;
    struct sio_session *s = sio_session_open(sio->table, &c->peer, c);
    if (!s) {
        conn_close_ws(c, WS_CLOSE_POLICY, eio_error_message(EIO_ERR_FORBIDDEN));
        return;
    }
    sio_events_init(s);
    char *open = sio_session_open_packet(s);
    sio_session_send(s, open, strlen(open));
    free(open);
}

static void open_polling(struct socketio *sio, struct conn *c)
{
    if (!http_request_is_get(c->req)) {
        refuse(c, 400, EIO_ERR_BAD_HANDSHAKE_METHOD);
        return;
    }
    struct sio_session *s = sio_session_open(sio->table, &c->peer, NULL);
    if (!s) {
        refuse(c, 403, EIO_ERR_FORBIDDEN);
        return;
    }
    sio_events_init(s);
    char *open = sio_session_open_packet(s);
    conn_respond(c, 200, SOCKETIO_TEXT, open, strlen(open), NULL);
    free(open);
}

/* POST: a payload of packets from the client, answered "ok". */
static void receive_payload(struct sio_session *s, struct conn *c)
{
    size_t len, pos = 0, n;
    const char *body = http_request_body(c->req, &len), *pkt;
    conn_respond(c, 200, "text/html", "ok", 2, NULL);
    while (eio_payload_next(body, len, &pos, &pkt, &n)) {
        c->ctx->counters.messages_in++; /* as websocket.c counts a message */
        c->ctx->counters.bytes_in += n;
        if (!receive(s, pkt, n))
            break; /* malformed: the session is closed */
    }
}

/* sid belongs to another worker of this gateway (clustered): pass it the
 * connection, with the request and whatever was read after it.  False
 * when it cannot be (not ours to pass, TLS, too big, that worker gone). */
static bool hand_over(struct socketio *sio, struct conn *c, const char *sid)
{
    int worker = sio_sid_worker(sid);
    if (!sio->ctx->handoff || worker < 0 || worker == sio->ctx->worker ||
        bufferevent_openssl_get_ssl(c->bev))
        return false;
    size_t raw_len, more = evbuffer_get_length(bufferevent_get_input(c->bev));
    const char *raw = http_request_raw(c->req, &raw_len);
    if (raw_len + more > HANDOFF_MAX_BYTES)
        return false;
    char *bytes = xmalloc(raw_len + more + 1);
    memcpy(bytes, raw, raw_len);
    evbuffer_copyout(bufferevent_get_input(c->bev), bytes + raw_len, more);
    int rc =
        handoff_send(sio->ctx->handoff, worker, bufferevent_getfd(c->bev), bytes, raw_len + more);
    free(bytes);
    if (rc != 0)
        return false;
    conn_close(c); /* our copy only: the other worker's keeps it open */
    return true;
}

static void serve_session(struct socketio *sio, struct conn *c, const char *sid, bool websocket)
{
    struct sio_session *s = sio_session_find(sio->table, sid);
    if (!s && hand_over(sio, c, sid))
        return;
    if (!s) {
        refuse(c, 400, EIO_ERR_SESSION_UNKNOWN);
    } else if (websocket) {
        if (s->ws) {
            refuse(c, 400, EIO_ERR_BAD_REQUEST);
        } else if (websocket_handshake(c, false)) {
            c->ws_text = on_ws_text;
            sio_session_probe(s, c);
        }
    } else if (s->ws) {
        refuse(c, 400, EIO_ERR_BAD_REQUEST); /* upgraded: polling is over */
    } else if (http_request_is_post(c->req)) {
        receive_payload(s, c);
    } else if (!http_request_is_get(c->req)) {
        refuse(c, 400, EIO_ERR_BAD_REQUEST);
    } else if (s->poll) {
        /* Two polls at once: engine.io closes the session. */
        refuse(c, 400, EIO_ERR_BAD_REQUEST);
        sio_session_close(s, WS_CLOSE_POLICY, "overlapping polls");
    } else {
        sio_session_hold_poll(s, c);
    }
}

void socketio_handle(struct socketio *sio, struct conn *c)
{
    const char *q = http_request_query(c->req);
    char eio[8] = "", transport[16] = "", sid[SIO_SID_MAX + 2] = "";
    /* A value that cannot be read (too long, a bad escape or NUL) is not
     * taken for another: only an absent sid asks for a new session. */
    int eio_rc = urlcode_query_param(q, "EIO", eio, sizeof eio);
    int transport_rc = urlcode_query_param(q, "transport", transport, sizeof transport);
    int sid_rc = urlcode_query_param(q, "sid", sid, sizeof sid);
    bool websocket = transport_rc == CP_OK && strcmp(transport, "websocket") == 0;
    if (eio_rc != CP_OK || strcmp(eio, "4") != 0)
        refuse(c, 400, EIO_ERR_UNSUPPORTED_VERSION);
    else if (transport_rc != CP_OK || (!websocket && strcmp(transport, "polling") != 0))
        refuse(c, 400, EIO_ERR_TRANSPORT_UNKNOWN);
    else if (!conf_origin_allowed(c->ctx->conf, http_request_header(c->req, HTTP_H_ORIGIN)))
        refuse(c, 403, EIO_ERR_FORBIDDEN);
    else if (sid_rc != CP_OK && sid_rc != CP_ENOENT)
        refuse(c, 400, EIO_ERR_SESSION_UNKNOWN);
    else if (sid_rc == CP_OK)
        serve_session(sio, c, sid, websocket);
    else if (websocket)
        open_websocket(sio, c);
    else
        open_polling(sio, c);
}

void socketio_body_too_large(struct socketio *sio, struct conn *c)
{
    char sid[SIO_SID_MAX + 2] = "";
    urlcode_query_param(http_request_query(c->req), "sid", sid, sizeof sid);
    conn_respond_error(c, 413, "payload_too_large", "request body over maxPayload", NULL);
    struct sio_session *s = sid[0] ? sio_session_find(sio->table, sid) : NULL;
    if (s)
        sio_session_close(s, WS_CLOSE_TOO_BIG, "payload too large");
}
