/* tiny_server: a scripted WebSocket / SSE server on 127.0.0.1 (a free port)
 * for the load tool's tests (check_client, check_worker), on the test's own
 * libevent loop.  It answers each request as its mode says, records what
 * clients sent, and sends price messages to every connection on demand.
 * Test code only: one loop, aborts the test on failure.  Include after
 * config.h (memmem needs its _GNU_SOURCE). */
#ifndef CP_TESTS_TINY_SERVER_H
#define CP_TESTS_TINY_SERVER_H

#include <arpa/inet.h>
#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws.h"

enum ts_mode {
    TS_WS,       /* 101 with the right accept key */
    TS_SSE,      /* 200 text/event-stream */
    TS_STATUS,   /* 403 */
    TS_SILENT,   /* accepts, never answers */
    TS_WS_CLOSE, /* 101, then a close frame */
};

#define TS_CONNS 256
#define TS_UNUSED __attribute__((unused))

struct tiny_server {
    struct event_base *base;
    int fd, port;
    struct event *accept_ev;
    enum ts_mode mode;
    struct bufferevent *conn[TS_CONNS];
    bool open[TS_CONNS]; /* answered: receives prices */
    int nconn;
    char request[1024]; /* the last request head */
    char peer[INET_ADDRSTRLEN];
    char text[256]; /* the last client text frame, unmasked */
    int closes;     /* client close frames */
};

/* Unmask the client frames in in; keep the last text one, count closes. */
static void ts_client_frames(struct tiny_server *s, struct evbuffer *in)
{
    for (;;) {
        size_t len = evbuffer_get_length(in);
        unsigned char *b = evbuffer_pullup(in, -1);
        if (len < 6 || (b[1] & 0x7f) > 125 || len < 6 + (size_t)(b[1] & 0x7f))
            return;
        size_t n = b[1] & 0x7f;
        if ((b[0] & 0x0f) == 1 && n < sizeof s->text) {
            for (size_t i = 0; i < n; i++)
                s->text[i] = (char)(b[6 + i] ^ b[2 + i % 4]);
            s->text[n] = '\0';
        } else if ((b[0] & 0x0f) == 8) {
            s->closes++;
        }
        evbuffer_drain(in, 6 + n);
    }
}

static void ts_read(struct bufferevent *bev, void *arg)
{
    struct tiny_server *s = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    int i = 0;
    while (i < s->nconn && s->conn[i] != bev)
        i++;
    if (s->open[i]) {
        ts_client_frames(s, in);
        return;
    }
    size_t len = evbuffer_get_length(in);
    const char *b = (const char *)evbuffer_pullup(in, -1);
    const char *end = memmem(b, len, "\r\n\r\n", 4);
    if (!end || s->mode == TS_SILENT)
        return;
    size_t hl = (size_t)(end + 4 - b);
    snprintf(s->request, sizeof s->request, "%.*s", (int)hl, b);
    evbuffer_drain(in, hl);
    char reply[512];
    if (s->mode == TS_STATUS) {
        snprintf(reply, sizeof reply, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    } else if (s->mode == TS_SSE) {
        snprintf(reply, sizeof reply,
                 "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: hello\n\n");
    } else {
        const char *k = strstr(s->request, "Sec-WebSocket-Key: ");
        ck_assert_ptr_nonnull(k);
        char key[64], accept[WS_ACCEPT_LEN + 1];
        ck_assert_int_eq(sscanf(k + 19, "%63[^\r]", key), 1);
        ws_accept_key(key, accept);
        snprintf(reply, sizeof reply,
                 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                 accept);
    }
    bufferevent_write(bev, reply, strlen(reply));
    s->open[i] = s->mode == TS_WS || s->mode == TS_SSE || s->mode == TS_WS_CLOSE;
    if (s->mode == TS_WS_CLOSE)
        bufferevent_write(bev, "\x88\x02\x03\xe8", 4);
}

static void ts_event(struct bufferevent *bev, short what, void *arg)
{
    struct tiny_server *s = arg;
    for (int i = 0; i < s->nconn; i++)
        if (s->conn[i] == bev) {
            s->open[i] = false;
            s->conn[i] = NULL;
        }
    bufferevent_free(bev);
}

static void ts_accept(evutil_socket_t fd, short what, void *arg)
{
    struct tiny_server *s = arg;
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int c = accept(fd, (struct sockaddr *)&a, &alen);
    if (c < 0 || s->nconn == TS_CONNS) {
        if (c >= 0)
            close(c);
        return;
    }
    inet_ntop(AF_INET, &a.sin_addr, s->peer, sizeof s->peer);
    evutil_make_socket_nonblocking(c);
    struct bufferevent *bev = bufferevent_socket_new(s->base, c, BEV_OPT_CLOSE_ON_FREE);
    s->conn[s->nconn++] = bev;
    bufferevent_setcb(bev, ts_read, NULL, ts_event, s);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static TS_UNUSED void ts_start(struct tiny_server *s, struct event_base *base, enum ts_mode mode)
{
    memset(s, 0, sizeof *s);
    s->base = base;
    s->mode = mode;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(s->fd, 512), 0);
    ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    evutil_make_socket_nonblocking(s->fd);
    s->accept_ev = event_new(base, s->fd, EV_READ | EV_PERSIST, ts_accept, s);
    event_add(s->accept_ev, NULL);
}

/* Send every answered connection one price message of tick ms-seq with
 * two prices stamped ts_ms: a WebSocket text frame, or an SSE event. */
static TS_UNUSED void ts_send_price(struct tiny_server *s, long long ms, int seq, long long ts_ms)
{
    char m[300], frame[320];
    int n = snprintf(m, sizeof m,
                     "{\"event\":\"price-update-bulk\",\"data\":{\"id\":\"%lld-%d\",\"prices\":["
                     "{\"symbol\":\"BTC\",\"price\":1.5,\"ts\":%lld},"
                     "{\"symbol\":\"ETH\",\"price\":2.5,\"ts\":%lld}]}}",
                     ms, seq, ts_ms, ts_ms);
    ck_assert_int_gt(n, 125); /* the 16-bit length below is the shortest form */
    size_t flen;
    if (s->mode == TS_SSE) {
        flen = (size_t)snprintf(frame, sizeof frame, "id: %lld-%d\ndata: %s\n\n", ms, seq, m);
    } else {
        frame[0] = (char)0x81;
        frame[1] = 126;
        frame[2] = (char)(n >> 8);
        frame[3] = (char)(n & 0xff);
        memcpy(frame + 4, m, (size_t)n);
        flen = (size_t)n + 4;
    }
    for (int i = 0; i < s->nconn; i++)
        if (s->open[i] && s->conn[i])
            bufferevent_write(s->conn[i], frame, flen);
}

/* Send every answered connection one text frame holding text (under 64 KiB):
 * the Socket.IO tests' server packets. */
static TS_UNUSED void ts_send_text(struct tiny_server *s, const char *text)
{
    size_t n = strlen(text), h = n < 126 ? 2 : 4;
    unsigned char head[4] = {0x81, (unsigned char)(n < 126 ? n : 126), (unsigned char)(n >> 8),
                             (unsigned char)(n & 0xff)};
    ck_assert_uint_lt(n, 65536);
    for (int i = 0; i < s->nconn; i++)
        if (s->open[i] && s->conn[i]) {
            bufferevent_write(s->conn[i], head, h);
            bufferevent_write(s->conn[i], text, n);
        }
}

static TS_UNUSED void ts_stop(struct tiny_server *s)
{
    for (int i = 0; i < s->nconn; i++)
        if (s->conn[i])
            bufferevent_free(s->conn[i]);
    event_free(s->accept_ev);
    close(s->fd);
}

#endif
