/* Unit tests of gateway/conn_io.c: a connection on plain TCP is a bare
 * edge-triggered event from its accept; a Socket.IO request moves it onto a
 * bufferevent, and a native stream after that on the same connection goes
 * bare again; bytes that came with the head are still read, a message longer than one
 * read arrives whole, output the socket cannot take waits and then goes out
 * whole and in order, and a client that never reads is dropped once its
 * close cannot be written; what a read leaves unparsed outlives the shared
 * read buffer.  On real loopback sockets (gw_fixture). */
#include "config.h"

#include "check_main.h"
#include "gw_fixture.h"
#include "conn_private.h"
#include "gw_wire.h"
#include "price.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define UPGRADE                                                                                    \
    "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"                 \
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
#define SUBSCRIBE_ALL "{\"event\":\"subscribe\",\"data\":{\"symbols\":[\"*\"]}}"

static struct gw_fixture fx;

static void setup(void)
{
    gw_fixture_init(&fx);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
}

/* A masked client text frame of payload (len < 65536) into out; returns its
 * length. */
static size_t text_frame(uint8_t *out, const char *payload, size_t len)
{
    static const uint8_t key[4] = {0x11, 0x22, 0x33, 0x44};
    size_t h = 0;
    out[h++] = 0x81;
    if (len < 126) {
        out[h++] = (uint8_t)(0x80 | len);
    } else {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(len >> 8);
        out[h++] = (uint8_t)len;
    }
    memcpy(out + h, key, 4);
    h += 4;
    for (size_t i = 0; i < len; i++)
        out[h + i] = (uint8_t)payload[i] ^ key[i % 4];
    return h + len;
}

static void send_text(int fd, const char *payload)
{
    size_t len = strlen(payload);
    uint8_t *f = malloc(len + 8);
    size_t n = text_frame(f, payload, len);
    ck_assert_int_eq(send(fd, f, n, MSG_NOSIGNAL), (ssize_t)n);
    free(f);
}

/* The server's frames after the 101's head in got (n bytes). */
static json_t *messages_after_head(const char *got, size_t n)
{
    const char *end = strstr(got, "\r\n\r\n");
    ck_assert_msg(end && strncmp(got, "HTTP/1.1 101 ", 13) == 0, "%s", got);
    return gw_wire_ws_messages(end + 4, n - (size_t)(end + 4 - got));
}

static const char *event_of(const json_t *messages, size_t i)
{
    return json_string_value(json_object_get(json_array_get(messages, i), "event"));
}

/* A WebSocket client after its handshake; the 101 and the welcome read. */
static int ws_client(struct conn **server)
{
    int fd = gw_fixture_client(&fx, server);
    size_t n;
    char *got = gw_fixture_ask(&fx, fd, UPGRADE, 2000, &n);
    json_t *m = messages_after_head(got, n);
    ck_assert_str_eq(event_of(m, 0), "welcome");
    json_decref(m);
    free(got);
    return fd;
}

START_TEST(a_websocket_on_plain_tcp_is_bare_from_its_accept)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    ck_assert_ptr_null(c->bev); /* the head too is read bare */
    ck_assert_ptr_nonnull(c->ev);
    free(gw_fixture_ask(&fx, fd, UPGRADE, 2000, NULL));
    ck_assert_ptr_null(c->bev);
    ck_assert_ptr_nonnull(c->ev);
    ck_assert_ptr_null(c->in); /* nothing waits to be parsed: no input buffer */
    ck_assert_ptr_eq(c->pc.sub.out, c->out);
    /* It still talks: a subscribe is answered, a tick fanned out reaches it. */
    send_text(fd, SUBSCRIBE_ALL);
    char *got = gw_wire_read_until(&fx, fd, "\"subscribed\"", 2000, NULL);
    ck_assert_ptr_nonnull(strstr(got, "\"subscribed\""));
    free(got);
    char tick[1024];
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, (long)price_now_ms()));
    got = gw_wire_read_until(&fx, fd, "price-update-bulk", 2000, NULL);
    ck_assert_ptr_nonnull(strstr(got, "price-update-bulk"));
    free(got);
    ck_assert_ptr_null(c->in);
    close(fd);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0); /* EOF seen, freed */
}
END_TEST

/* A plain HTTP request on a bare connection: answered, kept alive, and a
 * WebSocket upgrade after it on the same connection. */
START_TEST(keep_alive_requests_are_answered_bare)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    gw_fixture_run(&fx, 20);
    ck_assert_ptr_null(c->req); /* no request state before the first byte... */
    char *got = gw_fixture_ask(&fx, fd, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n", 2000, NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 ", 13) == 0, "%s", got);
    free(got);
    ck_assert_ptr_null(c->req); /* ...nor between requests kept alive */
    ck_assert_ptr_null(c->bev);
    /* Only its first read ran at the heads' priority: a request kept alive
     * after it waits behind new clients (conn.h). */
    ck_assert_int_eq(event_get_priority(c->ev), CONN_PRIORITY_STREAM);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 1);
    size_t n;
    got = gw_fixture_ask(&fx, fd, UPGRADE, 2000, &n);
    json_decref(messages_after_head(got, n));
    free(got);
    ck_assert_int_eq(c->kind, CONN_WS);
    ck_assert_ptr_null(c->bev);
    close(fd);
}
END_TEST

/* Socket.IO's polls use a bufferevent's watermarks and timeouts: its
 * request moves the connection onto one, what was read with it included;
 * a native WebSocket later on the same connection goes bare again. */
START_TEST(a_socketio_request_moves_onto_a_bufferevent_and_a_stream_after_it_goes_bare)
{
    fx.conf.socketio_enabled = true;
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    ck_assert_ptr_null(c->bev);
    /* The handshake and a pipelined request behind it, in one send. */
    char *got = gw_fixture_ask(&fx, fd,
                               "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n",
                               2000, NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 ", 13) == 0, "%s", got);
    ck_assert_msg(strstr(got, "0{\"sid\":\"") != NULL, "%s", got);
    const char *second = strstr(got + 13, "HTTP/1.1 200 ");
    ck_assert_msg(second && strstr(second, "\"live\"") != NULL, "%s", got);
    free(got);
    ck_assert_ptr_nonnull(c->bev);
    ck_assert_ptr_null(c->ev);
    size_t n;
    got = gw_fixture_ask(&fx, fd, UPGRADE, 2000, &n);
    json_t *m = messages_after_head(got, n);
    ck_assert_str_eq(event_of(m, 0), "welcome");
    json_decref(m);
    free(got);
    ck_assert_ptr_null(c->bev); /* bare again */
    send_text(fd, SUBSCRIBE_ALL);
    got = gw_wire_read_until(&fx, fd, "\"subscribed\"", 2000, NULL);
    ck_assert_ptr_nonnull(strstr(got, "\"subscribed\""));
    free(got);
    close(fd);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
}
END_TEST

START_TEST(an_sse_stream_goes_bare_too)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    char *got =
        gw_fixture_ask(&fx, fd, "GET /events?symbols=BTC HTTP/1.1\r\nHost: x\r\n\r\n", 2000, NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 ", 13) == 0, "%s", got);
    free(got);
    ck_assert_ptr_null(c->bev);
    char tick[1024];
    gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, (long)price_now_ms()));
    got = gw_wire_read_until(&fx, fd, "\"BTC\"", 2000, NULL);
    ck_assert_ptr_nonnull(strstr(got, "event: price-update\n"));
    free(got);
    close(fd);
}
END_TEST

START_TEST(a_frame_sent_with_the_handshake_is_read_once_bare)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    /* The head and the first frame in one segment: the bufferevent has read
     * both, and the frame must move with the connection. */
    char buf[512];
    size_t h = strlen(UPGRADE);
    memcpy(buf, UPGRADE, h);
    h += text_frame((uint8_t *)buf + h, SUBSCRIBE_ALL, strlen(SUBSCRIBE_ALL));
    ck_assert_int_eq(send(fd, buf, h, MSG_NOSIGNAL), (ssize_t)h);
    size_t n;
    char *got = gw_wire_read_until(&fx, fd, "\"subscribed\"", 2000, &n);
    json_t *m = messages_after_head(got, n);
    ck_assert_uint_eq(json_array_size(m), 2);
    ck_assert_str_eq(event_of(m, 0), "welcome");
    ck_assert_str_eq(event_of(m, 1), "subscribed");
    json_decref(m);
    free(got);
    ck_assert_ptr_null(c->bev);
    close(fd);
}
END_TEST

START_TEST(a_message_longer_than_one_read_arrives_whole)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = ws_client(&c);
    /* 60,000 bytes: four reads of CONN_READ_BYTES, and more than the 4096
     * evbuffer_read() takes at once. */
    size_t len = 60000;
    char *msg = malloc(len + 1);
    int head = snprintf(msg, len + 1, "{\"event\":\"ping\",\"data\":{\"id\":7,\"ts\":1,\"pad\":\"");
    memset(msg + head, 'x', len - (size_t)head - 3);
    memcpy(msg + len - 3, "\"}}", 4);
    send_text(fd, msg);
    free(msg);
    char *got = gw_wire_read_until(&fx, fd, "\"pong\"", 3000, NULL);
    ck_assert_msg(strstr(got, "\"event\":\"pong\"") != NULL, "no pong for the long message");
    free(got);
    ck_assert_ptr_null(c->in); /* parsed whole: the input buffer is gone */
    ck_assert_ptr_null(c->ws); /* and so is the frame parser */
    close(fd);
}
END_TEST

/* A read with nothing waiting is parsed from the registry's one read
 * buffer; what the reader leaves there (here a request pipelined behind one
 * that waits for Redis) is copied out before the next connection's read
 * fills that buffer with its own head. */
START_TEST(bytes_a_read_leaves_survive_another_clients_read)
{
    fx.conf.redis_timeout_ms = 300;
    gw_fixture_start(&fx, NULL);
    struct redis_server silent = {0};
    int lfd = redis_server_silent(16, &silent.port); /* accepts, never answers */
    ck_assert_int_ge(lfd, 0);
    gw_fixture_redis_connecting(&fx, &silent);
    struct conn *a, *b;
    int fa = gw_fixture_client(&fx, &a);
    const char *two = "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /no-such-page HTTP/1.1\r\nHost: x\r\n\r\n";
    ck_assert_int_eq(send(fa, two, strlen(two), MSG_NOSIGNAL), (ssize_t)strlen(two));
    gw_fixture_run(&fx, 50);
    ck_assert_msg(a->awaiting, "%s",
                  gw_fixture_read(&fx, fa, 10, NULL)); /* /stats waits for Redis... */
    ck_assert_ptr_nonnull(a->in); /* ...and the second request in a's own buffer */
    ck_assert_ptr_ne(a->in, fx.ctx.conns->shared_in);
    int fb = ws_client(&b); /* b's head is read into the shared buffer */
    ck_assert_ptr_null(b->in);
    size_t n;
    char *got = gw_wire_read_until(&fx, fa, "HTTP/1.1 404", 3000, &n);
    const char *second = strstr(got, "HTTP/1.1 404");
    ck_assert_msg(second && strncmp(got, "HTTP/1.1 200", 12) == 0, "%s", got);
    ck_assert_msg(!strstr(got, "HTTP/1.1 101"), "a answered with b's head: %s", got);
    free(got);
    close(fa);
    close(fb);
    close(lfd);
}
END_TEST

/* Requests waiting in the input (read behind one that waited for Redis)
 * are parsed and answered even when the idle timeout is due in the loop
 * turn that reads them (the callback gets EV_READ | EV_TIMEOUT). */
START_TEST(a_timeout_due_with_waiting_requests_does_not_drop_them)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    gw_fixture_run(&fx, 20);
    const char *req = "GET /no-such-page HTTP/1.1\r\nHost: x\r\n\r\n";
    conn_push_input(c, req, strlen(req)); /* in c's input, its read made active */
    event_active(c->ev, EV_TIMEOUT, 0);   /* and the timeout in the same turn */
    char *got = gw_fixture_read(&fx, fd, 500, NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 404 ", 13) == 0, "closed unanswered: \"%s\"", got);
    free(got);
    close(fd);
}
END_TEST

/* Fill c's socket: publish ticks (ids from first_ms up) until the loop can
 * no longer write them all, so output stays queued.  Returns how many. */
static int fill(struct conn *c, long first_ms)
{
    int ticks = 0;
    char tick[1024];
    while (ticks < 50000) {
        for (int i = 0; i < 100; i++, ticks++)
            gw_fixture_tick(&fx, gw_wire_tick(tick, sizeof tick, first_ms + ticks));
        gw_fixture_run(&fx, 5);
        if (evbuffer_get_length(c->out) > 0)
            break;
    }
    ck_assert_msg(evbuffer_get_length(c->out) > 0, "the socket took %d ticks", ticks);
    /* The hub reads the count the output's callback keeps, not the buffer. */
    ck_assert(c->pc.sub.queued_counted);
    ck_assert_uint_eq(c->pc.sub.queued, evbuffer_get_length(c->out));
    return ticks;
}

START_TEST(output_the_socket_cannot_take_goes_out_whole_and_in_order)
{
    fx.conf.output_high_water_bytes = 64 << 20; /* no conflation: every tick */
    fx.conf.max_output_bytes = 128 << 20;
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = ws_client(&c);
    int small = 8192;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    setsockopt(conn_fd(c), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    send_text(fd, SUBSCRIBE_ALL);
    free(gw_wire_read_until(&fx, fd, "\"subscribed\"", 2000, NULL));
    long first = (long)price_now_ms() - 30000;
    int ticks = fill(c, first);
    /* The client reads at last: only the socket's EPOLLOUT edges move the
     * rest (the connection is on no flush list now). */
    ck_assert(!c->flush_queued);
    char last[64];
    snprintf(last, sizeof last, "\"id\":\"%ld-0\",\"ts\"", first + ticks - 1);
    size_t n;
    char *got = gw_wire_read_until(&fx, fd, last, 20000, &n);
    json_t *m = gw_wire_ws_messages(got, n);
    ck_assert_uint_eq(json_array_size(m), (size_t)ticks);
    for (int i = 0; i < ticks; i++) {
        json_t *data = json_object_get(json_array_get(m, (size_t)i), "data");
        char want[32];
        snprintf(want, sizeof want, "%ld-0", first + i);
        ck_assert_str_eq(json_string_value(json_object_get(data, "id")), want);
    }
    json_decref(m);
    free(got);
    ck_assert_uint_eq(evbuffer_get_length(c->out), 0);
    ck_assert_uint_eq(c->pc.sub.queued, 0);
    ck_assert(!c->closing);
    close(fd);
}
END_TEST

START_TEST(a_client_that_never_reads_is_dropped_once_its_close_cannot_be_written)
{
    fx.conf.output_high_water_bytes = 64 << 20;
    fx.conf.max_output_bytes = 128 << 20;
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = ws_client(&c);
    send_text(fd, SUBSCRIBE_ALL);
    free(gw_wire_read_until(&fx, fd, "\"subscribed\"", 2000, NULL));
    fill(c, (long)price_now_ms() - 30000);
    conn_close_ws(c, 1001, "going away");
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 1); /* flushing, within 2 s */
    gw_fixture_run(&fx, 1500);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 1);
    gw_fixture_run(&fx, 1500); /* CONN_CLOSE_FLUSH_MS is 2000 */
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
    close(fd);
}
END_TEST

/* Bytes and the client's FIN that arrive together bring one edge: the
 * short read must not stop before the EOF, or the connection would wait
 * for its idle timeout (a lingering close for its 2 s). */
START_TEST(a_fin_that_comes_with_the_last_bytes_is_seen)
{
    gw_fixture_start(&fx, NULL);
    struct conn *c;
    int fd = ws_client(&c);
    /* A binary message: the server closes with 1003 and reads to EOF. */
    static const uint8_t binary[] = {0x82, 0x81, 1, 2, 3, 4, 'x' ^ 1};
    ck_assert_int_eq(send(fd, binary, sizeof binary, MSG_NOSIGNAL), (ssize_t)sizeof binary);
    size_t n;
    char *got = gw_fixture_read(&fx, fd, 200, &n);
    ck_assert_uint_ge(n, 4);
    ck_assert_uint_eq((uint8_t)got[0], 0x88);
    ck_assert_uint_eq(((uint8_t)got[2] << 8) | (uint8_t)got[3], 1003);
    free(got);
    ck_assert(c->lingering);
    /* The client's Close and its FIN, as python3-websockets sends them. */
    static const uint8_t close_reply[] = {0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xeb ^ 2};
    ck_assert_int_eq(send(fd, close_reply, sizeof close_reply, MSG_NOSIGNAL),
                     (ssize_t)sizeof close_reply);
    ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0); /* not after SERVE_LINGER_MS */
    close(fd);

    /* An HTTP request then the FIN: answered, then closed. */
    fd = gw_fixture_client(&fx, &c);
    static const char req[] = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
    ck_assert_int_eq(send(fd, req, sizeof req - 1, MSG_NOSIGNAL), (ssize_t)(sizeof req - 1));
    ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
    got = gw_fixture_read(&fx, fd, 200, NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 ", 13) == 0, "%s", got);
    free(got);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
    close(fd);
}
END_TEST

/* Part of a head, or of a frame, then an RST that arrives with it: the
 * connection is closed at once, not after its head or ping timeout. */
START_TEST(an_rst_that_comes_with_part_of_a_message_is_seen)
{
    gw_fixture_start(&fx, NULL);
    static const struct linger rst = {1, 0};
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    static const char part[] = "GET /health/live HTTP/1.1\r\nHost: x\r\n";
    ck_assert_int_eq(send(fd, part, sizeof part - 1, MSG_NOSIGNAL), (ssize_t)(sizeof part - 1));
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof rst), 0);
    close(fd);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);

    fd = ws_client(&c);
    uint8_t frame[64];
    size_t n = text_frame(frame, SUBSCRIBE_ALL, strlen(SUBSCRIBE_ALL));
    ck_assert_int_eq(send(fd, frame, n / 2, MSG_NOSIGNAL), (ssize_t)(n / 2));
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof rst), 0);
    close(fd);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
}
END_TEST

/* A whole Socket.IO request, then an RST at once: the connection moves
 * onto a bufferevent for it, whose answer fails to be written and whose
 * read then finds the end, both reported in one deferred call.  It is
 * closed, not left waiting to flush what cannot be written. */
START_TEST(a_socketio_request_then_an_rst_is_closed)
{
    fx.conf.socketio_enabled = true;
    gw_fixture_start(&fx, NULL);
    static const struct linger rst = {1, 0};
    static const char req[] = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < 3; i++) {
        struct conn *c;
        int fd = gw_fixture_client(&fx, &c);
        ck_assert_int_eq(send(fd, req, sizeof req - 1, MSG_NOSIGNAL), (ssize_t)(sizeof req - 1));
        ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof rst), 0);
        close(fd);
    }
    gw_fixture_run(&fx, 100);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
}
END_TEST

/* What the probe saw of the client's socket, in the loop turn that read
 * the handshake, before the end-of-turn flush list ran. */
struct probe {
    int fd;
    struct conn *c;
    bool upgraded; /* the server had parsed the head when the probe ran */
    char seen[32];
};

static void probe_socket(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    p->upgraded = p->c->kind == CONN_WS;
    ssize_t n = recv(p->fd, p->seen, sizeof p->seen - 1, MSG_PEEK | MSG_DONTWAIT);
    p->seen[n > 0 ? n : 0] = '\0';
}

/* The 101 leaves in the same callback that read the head, not at the end
 * of the loop turn, so that a storm's handshakes wait for no other
 * connection's work.  libevent runs a turn's events in the order they
 * became active: the socket's (from epoll_wait), then the expired timers,
 * then what those callbacks activated, the flush list among them; so a
 * timer due now runs between the read and the flush list. */
START_TEST(a_handshake_is_answered_in_the_event_that_read_it)
{
    gw_fixture_start(&fx, NULL);
    struct probe p = {0};
    p.fd = gw_fixture_client(&fx, &p.c);
    ck_assert_int_eq(send(p.fd, UPGRADE, strlen(UPGRADE), MSG_NOSIGNAL), (ssize_t)strlen(UPGRADE));
    struct event *probe = evtimer_new(fx.ctx.base, probe_socket, &p);
    static const struct timeval now = {0, 0};
    evtimer_add(probe, &now);
    event_base_loop(fx.ctx.base, EVLOOP_ONCE);
    event_free(probe);
    ck_assert_msg(p.upgraded, "the probe ran before the head was read");
    ck_assert_msg(strncmp(p.seen, "HTTP/1.1 101 ", 13) == 0, "the client had '%s'", p.seen);
    close(p.fd);
}
END_TEST

/* When the kernel took in what fd reads first (SO_TIMESTAMPNS), in ns:
 * on loopback, when the gateway wrote it.  Reads it into buf (cap bytes). */
static int64_t arrival_ns(int fd, char *buf, size_t cap)
{
    char control[CMSG_SPACE(sizeof(struct timespec))];
    struct iovec iov = {buf, cap - 1};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(fd, &mh, 0);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        }
    }
    ck_abort_msg("no receive timestamp");
    return 0;
}

/* In a reconnect storm, new clients' heads are answered before the work of
 * streams already open (conn.h's priorities): here a stream's ping became
 * readable before a new client's handshake, and the 101 still leaves
 * first.  Without the priorities libevent would run them in the order
 * epoll gave them. */
START_TEST(a_new_clients_head_is_answered_before_a_streams_frame)
{
    gw_fixture_start(&fx, NULL);
    struct conn *stream, *fresh;
    int s = gw_fixture_client(&fx, &stream);
    free(gw_fixture_ask(&fx, s, UPGRADE, 1000, NULL));
    ck_assert_int_eq(event_get_priority(stream->ev), CONN_PRIORITY_STREAM);
    int n = gw_fixture_client(&fx, &fresh);
    ck_assert_int_eq(event_get_priority(fresh->ev), CONN_PRIORITY_HEAD);
    gw_fixture_run(&fx, 20); /* its first edge (writable) is taken: the next is its head */
    int on = 1;
    ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on), 0);
    ck_assert_int_eq(setsockopt(n, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on), 0);
    static const uint8_t ping[] = {0x89, 0x80, 1, 2, 3, 4}; /* masked, empty */
    ck_assert_int_eq(send(s, ping, sizeof ping, MSG_NOSIGNAL), (ssize_t)sizeof ping);
    ck_assert_int_eq(send(n, UPGRADE, strlen(UPGRADE), MSG_NOSIGNAL), (ssize_t)strlen(UPGRADE));
    usleep(10000); /* both readable before the loop looks */
    event_base_loop(fx.ctx.base, EVLOOP_ONCE);
    char pong[64], head[512];
    int64_t t_pong = arrival_ns(s, pong, sizeof pong);
    int64_t t_head = arrival_ns(n, head, sizeof head);
    ck_assert_msg((uint8_t)pong[0] == 0x8A, "the stream got 0x%02x, not a pong", (uint8_t)pong[0]);
    ck_assert_msg(strncmp(head, "HTTP/1.1 101 ", 13) == 0, "the new client got '%.40s'", head);
    ck_assert_msg(t_head < t_pong, "the 101 left %lld ns after the stream's pong",
                  (long long)(t_head - t_pong));
    ck_assert_int_eq(event_get_priority(fresh->ev), CONN_PRIORITY_STREAM);
    close(s);
    close(n);
}
END_TEST

static void note_fired(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;
    char b;
    /* Still unread on the server's side: the loop did not wait for it. */
    p->upgraded = recv(conn_fd(p->c), &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

/* A client that pipelines requests faster than they are answered cannot
 * keep the loop on its input: a timer due now runs while most of it is
 * still unread (before, its reads at the heads' priority re-armed
 * themselves until the socket was empty, and ticks, timers and SIGTERM's
 * end of the loop waited for it). */
START_TEST(a_pipelining_client_does_not_hold_the_loop)
{
    gw_fixture_start(&fx, NULL);
    struct probe p = {0};
    p.fd = gw_fixture_client(&fx, &p.c);
    free(gw_fixture_ask(&fx, p.fd, "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n", 1000, NULL));
    static const char req[] = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
    char batch[64 * (sizeof req - 1)];
    for (size_t i = 0; i < 64; i++)
        memcpy(batch + i * (sizeof req - 1), req, sizeof req - 1);
    size_t sent = 0;
    for (;;) {
        ssize_t n = send(p.fd, batch, sizeof batch, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0)
            break;
        sent += (size_t)n;
        if (sent > 400000)
            break;
    }
    ck_assert_msg(sent > 200000, "only %zu bytes fit in the socket", sent);
    struct event *timer = evtimer_new(fx.ctx.base, note_fired, &p);
    static const struct timeval now = {0, 0};
    evtimer_add(timer, &now);
    p.upgraded = false;
    for (int i = 0; i < 50 && evtimer_pending(timer, NULL); i++)
        event_base_loop(fx.ctx.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    ck_assert_msg(!evtimer_pending(timer, NULL), "the timer never ran");
    event_free(timer);
    ck_assert_msg(p.upgraded, "the timer waited until all %zu bytes were read", sent);
    close(p.fd);
}
END_TEST

/* A first read that fills CONN_READ_PER_WAKE is no head: a client that
 * sends its handshake and then floods frames in the same send cannot keep
 * the heads' priority (its event, made active again for the rest, would
 * keep it) and with it the loop. */
START_TEST(a_flood_in_the_first_send_does_not_hold_the_loop)
{
    gw_fixture_start(&fx, NULL);
    struct probe p = {0};
    p.fd = gw_fixture_client(&fx, &p.c);
    gw_fixture_run(&fx, 20); /* its first edge (writable) is taken: the next is the flood */
    enum { PONGS = 70000 };  /* empty masked pongs: 6 bytes each, no answer */
    size_t len = strlen(UPGRADE) + 6 * (size_t)PONGS;
    uint8_t *flood = malloc(len);
    memcpy(flood, UPGRADE, strlen(UPGRADE));
    for (size_t i = 0; i < PONGS; i++)
        memcpy(flood + strlen(UPGRADE) + 6 * i, "\x8a\x80\x01\x02\x03\x04", 6);
    size_t sent = 0;
    while (sent < len) {
        ssize_t n = send(p.fd, flood + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    free(flood);
    ck_assert_msg(sent > 200000, "only %zu bytes fit in the socket", sent);
    struct event *timer = evtimer_new(fx.ctx.base, note_fired, &p);
    static const struct timeval now = {0, 0};
    evtimer_add(timer, &now);
    for (int i = 0; i < 50 && evtimer_pending(timer, NULL); i++)
        event_base_loop(fx.ctx.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    ck_assert_msg(!evtimer_pending(timer, NULL), "the timer never ran");
    event_free(timer);
    ck_assert_msg(p.upgraded, "the timer waited until all %zu bytes were read", sent);
    close(p.fd);
}
END_TEST

static Suite *conn_io_suite(void)
{
    Suite *s = suite_create("conn_io");
    TCase *t = tcase_create("bare");
    tcase_set_timeout(t, 60);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, a_websocket_on_plain_tcp_is_bare_from_its_accept);
    tcase_add_test(t, a_handshake_is_answered_in_the_event_that_read_it);
    tcase_add_test(t, a_new_clients_head_is_answered_before_a_streams_frame);
    tcase_add_test(t, a_pipelining_client_does_not_hold_the_loop);
    tcase_add_test(t, a_flood_in_the_first_send_does_not_hold_the_loop);
    tcase_add_test(t, keep_alive_requests_are_answered_bare);
    tcase_add_test(t, a_socketio_request_moves_onto_a_bufferevent_and_a_stream_after_it_goes_bare);
    tcase_add_test(t, an_sse_stream_goes_bare_too);
    tcase_add_test(t, a_frame_sent_with_the_handshake_is_read_once_bare);
    tcase_add_test(t, a_message_longer_than_one_read_arrives_whole);
    tcase_add_test(t, bytes_a_read_leaves_survive_another_clients_read);
    tcase_add_test(t, a_timeout_due_with_waiting_requests_does_not_drop_them);
    tcase_add_test(t, output_the_socket_cannot_take_goes_out_whole_and_in_order);
    tcase_add_test(t, a_client_that_never_reads_is_dropped_once_its_close_cannot_be_written);
    tcase_add_test(t, a_fin_that_comes_with_the_last_bytes_is_seen);
    tcase_add_test(t, an_rst_that_comes_with_part_of_a_message_is_seen);
    tcase_add_test(t, a_socketio_request_then_an_rst_is_closed);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(conn_io_suite)
