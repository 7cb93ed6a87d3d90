/* client: one load client's connection, handshake and messages; see
 * client.h. */
#define _GNU_SOURCE /* memmem */
#include "config.h"

#include "client.h"

#include "cp_error.h"
#include "deflate.h"
#include "scan.h"
#include "sioc.h"
#include "ssec.h"
#include "strlist.h"
#include "ticktab.h"
#include "xalloc.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

void client_ctx_init(struct client_ctx *cx, const struct load_opts *o, struct event_base *base,
                     int index)
{
    memset(cx, 0, sizeof *cx);
    cx->o = o;
    cx->base = base;
    cx->rng = ((uint64_t)o->seed << 32 | (uint64_t)(index + 1)) * 0x9E3779B97F4A7C15ULL | 1;
    lstats_hist_init(&cx->r.latency_us);
    lstats_hist_init(&cx->r.connect_us);
    lstats_hist_init(&cx->r.storm_back_ms);
    lstats_hist_init(&cx->r.storm_connect_us);
    if (o->ticks_file[0])
        cx->ticks = ticktab_new();
    /* Server messages are inflated with the server's window and no context
     * (the gateway always answers server_no_context_takeover). */
    struct deflate_params dp = {true, true, 15, 15};
    cx->inflater = deflate_inflater_new(&dp);
    cx->inflated_cap = 1 << 20;
    cx->inflated = xmalloc(cx->inflated_cap);
    cx->scratch = xmalloc(1 << 20);
}

void client_ctx_free(struct client_ctx *cx)
{
    deflate_inflater_free(cx->inflater);
    free(cx->inflated);
    free(cx->scratch);
    ticktab_free(cx->ticks);
}

static uint64_t rng_next(struct client_ctx *cx)
{
    /* xorshift64*: masks and nonces need no cryptographic strength here. */
    cx->rng ^= cx->rng >> 12;
    cx->rng ^= cx->rng << 25;
    cx->rng ^= cx->rng >> 27;
    return cx->rng * 2685821657736338717ULL;
}

static void tick_count(struct client_ctx *cx, struct tickid id)
{
    if (cx->ticks)
        ticktab_add(cx->ticks, id.ms, id.seq);
}

int64_t client_backoff_ms(unsigned attempt, uint64_t r)
{
    int64_t base = 500LL << (attempt < 10 ? attempt : 10);
    if (base > 10000)
        base = 10000;
    return base / 2 + (int64_t)(r % (uint64_t)(base / 2 + 1));
}

static bool storm_transport_cause(int cause)
{
    switch (cause) {
    case CAUSE_REFUSED:
    case CAUSE_CONNECT:
    case CAUSE_TIMEOUT:
    case CAUSE_STATUS:
    case CAUSE_EOF:
    case CAUSE_RESET:
    case CAUSE_CLOSE_FRAME: return true;
    default: return false;
    }
}

static void client_open(struct client_ctx *cx, struct client *c);

/* The reconnect timer: the plan may have closed the slot meanwhile. */
static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct client *c = arg;
    if (c->state != C_RETRY)
        return;
    c->cx->r.storm_attempts++;
    c->upgraded = c->sio_connect = c->deflate = false;
    c->resuming = true;
    client_open(c->cx, c);
}

/* A storm client lost its connection or failed to reconnect: count the
 * drop of a live one, then wait as the dashboard would. */
static void storm_schedule(struct client *c)
{
    struct client_ctx *cx = c->cx;
    if (c->ready && !c->down_ms) {
        c->down_ms = load_wall_us() / 1000;
        cx->r.storm_drops++;
        if (!cx->r.storm_first_drop_ms || c->down_ms < cx->r.storm_first_drop_ms)
            cx->r.storm_first_drop_ms = c->down_ms;
    }
    struct timeval tv = strlist_timeval_ms((int)client_backoff_ms(c->attempt, rng_next(cx)));
    if (c->attempt < 255)
        c->attempt++;
    c->state = C_RETRY;
    event_base_once(cx->base, -1, EV_TIMEOUT, on_retry, c, &tv);
}

/* The resume was acknowledged ("subscribed" on a reconnect), or with
 * --subscribe none the handshake done: live again. */
static void storm_back(struct client *c)
{
    struct client_ctx *cx = c->cx;
    if (!c->down_ms)
        return;
    /* From this worker's first drop: all workers see the same kill within
     * a few ms, and a small value keeps the histogram's buckets narrow. */
    int64_t t = load_wall_us() / 1000 - cx->r.storm_first_drop_ms;
    lstats_hist_add(&cx->r.storm_back_ms, t > 0 ? (uint64_t)t : 0);
    cx->r.storm_back++;
    c->down_ms = 0;
}

/* bufferevent_free() is safe inside the bufferevent's own callbacks: libevent
 * defers the release until the callback returns. */
void client_end(struct client *c, int cause)
{
    struct client_ctx *cx = c->cx;
    bool retry = cx->o->storm && cause >= 0 && cause != CAUSE_UNFINISHED && c->state != C_RETRY;
    if (retry && storm_transport_cause(cause)) {
        if (c->state != C_OPEN) /* a reconnect that failed, not the drop itself */
            cx->r.storm_failed++;
    } else if (cause >= 0)
        cx->r.cause[cause]++;
    if (c->state == C_OPEN)
        cx->open--;
    else if (c->state == C_CONNECTING || c->state == C_HANDSHAKE)
        cx->pending--;
    if (c->bev)
        bufferevent_free(c->bev);
    if (c->frag)
        evbuffer_free(c->frag);
    c->bev = NULL;
    c->frag = NULL;
    c->state = C_DONE;
    if (retry)
        storm_schedule(c);
}

static void send_frame(struct client *c, enum ws_opcode op, const void *data, size_t len)
{
    uint8_t buf[1024];
    uint64_t m = rng_next(c->cx);
    int n = wsc_frame_encode(buf, sizeof buf, op, data, len, (const uint8_t *)&m);
    if (n > 0)
        bufferevent_write(c->bev, buf, (size_t)n);
}

/* The client's symbols, comma-separated, each wrapped in quote (quote is ""
 * for an SSE query, "\"" for JSON): "*", the one symbol, or a random k of n
 * by a partial Fisher-Yates shuffle. */
static void pick_symbols(struct client *c, char *out, size_t cap, const char *quote)
{
    const struct load_opts *o = c->cx->o;
    size_t n = 0;
    out[0] = '\0';
    if (o->sub != LOAD_SUB_RANDOM) {
        snprintf(out, cap, "%s%s%s", quote, o->sub == LOAD_SUB_ALL ? "*" : o->symbol, quote);
        return;
    }
    int idx[LOAD_SYMBOLS_MAX];
    for (int i = 0; i < o->nsymbols; i++)
        idx[i] = i;
    for (int i = 0; i < o->k && n + PRICE_SYMBOL_MAX + 4 < cap; i++) {
        int j = i + (int)(rng_next(c->cx) % (uint64_t)(o->nsymbols - i));
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        n += (size_t)snprintf(out + n, cap - n, "%s%s%s%s", i ? "," : "", quote, o->symbols[idx[i]],
                              quote);
    }
}

/* The resume point as "<pre><tick id><post>" in out (cap bytes), or "" when
 * the client has none (docs/PROTOCOL.md §3: resume by tick id). */
static void format_since(const struct client *c, char *out, size_t cap, const char *pre,
                         const char *post)
{
    char id[48];
    out[0] = '\0';
    if (c->resuming && c->last.ms && tickid_format(c->last, id, sizeof id) > 0)
        snprintf(out, cap, "%s%s%s", pre, id, post);
}

static void send_subscribe(struct client *c)
{
    char syms[700], args[704], msg[800], since[64];
    pick_symbols(c, syms, sizeof syms, "\"");
    int n;
    format_since(c, since, sizeof since, ",\"since\":\"", "\"");
    if (c->cx->o->transport == LOAD_SIO) {
        snprintf(args, sizeof args, "[%s]", syms);
        n = sioc_event(msg, sizeof msg, "subscribe", args);
    } else {
        n = snprintf(msg, sizeof msg, "{\"event\":\"subscribe\",\"data\":{\"symbols\":[%s]%s}}",
                     syms, since);
    }
    if (n > 0 && n < (int)sizeof msg)
        send_frame(c, WS_OP_TEXT, msg, (size_t)n);
}

static void client_ready(struct client *c)
{
    c->ready = true;
    c->cx->r.ready++;
    c->cx->r.last_ready_ms = load_wall_us() / 1000;
}

/* "snapshot": true in a price-update-bulk (docs/PROTOCOL.md §3), with or
 * without blanks around the colon. */
static bool marked_snapshot(const char *msg, size_t len)
{
    const char *p = msg, *end = msg + len;
    while ((p = memmem(p, (size_t)(end - p), "\"snapshot\"", 10)) != NULL) {
        p += 10;
        while (p < end && (*p == ' ' || *p == ':'))
            p++;
        if (end - p >= 4 && memcmp(p, "true", 4) == 0)
            return true;
    }
    return false;
}

/* A price message: count the tick once per client, one latency sample per
 * price.  With a snapshot server the first id seen is the snapshot's. */
static void on_prices(struct client *c, const char *msg, size_t len, int64_t now_us)
{
    struct client_ctx *cx = c->cx;
    struct tickid id;
    int64_t ts[LOAD_SYMBOLS_MAX];
    int n = scan_prices(msg, len, &id, ts, LOAD_SYMBOLS_MAX);
    if (n < 0)
        return;
    if (c->resuming && marked_snapshot(msg, len)) {
        /* The server could not replay from our id: ticks were missed. */
        cx->r.storm_gaps++;
        if (tickid_after(id, c->last))
            c->last = id;
        return;
    }
    if (!c->ready) {
        client_ready(c);
        c->last = id;
        return;
    }
    if (tickid_after(id, c->last)) {
        c->last = id;
        c->live = true;
        c->ticks++;
        cx->r.ticks++;
        tick_count(cx, id);
    } else if (!c->live || id.ms != c->last.ms || id.seq != c->last.seq) {
        return; /* more of the snapshot, or an older tick */
    }
    for (int i = 0; i < n; i++) {
        int64_t lat = now_us - ts[i] * 1000;
        lstats_hist_add(&cx->r.latency_us, lat > 0 ? (uint64_t)lat : 0);
    }
    cx->r.prices += (uint64_t)n;
}

static void on_text(struct client *c, const char *msg, size_t len, int64_t now_us)
{
    char event[32];
    c->cx->r.messages++;
    int n = scan_event(msg, len, event, sizeof event);
    if (n == CP_ENOENT || strncmp(event, "price-update", 12) == 0)
        on_prices(c, msg, len, now_us);
    else if (strcmp(event, "error") == 0)
        c->cx->r.cause[CAUSE_ERROR_EVENT]++;
    else if (strcmp(event, "subscribed") == 0 && c->resuming)
        storm_back(c);
}

static void opened(struct client *c)
{
    struct client_ctx *cx = c->cx;
    c->state = C_OPEN;
    cx->pending--;
    cx->open++;
    int64_t t = load_wall_us() - c->started_us;
    c->attempt = 0; /* as the dashboard at its welcome */
    if (c->resuming) {
        lstats_hist_add(&cx->r.storm_connect_us, t > 0 ? (uint64_t)t : 0);
        /* A client that subscribes to nothing (a peer such as nchan or the
         * floor, whose subscription is its URL) has nothing to resume: it
         * is live again at its handshake. */
        if (cx->o->sub == LOAD_SUB_NONE)
            storm_back(c);
    } else {
        cx->r.connected++;
        lstats_hist_add(&cx->r.connect_us, t > 0 ? (uint64_t)t : 0);
    }
    bufferevent_set_timeouts(c->bev, NULL, NULL);
    if (!cx->o->snapshot && !c->ready) /* a storm's reconnect was ready before */
        client_ready(c);
}

/* Socket.IO: the server's connect ("40{sid}") makes the client open; it
 * starts on "*" without asking (no snapshot then), else it subscribes. */
static void sio_connected(struct client *c)
{
    const struct load_opts *o = c->cx->o;
    opened(c);
    if (o->sub == LOAD_SUB_ALL || o->sub == LOAD_SUB_NONE) {
        if (!c->ready)
            client_ready(c);
        return;
    }
    send_subscribe(c);
}

/* Socket.IO: one Engine.IO packet; returns a cause to end the client, or -1. */
static int on_sio(struct client *c, const char *msg, size_t len, int64_t now_us)
{
    struct sioc_packet p;
    if (sioc_parse(msg, len, &p) != CP_OK || p.nsp_len != 1)
        return CAUSE_PROTOCOL;
    bool open = c->state == C_OPEN;
    switch (p.kind) {
    case SIOC_OPEN:
        if (open || c->sio_connect)
            return CAUSE_PROTOCOL;
        c->sio_connect = true;
        send_frame(c, WS_OP_TEXT, "40", 2);
        return -1;
    case SIOC_PING: {
        char pong[128] = "3";
        if (p.data_len >= sizeof pong)
            return CAUSE_PROTOCOL;
        memcpy(pong + 1, p.data, p.data_len);
        send_frame(c, WS_OP_TEXT, pong, p.data_len + 1);
        return -1;
    }
    case SIOC_CONNECT:
        if (open || !c->sio_connect)
            return CAUSE_PROTOCOL;
        sio_connected(c);
        return -1;
    case SIOC_CONNECT_ERROR: return CAUSE_HANDSHAKE;
    case SIOC_CLOSE:
    case SIOC_DISCONNECT: return CAUSE_CLOSE_FRAME;
    case SIOC_EVENT:
        if (!open)
            return CAUSE_PROTOCOL;
        c->cx->r.messages++;
        if (p.event_len >= 12 && memcmp(p.event, "price-update", 12) == 0)
            on_prices(c, p.data, p.data_len, now_us);
        else if (p.event_len == 5 && memcmp(p.event, "error", 5) == 0)
            c->cx->r.cause[CAUSE_ERROR_EVENT]++;
        return -1;
    case SIOC_ACK: c->cx->r.messages++; return -1;
    default: return -1; /* pong, upgrade, noop */
    }
}

/* One complete data message; returns a cause to end the client, or -1. */
static int on_message(struct client *c, const uint8_t *data, size_t len, bool compressed,
                      int64_t now_us)
{
    struct client_ctx *cx = c->cx;
    if (compressed) {
        size_t out;
        if (!c->deflate ||
            deflate_inflate(cx->inflater, data, len, cx->inflated, cx->inflated_cap, &out) != CP_OK)
            return CAUSE_PROTOCOL;
        data = cx->inflated;
        len = out;
    }
    if (cx->o->transport == LOAD_SIO)
        return on_sio(c, (const char *)data, len, now_us);
    on_text(c, (const char *)data, len, now_us);
    return -1;
}

/* Handle one frame; returns a cause to end the client, or -1 to go on. */
static int on_frame(struct client *c, const struct wsc_frame *f, int64_t now_us)
{
    switch (f->opcode) {
    case WS_OP_PING: send_frame(c, WS_OP_PONG, f->payload, (size_t)f->len); return -1;
    case WS_OP_PONG: return -1;
    case WS_OP_CLOSE: {
        uint8_t code[2] = {0x03, 0xE8}; /* 1000 */
        send_frame(c, WS_OP_CLOSE, code, 2);
        return CAUSE_CLOSE_FRAME;
    }
    case WS_OP_BINARY:
        /* Socket.IO's binary attachments: not something a price server sends. */
        if (c->cx->o->transport == LOAD_SIO)
            return CAUSE_PROTOCOL;
        break;
    default: break;
    }
    if (f->fin && !c->frag && f->opcode != WS_OP_CONT)
        return on_message(c, f->payload, (size_t)f->len, f->rsv1, now_us);
    if ((f->opcode == WS_OP_CONT) != (c->frag != NULL))
        return CAUSE_PROTOCOL;
    if (!c->frag) {
        c->frag = evbuffer_new();
        c->frag_rsv1 = f->rsv1;
    }
    evbuffer_add(c->frag, f->payload, (size_t)f->len);
    if (!f->fin)
        return -1;
    size_t len = evbuffer_get_length(c->frag);
    int cause = on_message(c, evbuffer_pullup(c->frag, -1), len, c->frag_rsv1, now_us);
    evbuffer_free(c->frag);
    c->frag = NULL;
    return cause;
}

/* Parse what the input holds; returns a cause to end the client, or -1. */
static int read_ws(struct client *c, struct evbuffer *in, int64_t now_us)
{
    size_t len = evbuffer_get_length(in);
    const uint8_t *buf = evbuffer_pullup(in, -1);
    size_t used = 0;
    if (c->state == C_HANDSHAKE && !c->upgraded) {
        struct wsc_handshake hs;
        int rc = wsc_response((const char *)buf, len, c->key, &hs);
        if (rc == CP_EAGAIN)
            return -1;
        if (rc < 0)
            return hs.status && hs.status != 101 ? CAUSE_STATUS : CAUSE_HANDSHAKE;
        c->deflate = hs.deflate;
        c->upgraded = true;
        used = (size_t)rc;
        c->cx->r.bytes_in += used;
        /* Socket.IO is open at its own connect packet (on_sio). */
        if (c->cx->o->transport == LOAD_WS) {
            opened(c);
            if (c->cx->o->sub != LOAD_SUB_NONE && !c->cx->o->url_subscribe)
                send_subscribe(c);
        }
    }
    int cause = -1;
    while (cause < 0) {
        struct wsc_frame f;
        int rc = wsc_frame_parse(buf + used, len - used, &f);
        if (rc == CP_EAGAIN)
            break;
        if (rc < 0)
            return CAUSE_PROTOCOL;
        cause = on_frame(c, &f, now_us);
        used += (size_t)f.total;
        c->cx->r.bytes_in += f.total;
    }
    evbuffer_drain(in, used);
    return cause;
}

static int read_sse(struct client *c, struct evbuffer *in, int64_t now_us)
{
    size_t len = evbuffer_get_length(in);
    const char *buf = (const char *)evbuffer_pullup(in, -1);
    size_t used = 0;
    if (c->state == C_HANDSHAKE) {
        const char *end = memmem(buf, len, "\r\n\r\n", 4);
        if (!end)
            return -1;
        /* sscanf needs a string: the input buffer is not NUL-terminated. */
        char line[32];
        size_t n = (size_t)(end - buf) < sizeof line - 1 ? (size_t)(end - buf) : sizeof line - 1;
        memcpy(line, buf, n);
        line[n] = '\0';
        int status = 0;
        if (sscanf(line, "HTTP/1.%*1[01] %3d", &status) != 1)
            return CAUSE_HANDSHAKE;
        if (status != 200)
            return CAUSE_STATUS;
        used = (size_t)(end + 4 - buf);
        opened(c);
    }
    for (;;) {
        struct ssec_event ev;
        int rc = ssec_parse(buf + used, len - used, &ev, c->cx->scratch, 1 << 20);
        if (rc == CP_EAGAIN)
            break;
        if (rc < 0)
            return CAUSE_PROTOCOL;
        used += (size_t)rc;
        if (ev.data) {
            c->cx->r.messages++;
            if (ev.event && ev.event_len == 5 && memcmp(ev.event, "error", 5) == 0)
                c->cx->r.cause[CAUSE_ERROR_EVENT]++;
            else
                on_prices(c, ev.data, ev.data_len, now_us);
        }
    }
    c->cx->r.bytes_in += used;
    evbuffer_drain(in, used);
    return -1;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct client *c = arg;
    int64_t now_us = load_wall_us();
    struct evbuffer *in = bufferevent_get_input(bev);
    int cause = c->cx->o->transport == LOAD_SSE ? read_sse(c, in, now_us) : read_ws(c, in, now_us);
    if (cause >= 0)
        client_end(c, cause);
}

static void write_request(struct client *c)
{
    const struct load_opts *o = c->cx->o;
    char req[2048];
    int n;
    if (o->transport != LOAD_SSE) {
        char path[sizeof o->path + 800]; /* + ?symbols=&since= */
        uint64_t nonce[2] = {rng_next(c->cx), rng_next(c->cx)};
        wsc_key((const uint8_t *)nonce, c->key);
        if (o->transport == LOAD_SIO)
            sioc_path(path, sizeof path, o->path); /* fits: sized for it */
        else if (o->url_subscribe && o->sub != LOAD_SUB_NONE) {
            char syms[700], since[64];
            pick_symbols(c, syms, sizeof syms, "");
            format_since(c, since, sizeof since, "&since=", "");
            snprintf(path, sizeof path, "%s%csymbols=%s%s", o->path,
                     strchr(o->path, '?') ? '&' : '?', syms, since);
        } else
            snprintf(path, sizeof path, "%s", o->path);
        n = wsc_request(req, sizeof req, o->host, o->port, path, c->key, o->deflate);
    } else {
        char syms[700] = "";
        bool query = o->sub != LOAD_SUB_NONE && !strchr(o->path, '?');
        if (query)
            pick_symbols(c, syms, sizeof syms, "");
        n = snprintf(req, sizeof req,
                     "GET %s%s%s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
                     "Cache-Control: no-cache\r\n\r\n",
                     o->path, query ? "?symbols=" : "", syms, o->host, o->port);
    }
    if (n > 0 && n < (int)sizeof req)
        bufferevent_write(c->bev, req, (size_t)n);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct client *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        c->state = C_HANDSHAKE;
        write_request(c);
        return;
    }
    int err = EVUTIL_SOCKET_ERROR();
    int cause;
    if (what & BEV_EVENT_TIMEOUT)
        cause = CAUSE_TIMEOUT;
    else if (c->state == C_CONNECTING)
        cause = err == ECONNREFUSED    ? CAUSE_REFUSED
                : err == EADDRNOTAVAIL ? CAUSE_ADDR
                : err == ETIMEDOUT     ? CAUSE_TIMEOUT
                                       : CAUSE_CONNECT;
    else if (what & BEV_EVENT_EOF)
        cause = CAUSE_EOF;
    else
        cause = CAUSE_RESET;
    client_end(c, cause);
}

void client_start(struct client_ctx *cx, struct client *c)
{
    cx->r.attempted++;
    uint32_t global = c->global;
    memset(c, 0, sizeof *c); /* a slot may be reused after a cool-down or spike */
    c->global = global;
    c->cx = cx;
    client_open(cx, c);
}

/* Socket, source address, connect: a new client or a storm reconnect. */
static void client_open(struct client_ctx *cx, struct client *c)
{
    const struct load_opts *o = cx->o;
    c->started_us = load_wall_us();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        cx->r.cause[errno == EMFILE || errno == ENFILE ? CAUSE_FD : CAUSE_CONNECT]++;
        c->state = C_DONE;
        return;
    }
    if (o->source_base && o->per_source > 0) {
        /* Past ~28,000 connections one source address runs out of ports:
         * spread them over 127.0.0.x; the port is chosen at connect(). */
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(o->source_base + c->global / (uint32_t)o->per_source);
        int one = 1;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
            close(fd);
            cx->r.cause[CAUSE_ADDR]++;
            c->state = C_DONE;
            return;
        }
    }
    c->bev = bufferevent_socket_new(cx->base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_set_max_single_read(c->bev, 65536);
    struct timeval tv = strlist_timeval_ms(o->connect_timeout_ms);
    bufferevent_set_timeouts(c->bev, &tv, &tv);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->state = C_CONNECTING;
    cx->pending++;
    if (bufferevent_socket_connect(c->bev, (const struct sockaddr *)&o->dst, sizeof o->dst) != 0) {
        int err = EVUTIL_SOCKET_ERROR();
        client_end(c, err == EADDRNOTAVAIL ? CAUSE_ADDR : CAUSE_CONNECT);
    }
}

/* Cool-down, spike ends and the end of the run: close the newest clients
 * first, politely.  A client still connecting or shaking hands then has
 * neither connected nor failed by itself: it is an error of its own, else a
 * server that never answers would show no error at all. */
void client_close(struct client *c)
{
    if (c->state != C_OPEN) {
        client_end(c, CAUSE_UNFINISHED);
        return;
    }
    if (c->cx->o->transport == LOAD_SIO)
        send_frame(c, WS_OP_TEXT, "41", 2); /* as socket.disconnect() */
    if (c->cx->o->transport != LOAD_SSE) {
        uint8_t code[2] = {0x03, 0xE8};
        send_frame(c, WS_OP_CLOSE, code, 2);
    }
    c->cx->r.closed_by_us++;
    client_end(c, -1);
}
