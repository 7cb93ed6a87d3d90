/* worker: one load-tool process and its clients.  Each client is a
 * bufferevent on the worker's own event loop; the worker follows the phase
 * plan, opening and closing clients, and sends a report to the parent every
 * half second and at the end. */
#define _GNU_SOURCE /* memmem */
#include "config.h"

#include "load.h"

#include "cp_error.h"
#include "deflate.h"
#include "scan.h"
#include "ssec.h"
#include "ticktab.h"
#include "tickid.h"
#include "wsc.h"
#include "xalloc.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

const char *const load_cause_names[CAUSE_MAX] = {
    "refused", "no_address", "no_fd",       "connect",  "timeout",     "http_status", "handshake",
    "eof",     "reset",      "close_frame", "protocol", "error_event", "unfinished",
};

enum client_state { C_IDLE, C_CONNECTING, C_HANDSHAKE, C_OPEN, C_DONE };

struct worker;

struct client {
    struct worker *w;
    struct bufferevent *bev;
    uint32_t global; /* index over all workers: picks the source address */
    uint8_t state;
    bool ready, live, deflate;
    char key[WSC_KEY_LEN + 1];
    int64_t started_us;
    struct tickid last;    /* newest tick seen */
    uint32_t ticks;        /* live ticks received */
    struct evbuffer *frag; /* a fragmented message being reassembled */
    bool frag_rsv1;
};

struct worker {
    const struct load_opts *o;
    int index, fd;
    struct event_base *base;
    struct event *timer;
    struct client *clients;
    int64_t nclients;      /* slots: the most this worker ever opens */
    int64_t next;          /* next slot to open */
    int64_t open, pending; /* open: handshake done; pending: in progress */
    int64_t start_mono;
    int64_t last_report;
    double rate_credit;
    int64_t last_timer;
    int sustain_state; /* 0 before, 1 in, 2 after */
    uint64_t rng;
    struct deflate_inflater *inflater;
    uint8_t *inflated;
    size_t inflated_cap;
    char *scratch;
    struct load_report r;
    struct ticktab *ticks; /* --ticks-file: clients per tick */
};

int64_t load_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t load_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t rng_next(struct worker *w)
{
    /* xorshift64*: masks and nonces need no cryptographic strength here. */
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return w->rng * 2685821657736338717ULL;
}

/* ---- ticks seen, for the every-client-got-every-tick check ------------- */

static void tick_count(struct worker *w, struct tickid id)
{
    if (w->ticks)
        ticktab_add(w->ticks, id.ms, id.seq);
}

/* ---- reports to the parent ---------------------------------------------- */

static void send_msg(struct worker *w, uint32_t type, const void *data, size_t len)
{
    uint32_t head[2] = {type, (uint32_t)len};
    struct iovec_like {
        const void *p;
        size_t n;
    } parts[2] = {{head, sizeof head}, {data, len}};
    for (int i = 0; i < 2; i++) {
        const char *p = parts[i].p;
        size_t n = parts[i].n;
        while (n) {
            ssize_t k = write(w->fd, p, n);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return; /* the parent is gone: nothing left to tell */
            p += k;
            n -= (size_t)k;
        }
    }
}

static void send_report(struct worker *w, bool final)
{
    w->r.magic = LOAD_REPORT_MAGIC;
    w->r.final = final;
    w->r.open = (uint64_t)w->open;
    send_msg(w, LOAD_MSG_REPORT, &w->r, sizeof w->r);
}

static void send_ticks(struct worker *w)
{
    if (!w->ticks)
        return;
    size_t n;
    const struct load_tick *t = ticktab_pack(w->ticks, &n);
    send_msg(w, LOAD_MSG_TICKS, t, n * sizeof *t);
}

/* ---- client lifecycle ---------------------------------------------------- */

/* bufferevent_free() is safe inside the bufferevent's own callbacks: libevent
 * defers the release until the callback returns. */
static void client_end(struct client *c, int cause)
{
    struct worker *w = c->w;
    if (cause >= 0)
        w->r.cause[cause]++;
    if (c->state == C_OPEN)
        w->open--;
    else if (c->state == C_CONNECTING || c->state == C_HANDSHAKE)
        w->pending--;
    if (c->bev)
        bufferevent_free(c->bev);
    if (c->frag)
        evbuffer_free(c->frag);
    c->bev = NULL;
    c->frag = NULL;
    c->state = C_DONE;
}

static void send_frame(struct client *c, enum ws_opcode op, const void *data, size_t len)
{
    uint8_t buf[1024];
    uint64_t m = rng_next(c->w);
    int n = wsc_frame_encode(buf, sizeof buf, op, data, len, (const uint8_t *)&m);
    if (n > 0)
        bufferevent_write(c->bev, buf, (size_t)n);
}

/* The client's symbols, comma-separated, each wrapped in quote (quote is ""
 * for an SSE query, "\"" for JSON): "*", the one symbol, or a random k of n
 * by a partial Fisher-Yates shuffle. */
static void pick_symbols(struct client *c, char *out, size_t cap, const char *quote)
{
    const struct load_opts *o = c->w->o;
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
        int j = i + (int)(rng_next(c->w) % (uint64_t)(o->nsymbols - i));
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        n += (size_t)snprintf(out + n, cap - n, "%s%s%s%s", i ? "," : "", quote, o->symbols[idx[i]],
                              quote);
    }
}

static void send_subscribe(struct client *c)
{
    char syms[700], msg[800];
    pick_symbols(c, syms, sizeof syms, "\"");
    int n =
        snprintf(msg, sizeof msg, "{\"event\":\"subscribe\",\"data\":{\"symbols\":[%s]}}", syms);
    send_frame(c, WS_OP_TEXT, msg, (size_t)n);
}

static void client_ready(struct client *c)
{
    c->ready = true;
    c->w->r.ready++;
    c->w->r.last_ready_ms = load_wall_us() / 1000;
}

/* A price message: count the tick once per client, one latency sample per
 * price.  With a snapshot server the first id seen is the snapshot's. */
static void on_prices(struct client *c, const char *msg, size_t len, int64_t now_us)
{
    struct worker *w = c->w;
    struct tickid id;
    int64_t ts[LOAD_SYMBOLS_MAX];
    int n = scan_prices(msg, len, &id, ts, LOAD_SYMBOLS_MAX);
    if (n < 0)
        return;
    if (!c->ready) {
        client_ready(c);
        c->last = id;
        return;
    }
    if (tickid_after(id, c->last)) {
        c->last = id;
        c->live = true;
        c->ticks++;
        w->r.ticks++;
        tick_count(w, id);
    } else if (!c->live || id.ms != c->last.ms || id.seq != c->last.seq) {
        return; /* more of the snapshot, or an older tick */
    }
    for (int i = 0; i < n; i++) {
        int64_t lat = now_us - ts[i] * 1000;
        lstats_hist_add(&w->r.latency_us, lat > 0 ? (uint64_t)lat : 0);
    }
    w->r.prices += (uint64_t)n;
}

static void on_text(struct client *c, const char *msg, size_t len, int64_t now_us)
{
    char event[32];
    c->w->r.messages++;
    int n = scan_event(msg, len, event, sizeof event);
    if (n == CP_ENOENT || strncmp(event, "price-update", 12) == 0)
        on_prices(c, msg, len, now_us);
    else if (strcmp(event, "error") == 0)
        c->w->r.cause[CAUSE_ERROR_EVENT]++;
}

/* One complete data message; false when the connection must end. */
static bool on_message(struct client *c, const uint8_t *data, size_t len, bool compressed,
                       int64_t now_us)
{
    struct worker *w = c->w;
    if (compressed) {
        size_t out;
        if (!c->deflate ||
            deflate_inflate(w->inflater, data, len, w->inflated, w->inflated_cap, &out) != CP_OK)
            return false;
        data = w->inflated;
        len = out;
    }
    on_text(c, (const char *)data, len, now_us);
    return true;
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
    default: break;
    }
    if (f->fin && !c->frag && f->opcode != WS_OP_CONT)
        return on_message(c, f->payload, (size_t)f->len, f->rsv1, now_us) ? -1 : CAUSE_PROTOCOL;
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
    bool ok = on_message(c, evbuffer_pullup(c->frag, -1), len, c->frag_rsv1, now_us);
    evbuffer_free(c->frag);
    c->frag = NULL;
    return ok ? -1 : CAUSE_PROTOCOL;
}

static void opened(struct client *c)
{
    struct worker *w = c->w;
    c->state = C_OPEN;
    w->pending--;
    w->open++;
    w->r.connected++;
    int64_t t = load_wall_us() - c->started_us;
    lstats_hist_add(&w->r.connect_us, t > 0 ? (uint64_t)t : 0);
    bufferevent_set_timeouts(c->bev, NULL, NULL);
    if (!w->o->snapshot)
        client_ready(c);
}

/* Parse what the input holds; returns a cause to end the client, or -1. */
static int read_ws(struct client *c, struct evbuffer *in, int64_t now_us)
{
    size_t len = evbuffer_get_length(in);
    const uint8_t *buf = evbuffer_pullup(in, -1);
    size_t used = 0;
    if (c->state == C_HANDSHAKE) {
        struct wsc_handshake hs;
        int rc = wsc_response((const char *)buf, len, c->key, &hs);
        if (rc == CP_EAGAIN)
            return -1;
        if (rc < 0)
            return hs.status && hs.status != 101 ? CAUSE_STATUS : CAUSE_HANDSHAKE;
        c->deflate = hs.deflate;
        used = (size_t)rc;
        c->w->r.bytes_in += used;
        opened(c);
        if (c->w->o->sub != LOAD_SUB_NONE)
            send_subscribe(c);
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
        c->w->r.bytes_in += f.total;
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
        int status = 0;
        if (sscanf(buf, "HTTP/1.%*1[01] %3d", &status) != 1)
            return CAUSE_HANDSHAKE;
        if (status != 200)
            return CAUSE_STATUS;
        used = (size_t)(end + 4 - buf);
        opened(c);
    }
    for (;;) {
        struct ssec_event ev;
        int rc = ssec_parse(buf + used, len - used, &ev, c->w->scratch, 1 << 20);
        if (rc == CP_EAGAIN)
            break;
        if (rc < 0)
            return CAUSE_PROTOCOL;
        used += (size_t)rc;
        if (ev.data) {
            c->w->r.messages++;
            if (ev.event && ev.event_len == 5 && memcmp(ev.event, "error", 5) == 0)
                c->w->r.cause[CAUSE_ERROR_EVENT]++;
            else
                on_prices(c, ev.data, ev.data_len, now_us);
        }
    }
    c->w->r.bytes_in += used;
    evbuffer_drain(in, used);
    return -1;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct client *c = arg;
    int64_t now_us = load_wall_us();
    struct evbuffer *in = bufferevent_get_input(bev);
    int cause = c->w->o->transport == LOAD_WS ? read_ws(c, in, now_us) : read_sse(c, in, now_us);
    if (cause >= 0)
        client_end(c, cause);
}

static void write_request(struct client *c)
{
    const struct load_opts *o = c->w->o;
    char req[2048];
    int n;
    if (o->transport == LOAD_WS) {
        uint64_t nonce[2] = {rng_next(c->w), rng_next(c->w)};
        wsc_key((const uint8_t *)nonce, c->key);
        n = wsc_request(req, sizeof req, o->host, o->port, o->path, c->key, o->deflate);
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

static void client_start(struct worker *w, struct client *c)
{
    const struct load_opts *o = w->o;
    w->r.attempted++;
    uint32_t global = c->global;
    memset(c, 0, sizeof *c); /* a slot may be reused after a cool-down or spike */
    c->global = global;
    c->w = w;
    c->started_us = load_wall_us();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        w->r.cause[errno == EMFILE || errno == ENFILE ? CAUSE_FD : CAUSE_CONNECT]++;
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
            w->r.cause[CAUSE_ADDR]++;
            c->state = C_DONE;
            return;
        }
    }
    c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_set_max_single_read(c->bev, 65536);
    struct timeval tv = {o->connect_timeout_ms / 1000, (o->connect_timeout_ms % 1000) * 1000};
    bufferevent_set_timeouts(c->bev, &tv, &tv);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->state = C_CONNECTING;
    w->pending++;
    if (bufferevent_socket_connect(c->bev, (const struct sockaddr *)&o->dst, sizeof o->dst) != 0) {
        int err = EVUTIL_SOCKET_ERROR();
        client_end(c, err == EADDRNOTAVAIL ? CAUSE_ADDR : CAUSE_CONNECT);
    }
}

/* Cool-down, spike ends and the end of the run: close the newest clients
 * first, politely.  A client still connecting or shaking hands then has
 * neither connected nor failed by itself: it is an error of its own, else a
 * server that never answers would show no error at all. */
static void client_close(struct client *c)
{
    if (c->state != C_OPEN) {
        client_end(c, CAUSE_UNFINISHED);
        return;
    }
    if (c->w->o->transport == LOAD_WS) {
        uint8_t code[2] = {0x03, 0xE8};
        send_frame(c, WS_OP_CLOSE, code, 2);
    }
    c->w->r.closed_by_us++;
    client_end(c, -1);
}

/* ---- the schedule --------------------------------------------------------- */

/* This worker's share of a global target: the clients whose global index
 * (slot * workers + index) is below it. */
static int64_t share(const struct worker *w, int64_t target)
{
    int64_t n = (target - w->index + w->o->workers - 1) / w->o->workers;
    return n < 0 ? 0 : n > w->nclients ? w->nclients : n;
}

static void mark_sustain(struct worker *w, int phase, int sustain)
{
    if (w->sustain_state == 0 && phase >= sustain) {
        w->sustain_state = 1;
        w->r.sustain_messages = w->r.messages;
        w->r.sustain_bytes = w->r.bytes_in;
        w->r.sustain_prices = w->r.prices;
    }
    if (w->sustain_state == 1 && phase > sustain) {
        w->sustain_state = 2;
        w->r.sustain_messages = w->r.messages - w->r.sustain_messages;
        w->r.sustain_bytes = w->r.bytes_in - w->r.sustain_bytes;
        w->r.sustain_prices = w->r.prices - w->r.sustain_prices;
        uint64_t lo = UINT64_MAX, hi = 0, n = 0;
        for (int64_t i = 0; i < w->next; i++) {
            struct client *c = &w->clients[i];
            if (c->state != C_OPEN || !c->ready)
                continue;
            n++;
            lo = c->ticks < lo ? c->ticks : lo;
            hi = c->ticks > hi ? c->ticks : hi;
        }
        w->r.clients_at_end = n;
        w->r.min_ticks = n ? lo : 0;
        w->r.max_ticks = hi;
    }
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    const struct load_opts *o = w->o;
    int64_t now = load_mono_ms();
    int phase;
    int64_t want = share(w, phase_target(&o->plan, now - w->start_mono, &phase));
    int sustain = phase_find(&o->plan, "sustain");
    mark_sustain(w, phase, sustain < 0 ? o->plan.n - 1 : sustain);
    if (o->rate > 0) {
        w->rate_credit += (double)(now - w->last_timer) * o->rate / 1000.0 / o->workers;
        if (w->rate_credit > o->rate)
            w->rate_credit = o->rate;
    }
    w->last_timer = now;
    /* Open: every slot below want that is idle; closed ones stay closed. */
    int64_t live = w->open + w->pending;
    while (w->next < want && w->pending < o->max_pending && (o->rate <= 0 || w->rate_credit >= 1)) {
        client_start(w, &w->clients[w->next++]);
        w->rate_credit -= 1;
    }
    /* Close: newest first, down to want. */
    for (int64_t i = w->next - 1; live > want && i >= 0; i--) {
        struct client *c = &w->clients[i];
        if (c->state == C_OPEN || c->state == C_HANDSHAKE || c->state == C_CONNECTING) {
            client_close(c);
            live--;
        }
        if (i == w->next - 1 && c->state == C_DONE && i >= want)
            w->next = i; /* may be reopened by a later phase */
    }
    if (phase >= o->plan.n) {
        send_report(w, true);
        send_ticks(w);
        event_base_loopbreak(w->base);
        return;
    }
    if (now - w->last_report >= 500) {
        w->last_report = now;
        send_report(w, false);
    }
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int load_worker_run(const struct load_opts *o, int index, int fd, int64_t start_mono_ms)
{
    raise_nofile();
    struct worker w = {.o = o, .index = index, .fd = fd, .start_mono = start_mono_ms};
    w.rng = ((uint64_t)o->seed << 32 | (uint64_t)(index + 1)) * 0x9E3779B97F4A7C15ULL | 1;
    w.nclients = (o->plan.peak + o->workers - 1) / o->workers;
    w.clients = xcalloc((size_t)w.nclients + 1, sizeof *w.clients);
    for (int64_t i = 0; i < w.nclients; i++)
        w.clients[i].global = (uint32_t)(i * o->workers + index);
    lstats_hist_init(&w.r.latency_us);
    lstats_hist_init(&w.r.connect_us);
    if (o->ticks_file[0])
        w.ticks = ticktab_new();
    /* Server messages are inflated with the server's window and no context
     * (the gateway always answers server_no_context_takeover). */
    struct deflate_params dp = {true, true, 15, 15};
    w.inflater = deflate_inflater_new(&dp);
    w.inflated_cap = 1 << 20;
    w.inflated = xmalloc(w.inflated_cap);
    w.scratch = xmalloc(1 << 20);
    w.base = event_base_new();
    w.timer = event_new(w.base, -1, EV_PERSIST, on_timer, &w);
    struct timeval tv = {0, 5000};
    int64_t wait = start_mono_ms - load_mono_ms();
    if (wait > 0)
        usleep((useconds_t)wait * 1000);
    w.last_timer = w.last_report = load_mono_ms();
    event_add(w.timer, &tv);
    event_base_dispatch(w.base);
    for (int64_t i = 0; i < w.nclients; i++)
        if (w.clients[i].state != C_DONE && w.clients[i].state != C_IDLE)
            client_end(&w.clients[i], -1);
    event_free(w.timer);
    event_base_free(w.base);
    deflate_inflater_free(w.inflater);
    free(w.inflated);
    free(w.scratch);
    ticktab_free(w.ticks);
    free(w.clients);
    return 0;
}
