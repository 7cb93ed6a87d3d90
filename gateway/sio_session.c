/* sio_session: see sio_session.h.  The Socket.IO packets a session
 * receives are handled in sio_events.c. */
#include "config.h"

#include "sio_session.h"

#include "eio.h"
#include "log.h"
#include "strlist.h"
#include "ws.h"
#include "xalloc.h"

#include <event2/bufferevent_ssl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sio_table {
    struct ctx *ctx;
    struct sio_session **buckets;
    size_t n_buckets, count;
    struct peers *peers;
    /* Closed sessions, freed on the next loop turn (never inside the hub's
     * fan-out that closed them) once no Redis answer is to come. */
    struct sio_session *closed;
    struct event *reaper;
    /* Sessions whose waiting poll is answered on the next loop turn (one
     * event for all: a tick queues to every polling session at once). */
    struct sio_session *to_flush;
    struct event *flusher;
};

static void on_flush(evutil_socket_t fd, short what, void *arg);

static void free_session(struct sio_session *s)
{
    event_free(s->heartbeat);
    if (s->queue)
        evbuffer_free(s->queue);
    free(s->ack_error);
    free(s);
}

static void reap(struct sio_table *t)
{
    struct sio_session *waiting = NULL;
    while (t->closed) {
        struct sio_session *s = t->closed;
        t->closed = s->next;
        if (s->pending || s->flush_scheduled) {
            s->next = waiting;
            waiting = s;
        } else {
            free_session(s);
        }
    }
    t->closed = waiting;
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
    reap(arg);
}

/* ---- the table ---------------------------------------------------------- */

static size_t bucket_of(const struct sio_table *t, const char *sid)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *p = sid; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    return (size_t)(h & (t->n_buckets - 1));
}

static void grow(struct sio_table *t)
{
    size_t old_n = t->n_buckets;
    struct sio_session **old = t->buckets;
    t->n_buckets = old_n * 2;
    t->buckets = xcalloc(t->n_buckets, sizeof *t->buckets);
    for (size_t i = 0; i < old_n; i++) {
        for (struct sio_session *s = old[i], *next; s; s = next) {
            next = s->next;
            size_t b = bucket_of(t, s->sid);
            s->next = t->buckets[b];
            t->buckets[b] = s;
        }
    }
    free(old);
}

struct sio_table *sio_table_new(struct ctx *ctx)
{
    struct sio_table *t = xcalloc(1, sizeof *t);
    t->ctx = ctx;
    t->n_buckets = 64;
    t->buckets = xcalloc(t->n_buckets, sizeof *t->buckets);
    t->peers = peers_new();
    t->reaper = event_new(ctx->base, -1, 0, on_reap, t);
    t->flusher = event_new(ctx->base, -1, 0, on_flush, t);
    return t;
}

void sio_table_free(struct sio_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_buckets; i++)
        while (t->buckets[i])
            sio_session_close(t->buckets[i], WS_CLOSE_GOING_AWAY, "server shutting down");
    for (struct sio_session *s = t->closed; s; s = s->next)
        s->pending = 0, s->flush_scheduled = false; /* the loop is over */
    reap(t);
    event_free(t->reaper);
    event_free(t->flusher);
    free(t->buckets);
    peers_free(t->peers);
    free(t);
}

size_t sio_table_count(const struct sio_table *t)
{
    return t->count;
}

struct sio_session *sio_session_find(struct sio_table *t, const char *sid)
{
    for (struct sio_session *s = t->buckets[bucket_of(t, sid)]; s; s = s->next)
        if (strcmp(s->sid, sid) == 0)
            return s;
    return NULL;
}

static void unlink_session(struct sio_session *s)
{
    struct sio_table *t = s->table;
    for (struct sio_session **p = &t->buckets[bucket_of(t, s->sid)]; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    t->count--;
    peers_remove(t->peers, &s->peer);
}

/* ---- sending ------------------------------------------------------------ */

static void ws_text_frame(struct conn *c, const char *text, size_t len)
{
    uint8_t h[WS_HEADER_MAX];
    size_t n = ws_frame_header(h, WS_OP_TEXT, true, len);
    struct evbuffer *out = conn_output(c);
    evbuffer_add(out, h, n);
    evbuffer_add(out, text, len);
}

void sio_session_send(struct sio_session *s, const char *text, size_t len)
{
    if (s->ws) {
        ws_text_frame(s->ws, text, len);
        return;
    }
    if (!s->queue)
        return; /* its WebSocket is gone: it is closing */
    char sep = EIO_SEPARATOR;
    evbuffer_add(s->queue, &sep, 1);
    evbuffer_add(s->queue, text, len);
}

/* The waiting poll is to be answered: stop watching it.  Returns it, or
 * NULL when there is none or its client went away. */
static struct conn *take_poll(struct sio_session *s)
{
    struct conn *c = s->poll;
    if (!c)
        return NULL;
    s->poll = NULL;
    c->on_close = NULL;
    c->app = NULL;
    if (!conn_answer_arrived(c))
        return NULL;
    bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
    conn_set_read_timeout(c, s->ctx->conf->handshake_timeout_ms);
    return c;
}

/* The waiting poll gets everything queued, as one payload. */
static void answer_poll(struct sio_session *s)
{
    if (!s->poll || evbuffer_get_length(s->queue) == 0)
        return;
    struct conn *c = take_poll(s);
    if (!c)
        return;
    conn_respond_buffer(c, 200, "text/plain; charset=UTF-8", s->queue, 1, NULL);
    conn_answered(c);
    /* Emptied: a conflating client catches up now (hub.h). */
    if (s->pc.sub.conflating)
        hub_client_catch_up(s->ctx->hub, &s->pc.sub);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    struct sio_table *t = arg;
    while (t->to_flush) {
        struct sio_session *s = t->to_flush;
        t->to_flush = s->flush_next;
        s->flush_scheduled = false;
        if (s->closed)
            event_active(t->reaper, EV_TIMEOUT, 0); /* it waited for this */
        else
            answer_poll(s);
    }
}

static void schedule_flush(struct sio_session *s)
{
    if (s->flush_scheduled)
        return;
    s->flush_scheduled = true;
    s->flush_next = s->table->to_flush;
    s->table->to_flush = s;
    event_active(s->table->flusher, EV_TIMEOUT, 0);
}

/* Bytes were queued (by the fan-out or sio_session_send): answer the
 * waiting poll on the next loop turn, so a whole tick goes in one answer. */
static void on_queued(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct sio_session *s = arg;
    if (info->n_added > 0 && s->poll)
        schedule_flush(s);
}

/* The client closed its waiting poll: engine.io closes the session ("poll
 * connection closed prematurely"), whose packets would be lost otherwise. */
static void on_poll_close(struct conn *c, void *arg)
{
    struct sio_session *s = arg;
    if (s->poll != c)
        return;
    s->poll = NULL;
    conn_answer_arrived(c); /* closing: false, and the registry frees it */
    sio_session_close(s, WS_CLOSE_NORMAL, "poll connection closed prematurely");
}

void sio_session_hold_poll(struct sio_session *s, struct conn *c)
{
    s->poll = c;
    conn_await(c);
    /* Keep reading while it waits, to see the client close it: no timeout
     * (the heartbeat answers it within pingInterval), at most a head's
     * worth of bytes meanwhile. */
    c->app = s;
    c->on_close = on_poll_close;
    bufferevent_set_timeouts(c->bev, NULL, NULL);
    bufferevent_setwatermark(c->bev, EV_READ, 0, (size_t)s->ctx->conf->max_head_bytes);
    bufferevent_enable(c->bev, EV_READ);
    /* During an upgrade the client must not wait: its polls are answered
     * with a noop at once (as engine.io does) until "5" moves it. */
    if (s->probe)
        sio_session_send_poll_noop(s);
    else if (evbuffer_get_length(s->queue) > 0)
        schedule_flush(s);
}

/* ---- heartbeat (Engine.IO v4: the server pings, the client pongs) ------- */

static void arm(struct sio_session *s, int ms)
{
    struct timeval tv = strlist_timeval_ms(ms);
    evtimer_add(s->heartbeat, &tv);
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    struct sio_session *s = arg;
    const struct cp_conf *conf = s->ctx->conf;
    if (s->ping_outstanding) {
        sio_session_close(s, WS_CLOSE_GOING_AWAY, "ping timeout");
        return;
    }
    s->ping_outstanding = true;
    sio_session_send(s, "2", 1);
    arm(s, conf->socketio_ping_timeout_ms);
}

/* ---- opening and closing ------------------------------------------------ */

/* Two hex digits naming the worker (sio_sid_worker), 18 characters of
 * base64url of random bytes, and ".route" for a balancer. */
static void new_sid(char sid[SIO_SID_MAX + 1], const struct cp_conf *conf, int worker)
{
    unsigned char raw[15];
    unsigned char text[21];
    if (RAND_bytes(raw, sizeof raw) != 1)
        for (size_t i = 0; i < sizeof raw; i++)
            raw[i] = (unsigned char)random();
    EVP_EncodeBlock(text, raw, sizeof raw);
    snprintf(sid, 3, "%02x", (unsigned)worker & 0xff);
    for (int i = 2; i < SIO_SID_LEN; i++)
        sid[i] = text[i] == '+' ? '-' : text[i] == '/' ? '_' : (char)text[i];
    if (conf->socketio_route[0])
        snprintf(sid + SIO_SID_LEN, SIO_SID_MAX + 1 - SIO_SID_LEN, ".%.32s", conf->socketio_route);
    else
        snprintf(sid + SIO_SID_LEN, SIO_SID_MAX + 1 - SIO_SID_LEN, ".%d", conf->port);
}

int sio_sid_worker(const char *sid)
{
    unsigned w;
    char hex[3] = {sid[0], sid[0] ? sid[1] : 0, 0};
    if (strlen(sid) < SIO_SID_LEN || !isxdigit((unsigned char)hex[0]) ||
        !isxdigit((unsigned char)hex[1]) || sscanf(hex, "%2x", &w) != 1)
        return -1;
    return (int)w;
}

/* The hub's limits reached for s: it cannot keep up. */
static void on_overflow(struct hub_client *client, void *arg)
{
    struct sio_session *s = arg;
    log_info("dropping a stuck Socket.IO client: output past %d bytes, or conflating for %d ms",
             s->ctx->conf->max_output_bytes, s->ctx->conf->slow_client_timeout_ms);
    sio_session_close(s, WS_CLOSE_POLICY, "too slow: output limit reached");
}

struct sio_session *sio_session_open(struct sio_table *t, const struct peers_key *peer,
                                     struct conn *ws)
{
    const struct cp_conf *conf = t->ctx->conf;
    unsigned per_ip =
        conf->max_connections_per_ip ? (unsigned)conf->max_connections_per_ip : UINT_MAX;
    if (t->count >= (size_t)conf->max_connections || !peers_add(t->peers, peer, per_ip))
        return NULL;
    struct sio_session *s = xcalloc(1, sizeof *s);
    s->table = t;
    s->ctx = t->ctx;
    s->peer = *peer;
    s->ack_id = s->history_ack = -1;
    do
        new_sid(s->sid, t->ctx->conf, t->ctx->worker);
    while (sio_session_find(t, s->sid));
    if (!ws) { /* a WebSocket from the start never polls */
        s->queue = evbuffer_new();
        evbuffer_add_cb(s->queue, on_queued, s);
    }
    s->heartbeat = evtimer_new(t->ctx->base, on_heartbeat, s);
    hub_client_init(&s->pc.sub, s->queue, MSG_SIO_POLL, on_overflow, s);
    if (t->count + 1 > t->n_buckets)
        grow(t);
    size_t b = bucket_of(t, s->sid);
    s->next = t->buckets[b];
    t->buckets[b] = s;
    t->count++;
    struct ctx_counters *k = &t->ctx->counters;
    k->sio_total++;
    if (++k->sio_current > k->sio_peak)
        k->sio_peak = k->sio_current;
    if (ws)
        sio_session_use_ws(s, ws);
    arm(s, conf->socketio_ping_interval_ms);
    return s;
}

char *sio_session_open_packet(const struct sio_session *s)
{
    const struct cp_conf *conf = s->ctx->conf;
    json_t *j =
        json_pack("{s:s, s:[], s:i, s:i, s:i}", "sid", s->sid, "upgrades", "pingInterval",
                  conf->socketio_ping_interval_ms, "pingTimeout", conf->socketio_ping_timeout_ms,
                  "maxPayload", conf->socketio_max_payload_bytes);
    if (!s->ws)
        json_array_append_new(json_object_get(j, "upgrades"), json_string("websocket"));
    char *body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    size_t n = strlen(body);
    char *pkt = xmalloc(n + 2);
    pkt[0] = '0';
    memcpy(pkt + 1, body, n + 1);
    free(body);
    return pkt;
}

/* A WebSocket of s closes: the transport, or a probe. */
static void on_ws_close(struct conn *c, void *arg)
{
    struct sio_session *s = arg;
    c->sub = &c->pc.sub;
    if (c == s->probe) {
        s->probe = NULL;
        return;
    }
    s->ws = NULL;
    hub_client_clear(s->ctx->hub, &s->pc.sub);
    sio_session_close(s, WS_CLOSE_NORMAL, "transport close");
}

/* Take c as a WebSocket of s (the transport or a probe). */
static void adopt_ws(struct sio_session *s, struct conn *c)
{
    c->app = s;
    c->on_close = on_ws_close;
    c->stream_ended = true; /* counted as a Socket.IO session, not a /ws client */
}

void sio_session_probe(struct sio_session *s, struct conn *c)
{
    if (s->probe)
        conn_close_ws(s->probe, WS_CLOSE_POLICY, "another probe came");
    s->probe = c;
    adopt_ws(s, c);
}

void sio_session_use_ws(struct sio_session *s, struct conn *ws)
{
    if (s->probe == ws)
        s->probe = NULL;
    adopt_ws(s, ws);
    s->ws = ws;
    ws->sub = &s->pc.sub;
    /* What polling had queued goes first, a frame per packet. */
    size_t len = s->queue ? evbuffer_get_length(s->queue) : 0, pos = 0, n;
    const char *payload = len ? (const char *)evbuffer_pullup(s->queue, -1) : "", *pkt;
    if (len > 0 && payload[0] == EIO_SEPARATOR)
        pos = 1;
    while (len > 0 && eio_payload_next(payload, len, &pos, &pkt, &n))
        ws_text_frame(ws, pkt, n);
    if (len)
        evbuffer_drain(s->queue, len);
    s->pc.sub.out = conn_output(ws);
    s->pc.sub.transport = MSG_SIO_WS;
    if (!bufferevent_openssl_get_ssl(ws->bev))
        hub_client_set_socket(&s->pc.sub, conn_fd(ws));
    sio_session_send_poll_noop(s); /* the client has paused polling: let its GET go */
    s->ctx->counters.sio_websocket++;
}

void sio_session_send_poll_noop(struct sio_session *s)
{
    struct conn *c = take_poll(s);
    if (c) {
        conn_respond(c, 200, "text/plain; charset=UTF-8", "6", 1, NULL);
        conn_answered(c);
    }
}

void sio_session_close(struct sio_session *s, uint16_t code, const char *reason)
{
    if (s->closed)
        return;
    log_debug("Socket.IO session %s closed: %s", s->sid, reason);
    s->closed = true;
    struct ctx *ctx = s->ctx;
    hub_client_clear(ctx->hub, &s->pc.sub);
    evtimer_del(s->heartbeat);
    if (s->poll) { /* what was queued, then the close packet */
        struct conn *c = take_poll(s);
        if (c) {
            evbuffer_add(s->queue,
                         "\x1e"
                         "1",
                         2);
            conn_respond_buffer(c, 200, "text/plain; charset=UTF-8", s->queue, 1, NULL);
            conn_answered(c);
        }
    }
    struct conn *ws[2] = {s->ws, s->probe};
    s->ws = s->probe = NULL;
    for (int i = 0; i < 2; i++) {
        if (!ws[i])
            continue;
        ws[i]->on_close = NULL;
        ws[i]->sub = &ws[i]->pc.sub;
        conn_close_ws(ws[i], code, reason);
    }
    if (ctx->counters.sio_current)
        ctx->counters.sio_current--;
    unlink_session(s);
    s->next = s->table->closed;
    s->table->closed = s;
    event_active(s->table->reaper, EV_TIMEOUT, 0);
}

bool sio_session_answer_arrived(struct sio_session *s)
{
    s->pending--;
    if (s->closed && s->pending == 0)
        event_active(s->table->reaper, EV_TIMEOUT, 0);
    return !s->closed;
}

void sio_session_pong(struct sio_session *s)
{
    if (s->ping_outstanding) {
        s->ping_outstanding = false;
        arm(s, s->ctx->conf->socketio_ping_interval_ms);
    }
}
