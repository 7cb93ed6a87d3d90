#include "config.h"

#include "conn.h"

#include "cp_error.h"
#include "deflate.h"
#include "gateway.h"
#include "health.h"
#include "history.h"
#include "http.h"
#include "urlcode.h"
#include "log.h"
#include "peers.h"
#include "price.h"
#include "proto.h"
#include "sse.h"
#include "metrics.h"
#include "stats.h"
#include "ws.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum conn_kind { CONN_HTTP, CONN_WS, CONN_SSE };

struct conn {
    struct gateway *gw;
    struct bufferevent *bev;
    enum conn_kind kind;
    bool closing;                      /* on gw->closing, freed by the reaper */
    bool close_after_flush;            /* close once the output is written */
    bool ping_outstanding;             /* WebSocket: pinged after silence, no answer yet */
    bool lingering;                    /* response sent and write side shut: reading to EOF */
    int64_t head_started_ms;           /* first byte of the current request head */
    struct peers_key peer;             /* the client's address, counted in gw->peers */
    unsigned pending;                  /* Redis requests whose answer will come to this conn */
    bool awaiting;                     /* HTTP: the response waits for Redis; input paused */
    struct http_request *req;          /* while kind == CONN_HTTP */
    struct ws_parser *ws;              /* while kind == CONN_WS */
    struct deflate_inflater *inflater; /* permessage-deflate negotiated */
    struct conn_replay *replay;        /* a resume in progress, waiting or reading */
    struct proto_client pc;            /* WS and SSE: hub membership */
    struct conn *prev, *next;          /* gw->conns */
    struct conn *next_closing;
};

static void read_cb(struct bufferevent *bev, void *arg);
static void write_cb(struct bufferevent *bev, void *arg);
static void event_cb(struct bufferevent *bev, short what, void *arg);

/* A close that cannot be written in this long (the peer does not read) is
 * completed by dropping the connection. */
#define CONN_CLOSE_FLUSH_MS 2000
/* How long a closing HTTP connection reads what the client still sends. */
#define CONN_LINGER_MS 2000

static void ms_to_tv(int ms, struct timeval *tv)
{
    tv->tv_sec = ms / 1000;
    tv->tv_usec = (ms % 1000) * 1000;
}

/* Bound c's silence: read_ms without input fires BEV_EVENT_TIMEOUT. */
static void set_read_timeout(struct conn *c, int read_ms)
{
    struct timeval tv;
    ms_to_tv(read_ms, &tv);
    bufferevent_set_timeouts(c->bev, &tv, NULL);
}

static int64_t loop_now_ms(const struct gateway *gw)
{
    struct timeval tv;
    event_base_gettimeofday_cached(gw->base, &tv);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static struct conn *conn_adopt(struct gateway *gw, struct bufferevent *bev, evutil_socket_t fd,
                               const struct peers_key *peer);

struct conn *conn_new(struct gateway *gw, evutil_socket_t fd, const struct peers_key *peer)
{
    struct bufferevent *bev =
        bufferevent_socket_new(gw->base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    return conn_adopt(gw, bev, fd, peer);
}

struct conn *conn_new_tls(struct gateway *gw, evutil_socket_t fd, const struct peers_key *peer,
                          struct ssl_ctx_st *tls)
{
    SSL *ssl = SSL_new(tls);
    struct bufferevent *bev =
        ssl ? bufferevent_openssl_socket_new(gw->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)
            : NULL;
    if (bev) /* clients that close without close_notify are the norm */
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return conn_adopt(gw, bev, fd, peer);
}

static struct conn *conn_adopt(struct gateway *gw, struct bufferevent *bev, evutil_socket_t fd,
                               const struct peers_key *peer)
{
    if (!bev) {
        evutil_closesocket(fd);
        peers_remove(gw->peers, peer);
        return NULL;
    }
    struct conn *c = xcalloc(1, sizeof *c);
    c->peer = *peer;
    c->gw = gw;
    c->bev = bev;
    c->kind = CONN_HTTP;
    c->req = http_request_new((size_t)gw->conf->max_head_bytes, (unsigned)gw->conf->max_headers);
    c->next = gw->conns;
    if (gw->conns)
        gw->conns->prev = c;
    gw->conns = c;
    gw->n_conns++;
    /* The read timeout bounds the request head (slowloris); a stream
     * replaces it (conn_became_stream). */
    bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
    set_read_timeout(c, gw->conf->handshake_timeout_ms);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    return c;
}

static void count_stream_end(struct conn *c)
{
    if (c->kind == CONN_WS)
        c->gw->stats.ws_current--;
    else if (c->kind == CONN_SSE)
        c->gw->stats.sse_current--;
}

void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    hub_client_clear(c->gw->hub, &c->pc.sub);
    count_stream_end(c);
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    c->next_closing = c->gw->closing;
    c->gw->closing = c;
    event_active(c->gw->reaper, EV_TIMEOUT, 0);
}

static void conn_free(struct conn *c)
{
    struct gateway *gw = c->gw;
    if (c->prev)
        c->prev->next = c->next;
    else
        gw->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    gw->n_conns--;
    peers_remove(gw->peers, &c->peer);
    /* Drop the messages still queued now: libevent frees the buffers in a
     * deferred callback, which at shutdown runs after the hub, whose latency
     * histogram the last reference to a message writes to, is gone.  The
     * socket bufferevent keeps the start of its output frozen (only it
     * drains that side), so thaw it first. */
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_unfreeze(out, 1);
    evbuffer_drain(out, evbuffer_get_length(out));
    bufferevent_free(c->bev);
    http_request_free(c->req);
    ws_parser_free(c->ws);
    deflate_inflater_free(c->inflater);
    if (c->replay && !c->pending)
        free(c->replay); /* waiting for the output to drain, not for Redis */
    free(c);
}

void conn_close_all(struct gateway *gw, bool going_away)
{
    for (struct conn *c = gw->conns; c; c = c->next) {
        if (going_away && c->kind == CONN_WS)
            conn_close_ws(c, WS_CLOSE_GOING_AWAY, "server shutting down");
        else
            conn_close(c);
    }
}

void conn_reap(struct gateway *gw)
{
    struct conn *waiting = NULL; /* a Redis answer will still come to these */
    while (gw->closing) {
        struct conn *c = gw->closing;
        gw->closing = c->next_closing;
        if (c->pending) {
            c->next_closing = waiting;
            waiting = c;
        } else {
            conn_free(c);
        }
    }
    gw->closing = waiting;
}

/* Stop reading and close once everything queued has been written. */
static void close_after_flush(struct conn *c)
{
    struct timeval flush;
    ms_to_tv(CONN_CLOSE_FLUSH_MS, &flush);
    c->close_after_flush = true;
    bufferevent_set_timeouts(c->bev, NULL, &flush);
    bufferevent_disable(c->bev, EV_READ);
    hub_client_clear(c->gw->hub, &c->pc.sub);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        conn_close(c);
}

/* Ticks may go straight to a plain socket (one send(2) per client per tick
 * while it keeps up); over TLS they must pass through the TLS bufferevent. */
static void direct_writes(struct conn *c)
{
    if (!bufferevent_openssl_get_ssl(c->bev))
        hub_client_set_socket(&c->pc.sub, bufferevent_getfd(c->bev));
}

/* A subscriber that cannot keep up is dropped.  A WebSocket client is told
 * why with a Close frame (1008, RFC 6455 §7.4.1) queued behind its whole
 * frames, which it gets if its socket takes them within
 * CONN_CLOSE_FLUSH_MS; an SSE client has no such message and resumes by
 * Last-Event-ID when it reconnects. */
static void on_overflow(struct hub_client *client, void *arg)
{
    struct conn *c = arg;
    log_info("dropping a stuck client: output past %d bytes, or conflating for %d ms",
             c->gw->conf->max_output_bytes, c->gw->conf->slow_client_timeout_ms);
    if (c->kind == CONN_WS)
        conn_close_ws(c, WS_CLOSE_POLICY, "too slow: output limit reached");
    else
        conn_close(c);
}

/* ---- HTTP responses ---------------------------------------------------- */

/* CORS response headers for the request's Origin (CRLF-ended lines, or ""):
 * "*" when every origin is allowed, else the origin itself with Vary. */
static const char *cors_headers(struct conn *c, char *buf, size_t len)
{
    const char *origin = c->req ? http_request_header(c->req, HTTP_H_ORIGIN) : NULL;
    if (!origin || !conf_origin_allowed(c->gw->conf, origin))
        return "";
    if (c->gw->conf->cors_origins[0] == '\0')
        return "Access-Control-Allow-Origin: *\r\n";
    snprintf(buf, len, "Access-Control-Allow-Origin: %.300s\r\nVary: Origin\r\n", origin);
    return buf;
}

/* The response's Upgrade and Connection lines.  A 426 must name the
 * protocol to upgrade to (RFC 9110 §15.5.22), and whoever sends Upgrade
 * lists "upgrade" in Connection (§7.8); the connection still closes. */
static const char *connection_lines(int status, bool keep)
{
    if (status == 426)
        return "Upgrade: websocket\r\nConnection: Upgrade, close\r\n";
    return keep ? "" : "Connection: close\r\n";
}

/* Queue a complete response.  extra: more header lines, each ending CRLF. */
static void respond(struct conn *c, int status, const char *type, const char *body, size_t len,
                    const char *extra)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    bool keep = c->req && http_request_keep_alive(c->req) && status < 400;
    char cors[512];
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                        "Cache-Control: no-store\r\nServer: cryptopulse/%s\r\n%s%s%s\r\n",
                        status, http_status_text(status), type, len, PACKAGE_VERSION,
                        cors_headers(c, cors, sizeof cors), extra ? extra : "",
                        connection_lines(status, keep));
    if (!(c->req && http_request_is_head(c->req)))
        evbuffer_add(out, body, len);
    if (!keep)
        close_after_flush(c);
}

static void respond_error(struct conn *c, int status, const char *code, const char *message,
                          const char *extra)
{
    json_t *j = json_pack("{s:s, s:s}", "error", code, "message", message);
    char *body = json_dumps(j, JSON_COMPACT);
    respond(c, status, "application/json", body, strlen(body), extra);
    free(body);
    json_decref(j);
}

static void respond_json(struct conn *c, int status, json_t *j)
{
    char *body = json_dumps(j, PRICE_JSON_FLAGS);
    respond(c, status, "application/json", body, strlen(body), NULL);
    free(body);
    json_decref(j);
}

/* ---- WebSocket --------------------------------------------------------- */

void conn_ws_send(struct conn *c, const char *event, const char *data)
{
    msg_ws_append(bufferevent_get_output(c->bev), event, data);
}

void conn_close_ws(struct conn *c, uint16_t code, const char *reason)
{
    if (c->close_after_flush || c->closing)
        return;
    uint8_t frame[WS_HEADER_MAX + WS_CONTROL_MAX];
    size_t rlen = strnlen(reason, WS_CONTROL_MAX - 2);
    size_t h = ws_frame_header(frame, WS_OP_CLOSE, true, 2 + rlen);
    frame[h] = (uint8_t)(code >> 8);
    frame[h + 1] = (uint8_t)code;
    memcpy(frame + h + 2, reason, rlen);
    bufferevent_write(c->bev, frame, h + 2 + rlen);
    close_after_flush(c);
}

static void ws_send_control(struct conn *c, enum ws_opcode op, const uint8_t *p, size_t len)
{
    uint8_t h[WS_HEADER_MAX];
    size_t n = ws_frame_header(h, op, true, len);
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add(out, h, n);
    evbuffer_add(out, p, len);
}

/* A compressed text message (RFC 7692 §7.2.2), inflated into the loop's
 * buffer of MAX_MESSAGE_BYTES — a decompression bomb stops at the limit
 * (1009) — then checked as UTF-8 (1007), since the parser could not. */
static int ws_inflate(struct conn *c, const struct ws_message *m, const uint8_t **text, size_t *len)
{
    int rc = deflate_inflate(c->inflater, m->payload, m->len, c->gw->inflated,
                             (size_t)c->gw->conf->max_message_bytes, len);
    if (rc != CP_OK)
        return rc;
    struct ws_utf8 u = {0};
    if (!ws_utf8_feed(&u, c->gw->inflated, *len) || !ws_utf8_complete(&u))
        return CP_EUTF8;
    *text = c->gw->inflated;
    return CP_OK;
}

static void ws_on_text(struct conn *c, const struct ws_message *m)
{
    const uint8_t *text = m->payload;
    size_t len = m->len;
    int rc = m->compressed && c->inflater ? ws_inflate(c, m, &text, &len) : CP_OK;
    if (rc != CP_OK) {
        conn_close_ws(c, ws_close_code_for(rc), cp_strerror(rc));
        return;
    }
    c->gw->stats.messages_in++;
    c->gw->stats.bytes_in += len;
    if (proto_handle(c->gw, c, &c->pc, (const char *)text, len, loop_now_ms(c->gw)) != CP_OK)
        conn_close_ws(c, WS_CLOSE_POLICY, "rate limit exceeded");
}

static void ws_on_message(struct conn *c, const struct ws_message *m)
{
    switch (m->opcode) {
    case WS_OP_TEXT: ws_on_text(c, m); break;
    case WS_OP_BINARY: conn_close_ws(c, 1003, "binary messages are not accepted"); break;
    case WS_OP_PING:
        ws_send_control(c, WS_OP_PONG, m->payload, m->len); /* RFC 6455 §5.5.2 */
        break;
    case WS_OP_CLOSE:
        /* Echo the code (§5.5.1); 1005 means none was sent, so none is echoed. */
        if (m->close_code == WS_CLOSE_NO_STATUS) {
            ws_send_control(c, WS_OP_CLOSE, NULL, 0);
            close_after_flush(c);
        } else {
            conn_close_ws(c, m->close_code, "");
        }
        break;
    default: break; /* PONG: nothing to do */
    }
}

static void ws_read(struct conn *c, struct evbuffer *in)
{
    if (c->ping_outstanding) { /* any byte proves the client alive */
        c->ping_outstanding = false;
        set_read_timeout(c, c->gw->conf->ws_ping_interval_ms);
    }
    while (!c->close_after_flush && !c->closing && evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec v;
        evbuffer_peek(in, -1, NULL, &v, 1);
        size_t used = 0;
        struct ws_message m;
        int rc = ws_parser_feed(c->ws, v.iov_base, v.iov_len, &used, &m);
        if (rc == CP_OK) {
            ws_on_message(c, &m); /* payload is valid until the next feed */
        } else if (rc != CP_EAGAIN) {
            log_debug("closing a WebSocket client: %s", cp_strerror(rc));
            conn_close_ws(c, ws_close_code_for(rc), cp_strerror(rc));
        }
        evbuffer_drain(in, used);
    }
    if (c->ws)
        ws_parser_release(c->ws); /* idle clients keep no message buffer */
}

/* RFC 6455 §4.2.1 checks, then the 101 answer (§4.2.2) and the welcome. */
static void ws_upgrade(struct conn *c)
{
    const struct http_request *r = c->req;
    const char *up = http_request_header(r, HTTP_H_UPGRADE);
    const char *conn_hdr = http_request_header(r, HTTP_H_CONNECTION);
    const char *version = http_request_header(r, HTTP_H_WS_VERSION);
    const char *key = http_request_header(r, HTTP_H_WS_KEY);
    if (!http_request_is_get(r)) {
        respond_error(c, 405, "method_not_allowed", "use GET", "Allow: GET\r\n");
    } else if (http_request_minor(r) < 1) {
        respond_error(c, 400, "bad_request", "WebSocket needs HTTP/1.1 (RFC 6455 4.1)", NULL);
    } else if (!up || !http_token_list_has(up, "websocket") || !conn_hdr ||
               !http_token_list_has(conn_hdr, "upgrade")) {
        respond_error(c, 426, "upgrade_required", "this endpoint speaks WebSocket", NULL);
    } else if (!version || strcmp(version, "13") != 0) {
        /* RFC 6455 §4.4: the versions the server speaks */
        respond_error(c, 426, "unsupported_version", "only WebSocket version 13 is supported",
                      "Sec-WebSocket-Version: 13\r\n");
    } else if (!key || !ws_key_valid(key)) {
        respond_error(c, 400, "bad_key", "Sec-WebSocket-Key must be base64 of 16 bytes", NULL);
    } else if (!conf_origin_allowed(c->gw->conf, http_request_header(r, HTTP_H_ORIGIN))) {
        respond_error(c, 403, "origin_not_allowed", "Origin is not allowed", NULL);
    } else {
        char accept[WS_ACCEPT_LEN + 1], ext[DEFLATE_RESPONSE_MAX];
        struct deflate_params dp;
        const char *offers = http_request_header(r, HTTP_H_WS_EXTENSIONS);
        bool deflate = offers && deflate_negotiate(offers, &dp, ext) == CP_OK;
        ws_accept_key(key, accept);
        evbuffer_add_printf(bufferevent_get_output(c->bev),
                            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s%s%s\r\n",
                            accept, deflate ? "Sec-WebSocket-Extensions: " : "", deflate ? ext : "",
                            deflate ? "\r\n" : "");
        c->kind = CONN_WS;
        c->ws = ws_parser_new((size_t)c->gw->conf->max_message_bytes);
        if (deflate) {
            ws_parser_set_rsv1(c->ws, true);
            c->inflater = deflate_inflater_new(&dp);
            c->gw->stats.ws_deflate++;
        }
        hub_client_init(&c->pc.sub, bufferevent_get_output(c->bev),
                        deflate ? MSG_WS_DEFLATE : MSG_WS, on_overflow, c);
        direct_writes(c);
        proto_client_init(&c->pc, c->gw, loop_now_ms(c->gw));
        struct gateway_stats *s = &c->gw->stats;
        s->ws_total++;
        if (++s->ws_current > s->ws_peak)
            s->ws_peak = s->ws_current;
        char *welcome = proto_welcome(c->gw);
        conn_ws_send(c, "welcome", welcome);
        free(welcome);
    }
}

/* ---- Server-Sent Events ------------------------------------------------ */

/* Queue one event with data to c alone, in its transport's encoding: for
 * snapshots and replays, which are per client by nature. */
static void emit(struct conn *c, const char *event, const json_t *data, const char *id)
{
    char *text = json_dumps(data, PRICE_JSON_FLAGS);
    if (c->kind == CONN_WS) {
        conn_ws_send(c, event, text);
    } else {
        size_t len;
        char *ev = sse_event_new(id, event, text, strlen(text), &len);
        evbuffer_add(bufferevent_get_output(c->bev), ev, len);
        free(ev);
    }
    free(text);
}

/* Events of one tick (or snapshot) for c, one per price of prices that c
 * subscribes to: only the last carries id, so that an SSE client's last
 * event id only ever names a tick whose events all arrived (PROTOCOL.md §3). */
static void emit_prices(struct conn *c, const json_t *prices, const char *id)
{
    size_t i, last = SIZE_MAX;
    json_t *p;
    json_array_foreach(prices, i, p)
    {
        const char *sym = json_string_value(json_object_get(p, "symbol"));
        if (sym && hub_client_has(&c->pc.sub, sym))
            last = i;
    }
    json_array_foreach(prices, i, p)
    {
        const char *sym = json_string_value(json_object_get(p, "symbol"));
        if (sym && hub_client_has(&c->pc.sub, sym))
            emit(c, "price-update", p, i == last ? id : NULL);
    }
}

/* The latest price of each of c's symbols, nothing while there is none: for
 * "*" subscribers one price-update-bulk, or with event one such bulk event
 * of that name ("snapshot": a resume point that could not be used), else a
 * price-update per symbol. */
static void emit_snapshot(struct conn *c, const char *event)
{
    json_t *syms = hub_client_symbols(&c->pc.sub);
    json_t *snap = hub_snapshot(c->gw->hub, syms);
    json_t *prices = json_object_get(snap, "prices");
    const char *id = json_string_value(json_object_get(snap, "id"));
    if (json_array_size(prices) == 0)
        ; /* no data yet: the first tick will bring it */
    else if (event || c->pc.sub.all)
        emit(c, event ? event : "price-update-bulk", snap, id);
    else
        emit_prices(c, prices, id);
    json_decref(snap);
    json_decref(syms);
}

/* One replayed tick, as the live fan-out would have sent it to c. */
static void emit_tick(struct conn *c, json_t *tick, const char *id)
{
    if (c->pc.sub.all)
        emit(c, "price-update-bulk", tick, id);
    else
        emit_prices(c, json_object_get(tick, "prices"), id);
}

/* ---- resume (PROTOCOL.md §3): replay missed ticks from the history stream */

#define CONN_REPLAY_PAGE 200 /* stream entries per XRANGE */

struct conn_replay {
    struct conn *c;
    char after[PRICE_ID_MAX]; /* the last id the client has */
    bool first;               /* the first page also checks that id is in history */
    size_t skipped;           /* history entries that were not valid ticks */
};

/* Go live; with snapshot, the client's resume point was not usable (unknown,
 * older than history, Redis away, or too much to replay): it gets the
 * current prices first instead, on SSE as a "snapshot" event so that it can
 * tell it missed ticks (PROTOCOL.md §3), on WebSocket as the
 * price-update-bulk that answers every subscribe. */
static void replay_finish(struct conn_replay *rp, bool snapshot)
{
    struct conn *c = rp->c;
    c->replay = NULL;
    if (rp->skipped)
        log_info("a resume skipped %zu history entries that are not valid ticks", rp->skipped);
    if (snapshot)
        emit_snapshot(c, c->kind == CONN_SSE ? "snapshot" : "price-update-bulk");
    hub_client_resume(c->gw->hub, &c->pc.sub, snapshot ? NULL : rp->after);
    free(rp);
}

static void replay_page(struct conn_replay *rp, bool inclusive);

/* Emit one history entry to c as the live fan-out would have sent it; an
 * entry that is not a valid tick (or is over MAX_TICK_BYTES) is skipped
 * and counted, as the live fan-out skips it. */
static void replay_entry(struct conn_replay *rp, const struct rdb_entry *e)
{
    struct conn *c = rp->c;
    char err[256];
    json_t *raw = e->len <= (size_t)c->gw->conf->max_tick_bytes
                      ? json_loadb(e->tick, e->len, JSON_REJECT_DUPLICATES, NULL)
                      : NULL;
    json_t *tick = raw ? price_tick_clean(raw, err, sizeof err) : NULL;
    const char *id = json_string_value(json_object_get(tick, "id"));
    if (id && strcmp(id, e->id) == 0)
        emit_tick(c, tick, id);
    else
        rp->skipped++;
    json_decref(tick);
    json_decref(raw);
}

static void replay_cb(bool ok, const struct rdb_entry *e, size_t n, void *arg)
{
    struct conn_replay *rp = arg;
    struct conn *c = rp->c;
    c->pending--;
    if (c->closing) {
        c->replay = NULL;
        event_active(c->gw->reaper, EV_TIMEOUT, 0);
        free(rp);
        return;
    }
    c->replay = rp;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    size_t i = 0, advanced = 0;
    if (ok && rp->first) { /* the resume point itself must still be there */
        ok = n > 0 && strcmp(e[0].id, rp->after) == 0;
        i = 1;
    }
    /* Stop at the high-water mark: the rest of the page is read again from
     * the last entry sent once the output has drained (write_cb), so a long
     * replay never holds much more than OUTPUT_HIGH_WATER_BYTES, whatever
     * the size of its ticks. */
    bool full = false;
    for (; ok && i < n && !full && strlen(e[i].id) < sizeof rp->after; i++, advanced++) {
        replay_entry(rp, &e[i]);
        strcpy(rp->after, e[i].id); /* skipped or sent, never read again */
        full = evbuffer_get_length(out) > (size_t)c->gw->conf->output_high_water_bytes;
    }
    if (!ok) {
        replay_finish(rp, true);
        return;
    }
    rp->first = false;
    if (full)
        return;
    /* More pages, or live ticks that came while this page was read. */
    struct tickid a, b;
    bool behind = advanced && tickid_parse(hub_last_id(c->gw->hub), &a) == CP_OK &&
                  tickid_parse(rp->after, &b) == CP_OK && tickid_after(a, b);
    if (n < CONN_REPLAY_PAGE && !behind)
        replay_finish(rp, false);
    else
        replay_page(rp, false);
}

/* The output of a replaying client drained: read its next page. */
static void replay_continue(struct conn *c)
{
    if (c->replay && !c->pending)
        replay_page(c->replay, false);
}

static void replay_page(struct conn_replay *rp, bool inclusive)
{
    if (rdb_ticks_from(rp->c->gw->rdb, rp->after, inclusive, CONN_REPLAY_PAGE, replay_cb, rp) !=
        CP_OK) {
        replay_finish(rp, true);
        return;
    }
    rp->c->pending++;
}

void conn_resume(struct conn *c, const char *last_id)
{
    struct tickid parsed;
    struct conn_replay *rp = xcalloc(1, sizeof *rp);
    rp->c = c;
    rp->first = true;
    hub_client_pause(&c->pc.sub);
    if (!last_id || strlen(last_id) >= sizeof rp->after ||
        tickid_parse(last_id, &parsed) != CP_OK) {
        replay_finish(rp, true);
        return;
    }
    strcpy(rp->after, last_id);
    replay_page(rp, true);
}

/* ---- Server-Sent Events ------------------------------------------------ */

/* Subscribe c to ?symbols= (default "*").  Returns 0, or answers 400 and
 * returns CP_EINVAL. */
static int sse_subscribe(struct conn *c)
{
    char list[1024], err[128];
    char syms[HUB_MAX_SYMBOLS_PER_REQUEST][PRICE_SYMBOL_MAX];
    int max = c->gw->conf->max_subscriptions < HUB_MAX_SYMBOLS_PER_REQUEST
                  ? c->gw->conf->max_subscriptions
                  : HUB_MAX_SYMBOLS_PER_REQUEST;
    int q = urlcode_query_param(http_request_query(c->req), "symbols", list, sizeof list);
    if (q == CP_ENOENT || (q == CP_OK && list[0] == '\0'))
        strcpy(list, "*");
    int n = q == CP_OK || q == CP_ENOENT ? sse_parse_symbols(list, syms, max, err, sizeof err)
                                         : CP_EINVAL;
    if (q != CP_OK && q != CP_ENOENT)
        snprintf(err, sizeof err, "symbols is not a valid query value");
    if (n == 0)
        hub_subscribe(c->gw->hub, &c->pc.sub, "*");
    for (int i = 0; i < n; i++) {
        if (hub_subscribe(c->gw->hub, &c->pc.sub, syms[i]) < 0) {
            snprintf(err, sizeof err, "unknown symbol \"%.15s\"", syms[i]);
            n = CP_EINVAL;
            break;
        }
    }
    if (n < 0) {
        hub_client_clear(c->gw->hub, &c->pc.sub);
        respond_error(c, 400, "unknown_symbol", err, NULL);
        return CP_EINVAL;
    }
    return CP_OK;
}

/* The resume point: the Last-Event-ID header, or ?lastEventId= for clients
 * that cannot set headers.  NULL when neither is given. */
static const char *last_event_id(struct conn *c, char *buf, size_t len)
{
    const char *h = http_request_header(c->req, HTTP_H_LAST_EVENT_ID);
    if (h)
        return h;
    return urlcode_query_param(http_request_query(c->req), "lastEventId", buf, len) == CP_OK ? buf
                                                                                             : NULL;
}

static void sse_start(struct conn *c)
{
    const struct http_request *r = c->req;
    if (!http_request_is_get(r) && !http_request_is_head(r)) {
        respond_error(c, 405, "method_not_allowed", "use GET", "Allow: GET, HEAD, OPTIONS\r\n");
        return;
    }
    if (!conf_origin_allowed(c->gw->conf, http_request_header(r, HTTP_H_ORIGIN))) {
        respond_error(c, 403, "origin_not_allowed", "Origin is not allowed", NULL);
        return;
    }
    hub_client_init(&c->pc.sub, bufferevent_get_output(c->bev), MSG_SSE, on_overflow, c);
    direct_writes(c);
    if (sse_subscribe(c) != CP_OK)
        return;
    /* A stream has no length: it ends when the connection closes, for
     * HTTP/1.0 and 1.1 alike (RFC 9112 §6.3 item 8). */
    struct evbuffer *out = bufferevent_get_output(c->bev);
    char cors[512];
    evbuffer_add_printf(out,
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                        "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"
                        "Connection: close\r\nServer: cryptopulse/%s\r\n%s\r\n",
                        PACKAGE_VERSION, cors_headers(c, cors, sizeof cors));
    if (http_request_is_head(r)) {
        hub_client_clear(c->gw->hub, &c->pc.sub);
        close_after_flush(c);
        return;
    }
    char id[PRICE_ID_MAX + 1];
    const char *resume = last_event_id(c, id, sizeof id);
    /* A resumed stream first states the id it resumes from, so that a
     * client whose event stream starts with an empty last event id (WHATWG
     * "event stream interpretation") and is cut before the first tick still
     * holds its resume point. */
    if (resume && strlen(resume) < PRICE_ID_MAX && sse_id_valid(resume))
        evbuffer_add_printf(out, "retry: 2000\nid: %s\n\n", resume);
    else
        evbuffer_add_printf(out, "retry: 2000\n\n");
    c->kind = CONN_SSE;
    struct gateway_stats *s = &c->gw->stats;
    s->sse_total++;
    if (++s->sse_current > s->sse_peak)
        s->sse_peak = s->sse_current;
    if (resume)
        conn_resume(c, resume);
    else
        emit_snapshot(c, NULL);
}

void conn_sse_keepalive(struct gateway *gw)
{
    static const char comment[] = ": keep-alive\n\n";
    for (struct conn *c = gw->conns; c; c = c->next)
        if (c->kind == CONN_SSE && !c->closing)
            evbuffer_add_reference(bufferevent_get_output(c->bev), comment, sizeof comment - 1,
                                   NULL, NULL);
}

/* ---- routing ------------------------------------------------------------ */

static json_t *health_json(struct gateway *gw, int *status)
{
    /* The rule and the JSON are lib/health's, the same as cryptopulse-fcgi's;
     * here the last tick is the newest one received, Redis is up while the
     * tick subscription is, and the readings are rdb's (never waited for). */
    int64_t last = hub_last_ts(gw->hub);
    struct health_probe p = {.connected = rdb_subscribed(gw->rdb),
                             .latency_ms = rdb_latency_ms(gw->rdb),
                             .tick_found = last != 0,
                             .last_tick_ms = last,
                             .ticks = (int64_t)hub_get_stats(gw->hub)->ticks,
                             .sources = gw->sources};
    snprintf(p.version, sizeof p.version, "%s", rdb_version(gw->rdb));
    if (!p.connected)
        snprintf(p.error, sizeof p.error, "not subscribed to the tick channel");
    return health_to_json(&p, price_now_ms(), gw->conf->update_interval_ms, status);
}

static void serve_static(struct conn *c, const char *path)
{
    bool keep = http_request_keep_alive(c->req);
    struct www_request r = {path,
                            http_request_header(c->req, HTTP_H_IF_NONE_MATCH),
                            http_request_header(c->req, HTTP_H_IF_MODIFIED_SINCE),
                            http_request_header(c->req, HTTP_H_ACCEPT_ENCODING),
                            http_request_is_head(c->req),
                            keep};
    if (www_respond(c->gw->www, &r, bufferevent_get_output(c->bev)) < 0) {
        respond_error(c, 404, "not_found", "no such resource", NULL);
        return;
    }
    if (!keep)
        close_after_flush(c);
}

/* ---- history ------------------------------------------------------------ */

struct conn_history {
    struct conn *c;
    char symbol[PRICE_SYMBOL_MAX];
    int limit;
};

static void http_read(struct conn *c, struct evbuffer *in);

/* The HTTP response went out: go on with pipelined requests. */
static void resume_http(struct conn *c)
{
    c->awaiting = false;
    if (c->close_after_flush || c->closing)
        return;
    http_request_reset(c->req);
    bufferevent_enable(c->bev, EV_READ);
    http_read(c, bufferevent_get_input(c->bev));
}

/* Answer a history request; resume: go on with pipelined HTTP requests
 * (false when called from inside request parsing). */
static void history_answer(struct conn_history *h, bool ok, const char *const *ticks,
                           const size_t *lens, size_t n, bool resume)
{
    struct conn *c = h->c;
    if (c->closing) {
        event_active(c->gw->reaper, EV_TIMEOUT, 0);
    } else if (c->kind == CONN_WS && ok) {
        json_t *j = history_points(h->symbol, ticks, lens, n, h->limit);
        char *text = json_dumps(j, PRICE_JSON_FLAGS);
        conn_ws_send(c, "history", text);
        free(text);
        json_decref(j);
    } else if (c->kind == CONN_WS) {
        conn_ws_send(c, "error",
                     "{\"code\":\"unavailable\",\"message\":\"history is "
                     "unavailable: Redis is unreachable\"}");
    } else {
        if (ok)
            respond_json(c, 200, history_points(h->symbol, ticks, lens, n, h->limit));
        else
            respond_error(c, 503, "unavailable", "history is unavailable: Redis is unreachable",
                          NULL);
        if (resume)
            resume_http(c);
    }
    free(h);
}

static void history_done(bool ok, const char *const *ticks, const size_t *lens, size_t n, void *arg)
{
    struct conn_history *h = arg;
    h->c->pending--;
    history_answer(h, ok, ticks, lens, n, true);
}

/* Wait for a Redis answer: a closed connection is kept until it arrives, and
 * an HTTP connection reads no further request until it is answered. */
static void await_redis(struct conn *c)
{
    c->pending++;
    if (c->kind == CONN_HTTP) {
        c->awaiting = true;
        bufferevent_disable(c->bev, EV_READ);
    }
}

void conn_history(struct conn *c, const char *symbol, int limit)
{
    struct conn_history *h = xcalloc(1, sizeof *h);
    h->c = c;
    snprintf(h->symbol, sizeof h->symbol, "%s", symbol);
    h->limit = limit;
    if (rdb_history(c->gw->rdb, history_ticks_for(limit), history_done, h) != CP_OK)
        history_answer(h, false, NULL, NULL, 0, false);
    else
        await_redis(c);
}

/* ---- /stats and /metrics: every worker's counters ----------------------- */

struct conn_stats {
    struct conn *c;
    bool prometheus;
};

/* This worker's counters, fresh, and the others' from Redis (ok false: Redis
 * could not be asked, so this worker's alone). */
static void stats_answer(struct conn_stats *st, bool ok, const char *const *texts,
                         const size_t *lens, size_t n, bool resume)
{
    struct conn *c = st->c;
    if (c->closing) {
        event_active(c->gw->reaper, EV_TIMEOUT, 0);
        free(st);
        return;
    }
    json_t *workers = json_array();
    json_array_append_new(workers, stats_worker(c->gw));
    for (size_t i = 0; i < n; i++) {
        json_t *w = json_loadb(texts[i], lens[i], 0, NULL);
        const char *inst = json_string_value(json_object_get(w, "instance"));
        bool self = inst && strcmp(inst, c->gw->instance) == 0 &&
                    json_integer_value(json_object_get(w, "worker")) == c->gw->worker;
        if (json_is_object(w) && !self)
            json_array_append(workers, w);
        json_decref(w);
    }
    if (st->prometheus) {
        char *text = metrics_prometheus(workers);
        respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text), NULL);
        free(text);
    } else {
        json_t *total = metrics_merge(workers);
        if (!ok)
            json_object_set_new(total, "partial", json_true());
        if (st->c->gw->sources)
            json_object_set(total, "sources", json_object_get(st->c->gw->sources, "sources"));
        respond_json(c, 200, total);
    }
    json_decref(workers);
    free(st);
    if (resume)
        resume_http(c);
}

static void stats_done(bool ok, const char *const *texts, const size_t *lens, size_t n, void *arg)
{
    struct conn_stats *st = arg;
    st->c->pending--;
    stats_answer(st, ok, texts, lens, n, true);
}

static void stats_request(struct conn *c, bool prometheus)
{
    struct conn_stats *st = xcalloc(1, sizeof *st);
    st->c = c;
    st->prometheus = prometheus;
    char index[KEYS_MAX];
    keys_format(index, sizeof index, c->gw->conf->redis_prefix, KEYS_STATS_INDEX, NULL);
    int64_t since = price_now_ms() - gateway_stats_ttl_ms(c->gw);
    if (rdb_stats_read(c->gw->rdb, index, since, stats_done, st) != CP_OK)
        stats_answer(st, false, NULL, NULL, 0, false);
    else
        await_redis(c);
}

/* GET /history?symbol=BTC&limit=60 (PROTOCOL.md §1). */
static void history_request(struct conn *c)
{
    char symbol[PRICE_SYMBOL_MAX + 1] = "", limit[16], err[128];
    const char *q = http_request_query(c->req);
    int n;
    bool has_limit = urlcode_query_param(q, "limit", limit, sizeof limit) == CP_OK;
    if (urlcode_query_param(q, "symbol", symbol, sizeof symbol) != CP_OK ||
        history_check(symbol, has_limit ? limit : NULL, &n, err, sizeof err) != CP_OK) {
        respond_error(c, 400, "bad_request", symbol[0] ? err : "symbol is required", NULL);
    } else if (!hub_symbol_known(c->gw->hub, symbol)) {
        respond_error(c, 400, "unknown_symbol", "not carried by this feed", NULL);
    } else {
        conn_history(c, symbol, n);
    }
}

/* OPTIONS: a CORS preflight (Fetch standard, "CORS protocol"). */
static void preflight(struct conn *c)
{
    if (!conf_origin_allowed(c->gw->conf, http_request_header(c->req, HTTP_H_ORIGIN))) {
        respond_error(c, 403, "origin_not_allowed", "Origin is not allowed", NULL);
        return;
    }
    respond(c, 204, "text/plain", "", 0,
            "Allow: GET, HEAD, OPTIONS\r\nAccess-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"
            "Access-Control-Allow-Headers: Last-Event-ID, Cache-Control\r\n"
            "Access-Control-Max-Age: 600\r\n");
}

static void route(struct conn *c)
{
    char path[HTTP_URL_MAX];
    c->gw->stats.http_requests++;
    if (urlcode_path_decode(http_request_path(c->req), path, sizeof path) != CP_OK) {
        respond_error(c, 400, "bad_request", "malformed path", NULL);
        return;
    }
    bool get = http_request_is_get(c->req) || http_request_is_head(c->req);
    int status;
    if (http_request_major(c->req) != 1)
        respond_error(c, 505, "http_version_not_supported", "use HTTP/1.0 or HTTP/1.1", NULL);
    else if (http_request_is_options(c->req))
        preflight(c);
    else if (strcmp(path, "/ws") == 0)
        ws_upgrade(c);
    else if (strcmp(path, "/events") == 0)
        sse_start(c);
    else if (!get)
        respond_error(c, 405, "method_not_allowed", "use GET", "Allow: GET, HEAD\r\n");
    else if (strcmp(path, "/health") == 0) {
        json_t *j = health_json(c->gw, &status);
        respond_json(c, status, j);
    } else if (strcmp(path, "/stats") == 0)
        stats_request(c, false);
    else if (strcmp(path, "/metrics") == 0)
        stats_request(c, true);
    else if (strcmp(path, "/history") == 0)
        history_request(c);
    else
        serve_static(c, path);
}

static void http_error(struct conn *c, int rc)
{
    if (rc == CP_ETOOBIG && http_request_url_too_long(c->req))
        respond_error(c, 414, "uri_too_long", "request URL too long", NULL);
    else if (rc == CP_ETOOBIG)
        respond_error(c, 431, "headers_too_large", "request head too large", NULL);
    else
        respond_error(c, 400, "bad_request", http_request_error(c->req), NULL);
}

/* Parse request heads until the connection becomes a stream, needs more
 * bytes, or is closing.  Bytes after a WebSocket handshake stay in the input
 * for the frame parser. */
static void http_read(struct conn *c, struct evbuffer *in)
{
    while (c->kind == CONN_HTTP && !c->close_after_flush && !c->closing) {
        size_t len = evbuffer_get_length(in);
        if (len == 0)
            return;
        size_t used;
        int64_t now = loop_now_ms(c->gw);
        if (!http_request_started(c->req))
            c->head_started_ms = now;
        int rc = http_request_feed(c->req, (const char *)evbuffer_pullup(in, -1), len, &used);
        evbuffer_drain(in, used);
        /* The read timeout restarts with every byte; a head trickled in
         * slowly (slowloris) is bounded by its total time too. */
        if (rc == CP_EAGAIN && now - c->head_started_ms > c->gw->conf->handshake_timeout_ms)
            respond_error(c, 408, "timeout", "request head not received in time", NULL);
        if (rc == CP_EAGAIN)
            return;
        if (rc != CP_OK) {
            http_error(c, rc);
            return;
        }
        route(c);
        if (c->awaiting)
            return; /* resume_http() goes on once Redis answers */
        if (c->kind != CONN_HTTP) {
            http_request_free(c->req);
            c->req = NULL;
            /* WebSocket clients are pinged after silence; SSE clients send
             * nothing, and a vanished one is noticed when a write fails. */
            if (c->kind == CONN_WS)
                set_read_timeout(c, c->gw->conf->ws_ping_interval_ms);
            else
                bufferevent_set_timeouts(c->bev, NULL, NULL);
            bufferevent_setwatermark(c->bev, EV_WRITE,
                                     (size_t)c->gw->conf->output_high_water_bytes / 4, 0);
        } else {
            http_request_reset(c->req);
        }
    }
}

/* ---- callbacks ---------------------------------------------------------- */

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (c->lingering) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    if (c->kind == CONN_HTTP && !c->awaiting)
        http_read(c, in);
    if (c->kind == CONN_WS)
        ws_read(c, in);
    else if (c->kind == CONN_SSE)
        evbuffer_drain(in, evbuffer_get_length(in)); /* clients send nothing */
}

/* Closing an HTTP connection whose client may still be sending (an error
 * answered before the request was read whole, a pipelined request) with
 * unread input would make the kernel send RST, which can destroy the
 * response in flight.  Shut the write side and read to EOF for a moment
 * instead, as web servers' lingering close does. */
static void linger(struct conn *c)
{
    struct timeval tv;
    ms_to_tv(CONN_LINGER_MS, &tv);
    c->lingering = true;
    shutdown(bufferevent_getfd(c->bev), SHUT_WR);
    evbuffer_drain(bufferevent_get_input(c->bev),
                   evbuffer_get_length(bufferevent_get_input(c->bev)));
    bufferevent_set_timeouts(c->bev, &tv, NULL);
    bufferevent_enable(c->bev, EV_READ);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    if (c->close_after_flush && !c->lingering && c->kind == CONN_HTTP &&
        evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
        linger(c);
        return;
    }
    /* Output fell below the low-water mark: a conflating client catches up,
     * a replaying one reads its next page. */
    if (c->pc.sub.conflating && !c->close_after_flush)
        hub_client_catch_up(c->gw->hub, &c->pc.sub);
    if (c->replay && !c->close_after_flush)
        replay_continue(c);
    /* Deferred callbacks may run after more output was queued: only close
     * once everything is really written. */
    if (c->close_after_flush && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        conn_close(c);
}

/* A silent WebSocket client is pinged (RFC 6455 §5.5.2); still silent after
 * WS_PONG_TIMEOUT_MS, it is closed with 1001 as idle. */
static void ws_idle(struct conn *c)
{
    if (c->ping_outstanding) {
        conn_close_ws(c, WS_CLOSE_GOING_AWAY, "idle timeout");
        return;
    }
    c->ping_outstanding = true;
    ws_send_control(c, WS_OP_PING, (const uint8_t *)"cp", 2);
    set_read_timeout(c, c->gw->conf->ws_pong_timeout_ms);
    bufferevent_enable(c->bev, EV_READ); /* libevent disables it on timeout */
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (what == BEV_EVENT_CONNECTED)
        return; /* a TLS handshake completed */
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) && c->kind == CONN_WS &&
        !c->close_after_flush) {
        ws_idle(c);
        return;
    }
    /* An idle keep-alive connection just closes; a head that stalled midway
     * (slowloris) is told why. */
    if ((what & BEV_EVENT_TIMEOUT) && c->kind == CONN_HTTP && !c->close_after_flush &&
        http_request_started(c->req)) {
        respond_error(c, 408, "timeout", "request head not received in time", NULL);
        return;
    }
    conn_close(c);
}
