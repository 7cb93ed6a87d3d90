#include "config.h"

#include "conn.h"

#include "conn_private.h"
#include "connlog.h"
#include "deflate.h"
#include "http.h"
#include "log.h"
#include "price.h"
#include "sse.h"
#include "strlist.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A close that cannot be written in this long (the peer does not read) is
 * completed by dropping the connection. */
#define CONN_CLOSE_FLUSH_MS 2000

/* ---- the registry ------------------------------------------------------- */

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
    conn_reap(arg);
}

struct conn_registry *conn_registry_new(struct event_base *base, size_t max_conns, unsigned per_ip)
{
    struct conn_registry *reg = xcalloc(1, sizeof *reg);
    reg->max_conns = max_conns;
    reg->per_ip = per_ip ? per_ip : UINT_MAX;
    reg->peers = peers_new();
    reg->base = base;
    reg->reaper = event_new(base, -1, 0, on_reap, reg);
    conn_io_registry_init(reg);
    return reg;
}

void conn_registry_free(struct conn_registry *reg)
{
    if (!reg)
        return;
    conn_close_all(reg, false);
    conn_io_registry_free(reg);
    conn_reap(reg);
    event_free(reg->reaper);
    peers_free(reg->peers);
    free(reg);
}

bool conn_registry_admit(struct conn_registry *reg, const struct sockaddr *sa,
                         struct peers_key *peer)
{
    *peer = peers_key_of(sa);
    return reg->n_conns < reg->max_conns && peers_add(reg->peers, peer, reg->per_ip);
}

size_t conn_registry_count(const struct conn_registry *reg)
{
    return reg->n_conns;
}

struct conn *conn_registry_first(const struct conn_registry *reg)
{
    return reg->conns;
}

void conn_schedule_reap(struct conn_registry *reg)
{
    event_active(reg->reaper, EV_TIMEOUT, 0);
}

static void conn_free(struct conn *c)
{
    struct conn_registry *reg = c->ctx->conns;
    if (c->prev)
        c->prev->next = c->next;
    else
        reg->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    reg->n_conns--;
    peers_remove(reg->peers, &c->peer);
    connlog_close(c->log, conn_fd(c),
                  c->kind == CONN_WS    ? "websocket"
                  : c->kind == CONN_SSE ? "sse"
                                        : "http",
                  ctx_now_ms(c->ctx));
    if (c->bev) {
        /* Drop the messages still queued now: libevent frees the buffers in
         * a deferred callback, which at shutdown runs after the hub, whose
         * latency histogram the last reference to a message writes to, is
         * gone.  The socket bufferevent keeps the start of its output frozen
         * (only it drains that side), so thaw it first. */
        struct evbuffer *out = conn_output(c);
        evbuffer_unfreeze(out, 1);
        evbuffer_drain(out, evbuffer_get_length(out));
        bufferevent_free(c->bev);
    } else {
        conn_io_free(c);
    }
    http_request_free(c->req);
    ws_parser_free(c->ws);
    deflate_inflater_free(c->inflater);
    if (c->resume && !c->pending)
        free(c->resume); /* waiting for the output to drain, not for Redis */
    free(c);
}

void conn_close_all(struct conn_registry *reg, bool going_away)
{
    for (struct conn *c = reg->conns; c; c = c->next) {
        if (going_away && c->kind == CONN_WS)
            conn_close_ws(c, WS_CLOSE_GOING_AWAY, "server shutting down");
        else
            conn_close(c);
    }
}

void conn_reap(struct conn_registry *reg)
{
    /* A Redis answer will still come to these, or the flush list holds them. */
    struct conn *waiting = NULL;
    while (reg->closing) {
        struct conn *c = reg->closing;
        reg->closing = c->next_closing;
        if (c->pending || c->flush_queued) {
            c->next_closing = waiting;
            waiting = c;
        } else {
            conn_free(c);
        }
    }
    reg->closing = waiting;
}

/* ---- one connection ----------------------------------------------------- */

/* Fill in c (calloc'd, its ctx set) and register it: on fd, from peer
 * (already admitted). */
static struct conn *conn_register(struct conn *c, evutil_socket_t fd, const struct peers_key *peer)
{
    struct ctx *ctx = c->ctx;
    struct conn_registry *reg = ctx->conns;
    c->peer = *peer;
    c->kind = CONN_HTTP;
    c->sub = &c->pc.sub;
    c->next = reg->conns;
    if (reg->conns)
        reg->conns->prev = c;
    reg->conns = c;
    reg->n_conns++;
    c->log = connlog_open(ctx->conf->log_connections, fd, ctx_now_ms(ctx));
    return c;
}

/* fd cannot be served (out of memory): closed, and no longer counted. */
static struct conn *refuse(struct ctx *ctx, evutil_socket_t fd, const struct peers_key *peer)
{
    evutil_closesocket(fd);
    peers_remove(ctx->conns->peers, peer);
    return NULL;
}

struct conn *conn_new(struct ctx *ctx, struct bufferevent *bev, evutil_socket_t fd,
                      const struct peers_key *peer)
{
    if (!bev)
        return refuse(ctx, fd, peer);
    struct conn *c = xcalloc(1, sizeof *c);
    c->ctx = ctx;
    c->bev = bev;
    return conn_register(c, fd, peer);
}

struct conn *conn_new_bare(struct ctx *ctx, evutil_socket_t fd, const struct peers_key *peer,
                           const struct conn_io *io, size_t low_water)
{
    struct conn *c = xcalloc(1, sizeof *c);
    c->ctx = ctx;
    if (!conn_io_attach(c, fd, io, low_water)) {
        free(c);
        return refuse(ctx, fd, peer);
    }
    /* A loop without priorities (a test's) has only CONN_PRIORITY_HEAD. */
    event_priority_set(c->ev, CONN_PRIORITY_HEAD);
    return conn_register(c, fd, peer);
}

/* A stream stops counting as a current client once it is being closed,
 * not when its socket is finally freed (after a flush or a lingering
 * close), so /stats says what is served. */
static void count_stream_end(struct conn *c)
{
    if (c->stream_ended)
        return;
    c->stream_ended = true;
    if (c->kind == CONN_WS)
        c->ctx->counters.ws_current--;
    else if (c->kind == CONN_SSE)
        c->ctx->counters.sse_current--;
}

/* The application on top learns once that c is going. */
static void tell_closing(struct conn *c)
{
    void (*on_close)(struct conn *, void *) = c->on_close;
    c->on_close = NULL;
    if (on_close)
        on_close(c, c->app);
}

void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    struct conn_registry *reg = c->ctx->conns;
    c->closing = true;
    tell_closing(c);
    hub_client_clear(c->ctx->hub, &c->pc.sub);
    count_stream_end(c);
    if (c->bev)
        bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    else
        event_del(c->ev);
    c->next_closing = reg->closing;
    reg->closing = c;
    conn_schedule_reap(reg);
}

void conn_close_after_flush(struct conn *c)
{
    c->close_after_flush = true;
    tell_closing(c);
    count_stream_end(c);
    if (c->bev) {
        struct timeval flush = strlist_timeval_ms(CONN_CLOSE_FLUSH_MS);
        bufferevent_set_timeouts(c->bev, NULL, &flush);
        bufferevent_disable(c->bev, EV_READ);
    } else {
        conn_io_flush_then(c, CONN_CLOSE_FLUSH_MS);
    }
    hub_client_clear(c->ctx->hub, &c->pc.sub);
    if (evbuffer_get_length(conn_output(c)) == 0)
        conn_close(c);
}

void conn_close_ws(struct conn *c, uint16_t code, const char *reason)
{
    if (c->close_after_flush || c->closing)
        return;
    connlog_ws_close(c->log, code, reason, strlen(reason), false);
    uint8_t frame[WS_HEADER_MAX + WS_CONTROL_MAX];
    size_t rlen = strnlen(reason, WS_CONTROL_MAX - 2);
    size_t h = ws_frame_header(frame, WS_OP_CLOSE, true, 2 + rlen);
    frame[h] = (uint8_t)(code >> 8);
    frame[h + 1] = (uint8_t)code;
    memcpy(frame + h + 2, reason, rlen);
    evbuffer_add(conn_output(c), frame, h + 2 + rlen);
    conn_close_after_flush(c);
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
             c->ctx->conf->max_output_bytes, c->ctx->conf->slow_client_timeout_ms);
    if (c->kind == CONN_WS)
        conn_close_ws(c, WS_CLOSE_POLICY, "too slow: output limit reached");
    else
        conn_close(c);
}

void conn_subscriber_init(struct conn *c, enum msg_transport transport)
{
    hub_client_init(&c->pc.sub, conn_output(c), transport, on_overflow, c);
    /* Ticks may go straight to a plain socket (one send(2) per client per
     * tick while it keeps up); over TLS they must pass through the TLS
     * bufferevent. */
    if (!c->bev || !bufferevent_openssl_get_ssl(c->bev))
        hub_client_set_socket(&c->pc.sub, conn_fd(c));
    /* A bare connection's output callback keeps the count (conn_io.c). */
    if (!c->bev)
        hub_client_count_queued(&c->pc.sub, evbuffer_get_length(c->out));
}

/* ---- HTTP responses ----------------------------------------------------- */

const char *conn_cors_headers(struct conn *c, char *buf, size_t len)
{
    const char *origin = c->req ? http_request_header(c->req, HTTP_H_ORIGIN) : NULL;
    if (!origin || !conf_origin_allowed(c->ctx->conf, origin))
        return "";
    if (c->ctx->conf->cors_origins[0] == '\0')
        return "Access-Control-Allow-Origin: *\r\n";
    snprintf(buf, len, "Access-Control-Allow-Origin: %.300s\r\nVary: Origin\r\n", origin);
    return buf;
}

/* The response's Upgrade and Connection lines.  A 426 must name the
 * protocol to upgrade to (RFC 9110 §15.5.22), and whoever sends Upgrade
 * lists "upgrade" in Connection (§7.8); the connection still closes.  An
 * HTTP/1.0 client that asked for keep-alive keeps the connection only when
 * the response says so (RFC 9112 §9.3; ab -k waits for the close otherwise). */
static const char *connection_lines(const struct conn *c, int status, bool keep)
{
    if (status == 426)
        return "Upgrade: websocket\r\nConnection: Upgrade, close\r\n";
    if (keep && c->req && http_request_minor(c->req) == 0)
        return "Connection: keep-alive\r\n";
    return keep ? "" : "Connection: close\r\n";
}

/* Queue the head of a response with a body of len bytes, Cache-Control
 * cache (its value) and the ETag etag (NULL: none); returns whether the
 * connection is kept alive after it.  A 304 has no body, so neither
 * Content-Type nor Content-Length (RFC 9110 §15.4.5). */
static bool respond_head(struct conn *c, int status, const char *type, size_t len,
                         const char *cache, const char *etag, const char *extra)
{
    bool keep = c->req && http_request_keep_alive(c->req) && status < 400;
    char cors[512], entity[128] = "";
    if (status != 304)
        snprintf(entity, sizeof entity, "Content-Type: %s\r\nContent-Length: %zu\r\n", type, len);
    evbuffer_add_printf(conn_output(c),
                        "HTTP/1.1 %d %s\r\n%sCache-Control: %s\r\n%s%s%sServer: cryptopulse/%s\r\n"
                        "%s%s%s\r\n",
                        status, http_status_text(status), entity, cache, etag ? "ETag: " : "",
                        etag ? etag : "", etag ? "\r\n" : "", PACKAGE_VERSION,
                        conn_cors_headers(c, cors, sizeof cors), extra ? extra : "",
                        connection_lines(c, status, keep));
    return keep;
}

static bool has_body(const struct conn *c)
{
    return !(c->req && http_request_is_head(c->req));
}

void conn_respond(struct conn *c, int status, const char *type, const char *body, size_t len,
                  const char *extra)
{
    conn_respond_cached(c, status, type, body, len, "no-store", NULL, extra);
}

void conn_respond_cached(struct conn *c, int status, const char *type, const char *body, size_t len,
                         const char *cache_control, const char *etag, const char *extra)
{
    bool keep = respond_head(c, status, type, len, cache_control, etag, extra);
    if (has_body(c) && status != 304)
        evbuffer_add(conn_output(c), body, len);
    if (!keep)
        conn_close_after_flush(c);
}

void conn_respond_buffer(struct conn *c, int status, const char *type, struct evbuffer *body,
                         size_t skip, const char *extra)
{
    evbuffer_drain(body, skip);
    bool keep = respond_head(c, status, type, evbuffer_get_length(body), "no-store", NULL, extra);
    if (has_body(c))
        evbuffer_add_buffer(conn_output(c), body);
    else
        evbuffer_drain(body, evbuffer_get_length(body));
    if (!keep)
        conn_close_after_flush(c);
}

void conn_respond_error(struct conn *c, int status, const char *code, const char *message,
                        const char *extra)
{
    json_t *j = json_pack("{s:s, s:o}", "error", code, "message", proto_error_text(message));
    char *body = json_dumps(j, JSON_COMPACT);
    conn_respond(c, status, "application/json", body, strlen(body), extra);
    free(body);
    json_decref(j);
}

void conn_respond_json(struct conn *c, int status, json_t *j)
{
    char *body = json_dumps(j, PRICE_JSON_FLAGS);
    conn_respond(c, status, "application/json", body, strlen(body), NULL);
    free(body);
    json_decref(j);
}

/* ---- WebSocket and per-client events ------------------------------------ */

void conn_ws_send(struct conn *c, const char *event, const char *data)
{
    msg_ws_append(conn_output(c), event, data);
}

void conn_ws_control(struct conn *c, enum ws_opcode opcode, const uint8_t *payload, size_t len)
{
    uint8_t h[WS_HEADER_MAX];
    size_t n = ws_frame_header(h, opcode, true, len);
    struct evbuffer *out = conn_output(c);
    evbuffer_add(out, h, n);
    evbuffer_add(out, payload, len);
}

void conn_emit_text(struct conn *c, const char *event, const char *text, const char *id)
{
    if (c->kind == CONN_WS) {
        conn_ws_send(c, event, text);
    } else {
        size_t len;
        char *ev = sse_event_new(id, event, text, strlen(text), &len);
        evbuffer_add(conn_output(c), ev, len);
        free(ev);
    }
}

void conn_emit(struct conn *c, const char *event, const json_t *data, const char *id)
{
    char *text = json_dumps(data, PRICE_JSON_FLAGS);
    conn_emit_text(c, event, text, id);
    free(text);
}

/* Events of one tick (or snapshot) for c, one per price of prices that c
 * subscribes to: only the last carries id, so that an SSE client's last
 * event id only ever names a tick whose events all arrived (docs/PROTOCOL.md §3). */
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
            conn_emit(c, "price-update", p, i == last ? id : NULL);
    }
}

void conn_emit_snapshot(struct conn *c, const char *event, bool lost)
{
    json_t *syms = hub_client_symbols(&c->pc.sub);
    json_t *snap = hub_snapshot(c->ctx->hub, syms);
    if (lost && json_array_size(json_object_get(snap, "prices")) > 0)
        json_object_set_new(snap, "snapshot", json_true());
    json_t *prices = json_object_get(snap, "prices");
    const char *id = json_string_value(json_object_get(snap, "id"));
    if (json_array_size(prices) == 0)
        ; /* no data yet: the first tick will bring it */
    else if (event || c->pc.sub.all)
        conn_emit(c, event ? event : "price-update-bulk", snap, id);
    else
        emit_prices(c, prices, id);
    json_decref(snap);
    json_decref(syms);
}

void conn_emit_tick(struct conn *c, json_t *tick, const char *id)
{
    if (c->pc.sub.all)
        conn_emit(c, "price-update-bulk", tick, id);
    else
        emit_prices(c, json_object_get(tick, "prices"), id);
}

/* ---- waiting on Redis --------------------------------------------------- */

void conn_await(struct conn *c)
{
    c->pending++;
    if (c->kind == CONN_HTTP) {
        c->awaiting = true; /* a bare connection's reading stops on it */
        if (c->bev)
            bufferevent_disable(c->bev, EV_READ);
    }
}

bool conn_answer_arrived(struct conn *c)
{
    c->pending--;
    if (c->closing) {
        conn_schedule_reap(c->ctx->conns);
        return false;
    }
    return true;
}

void conn_answered(struct conn *c)
{
    c->awaiting = false;
    if (c->close_after_flush || c->closing)
        return;
    conn_request_done(c);
    conn_resume_reading(c);
}

struct http_request *conn_request(struct conn *c)
{
    if (c->req)
        return c->req;
    const struct cp_conf *conf = c->ctx->conf;
    c->req = http_request_new((size_t)conf->max_head_bytes, (unsigned)conf->max_headers);
    /* Bodies: only Socket.IO's long-polling POSTs have one worth reading. */
    http_request_set_max_body(c->req, (size_t)conf->socketio_max_payload_bytes);
    /* A Socket.IO request may belong to another worker's session: keep its
     * bytes to pass them on with the connection (handoff.h). */
    http_request_keep_raw(c->req, c->ctx->handoff != NULL);
    return c->req;
}

void conn_request_done(struct conn *c)
{
    http_request_free(c->req);
    c->req = NULL;
}
