/* Unit tests of gateway/gateway.c: a whole gateway process on its loop —
 * listening on a free loopback port, linked to a real redis-server, fed a
 * tick on the channel the feeder publishes on (lib/keys.h), refusing a
 * taken port or an unusable TLS certificate, MAX_CONNECTIONS, and shutting
 * down on SIGTERM.  Clients are real TCP sockets. */
#include "config.h"

#include "check_main.h"
#include "strlist.h"
#include "conf.h"
#include "gateway.h"
#include "gw_wire.h"
#include "keys.h"
#include "price.h"
#include "redis_server.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static struct cp_conf conf;
static struct event_base *base;
static struct gateway *gw, *gw2;

static void setup(void)
{
    conf_defaults(&conf);
    conf.port = redis_server_free_port();
    conf.redis_port = redis_fixture.port;
    snprintf(conf.instance_id, sizeof conf.instance_id, "unit-gw");
    conf.www_root[0] = '\0'; /* no dashboard */
    base = gateway_base_new();
    gw = gw2 = NULL;
}

static void teardown(void)
{
    gateway_free(gw);
    gateway_free(gw2);
    event_base_free(base);
}

static void run(int ms)
{
    struct timeval tv = strlist_timeval_ms(ms);
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

/* A client connected to the gateway's port (the loop has not accepted it). */
static int client(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Run the loop and read fd until it is closed or holds needle (NULL: until
 * closed), at most ms.  *eof tells whether it was closed.  Caller frees. */
static char *read_fd(int fd, const char *needle, int ms, bool *eof)
{
    size_t n = 0, cap = 16384;
    char *buf = xmalloc(cap);
    *eof = false;
    for (int waited = 0; waited < ms && !*eof; waited += 10) {
        run(10);
        struct pollfd p = {fd, POLLIN, 0};
        while (poll(&p, 1, 0) > 0 && n < cap - 1) {
            ssize_t r = recv(fd, buf + n, cap - n - 1, MSG_DONTWAIT);
            if (r <= 0) {
                *eof = true;
                break;
            }
            n += (size_t)r;
        }
        buf[n] = '\0';
        if (needle && memmem(buf, n, needle, strlen(needle)))
            break;
    }
    buf[n] = '\0';
    return buf;
}

/* GET path on a new connection (Connection: close): the whole response. */
static char *get(const char *path)
{
    int fd = client(conf.port);
    char req[256];
    int n =
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    ck_assert_int_eq(send(fd, req, (size_t)n, 0), n);
    bool eof;
    char *got = read_fd(fd, NULL, 3000, &eof);
    ck_assert_msg(eof, "no whole answer to GET %s: %s", path, got);
    close(fd);
    return got;
}

/* GET /health until its body holds needle (3 s at most). */
static char *health_until(const char *needle)
{
    char *got = get("/health");
    for (int i = 0; i < 30 && !strstr(got, needle); i++) {
        free(got);
        run(100);
        got = get("/health");
    }
    ck_assert_msg(strstr(got, needle) != NULL, "no %s in %s", needle, got);
    return got;
}

START_TEST(health_is_200_once_a_tick_came_through_redis)
{
    gw = gateway_new(base, &conf, 0, false);
    ck_assert_ptr_nonnull(gw);
    char *got = health_until("\"connected\":true");
    ck_assert_int_eq(gw_wire_status(got), 503); /* no tick yet */
    ck_assert_ptr_nonnull(strstr(got, "\"status\":\"degraded\""));
    free(got);
    char channel[KEYS_MAX], t[1024];
    keys_format(channel, sizeof channel, conf.redis_prefix, KEYS_CHANNEL, NULL);
    redisContext *r = gw_wire_redis(&redis_fixture);
    redisReply *n =
        redisCommand(r, "PUBLISH %s %s", channel, gw_wire_tick(t, sizeof t, (long)price_now_ms()));
    ck_assert_int_eq(n->integer, 1); /* the gateway is the one subscriber */
    freeReplyObject(n);
    redisFree(r);
    got = health_until("\"ticks\":1");
    ck_assert_int_eq(gw_wire_status(got), 200);
    json_t *j = json_loads(gw_wire_body(got), 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
    json_int_t age =
        json_integer_value(json_object_get(json_object_get(j, "feeder"), "last_tick_age_ms"));
    ck_assert_int_ge(age, 0);
    ck_assert_int_le(age, 3 * conf.update_interval_ms);
    json_decref(j);
    free(got);
}
END_TEST

START_TEST(stats_name_the_instance_and_worker)
{
    gw = gateway_new(base, &conf, 3, false);
    ck_assert_ptr_nonnull(gw);
    char *got = get("/stats");
    ck_assert_int_eq(gw_wire_status(got), 200);
    json_t *j = json_loads(gw_wire_body(got), 0, NULL);
    json_t *self = json_array_get(json_object_get(j, "workers"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(self, "instance")), "unit-gw");
    ck_assert_int_eq(json_integer_value(json_object_get(self, "worker")), 3);
    json_decref(j);
    free(got);
}
END_TEST

START_TEST(a_taken_port_is_refused_unless_clustered)
{
    gw = gateway_new(base, &conf, 0, false);
    ck_assert_ptr_nonnull(gw);
    ck_assert_ptr_null(gateway_new(base, &conf, 1, false));
    gateway_free(gw);
    /* Workers of one cluster share it (SO_REUSEPORT). */
    gw = gateway_new(base, &conf, 0, true);
    ck_assert_ptr_nonnull(gw);
    gw2 = gateway_new(base, &conf, 1, true);
    ck_assert_ptr_nonnull(gw2);
}
END_TEST

START_TEST(an_unusable_tls_certificate_is_refused_and_frees_the_port)
{
    conf.tls_port = redis_server_free_port();
    snprintf(conf.tls_cert_file, sizeof conf.tls_cert_file, "/nonexistent/cert.pem");
    snprintf(conf.tls_key_file, sizeof conf.tls_key_file, "/nonexistent/key.pem");
    ck_assert_ptr_null(gateway_new(base, &conf, 0, false));
    /* The plain listener it had opened is closed again. */
    conf.tls_port = 0;
    gw = gateway_new(base, &conf, 0, false);
    ck_assert_ptr_nonnull(gw);
}
END_TEST

START_TEST(connections_past_max_connections_are_closed)
{
    conf.max_connections = 1;
    gw = gateway_new(base, &conf, 0, false);
    ck_assert_ptr_nonnull(gw);
    int a = client(conf.port);
    run(50);
    int b = client(conf.port);
    bool eof;
    char *got = read_fd(b, NULL, 1000, &eof);
    ck_assert(eof); /* closed without a word */
    ck_assert_str_eq(got, "");
    free(got);
    close(b);
    /* The admitted one is served, and /stats counts the refused one. */
    static const char req[] = "GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ck_assert_int_eq(send(a, req, sizeof req - 1, 0), (ssize_t)(sizeof req - 1));
    got = read_fd(a, NULL, 2000, &eof);
    ck_assert(eof);
    ck_assert_int_eq(gw_wire_status(got), 200);
    json_t *j = json_loads(gw_wire_body(got), 0, NULL);
    ck_assert_ptr_nonnull(j);
    json_t *self = json_array_get(json_object_get(j, "workers"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(self, "refused")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "refused")), 1);
    json_decref(j);
    free(got);
    close(a);
}
END_TEST

/* The gateway's end of the connection whose client is fd: the socket of
 * this process connected to fd's local address; -1 when there is none. */
static int server_end_of(int fd)
{
    struct sockaddr_in me, peer;
    socklen_t len = sizeof me;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&me, &len), 0);
    for (int s = 3; s < 4096; s++) {
        len = sizeof peer;
        if (s == fd || getpeername(s, (struct sockaddr *)&peer, &len) != 0 ||
            peer.sin_family != AF_INET)
            continue;
        if (peer.sin_port == me.sin_port && peer.sin_addr.s_addr == me.sin_addr.s_addr)
            return s;
    }
    return -1;
}

/* TCP_NODELAY and TCP_NOTSENT_LOWAT (OUTPUT_HIGH_WATER_BYTES) are set on
 * the listener and every accepted socket has them. */
/* The gateway's listening socket on port, found among this process's
 * files (the gateway keeps it private). */
static int listening_fd(int port)
{
    for (int fd = 3; fd < 65536; fd++) {
        int on = 0;
        socklen_t l = sizeof on;
        struct sockaddr_in a;
        socklen_t al = sizeof a;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &l) == 0 && on &&
            getsockname(fd, (struct sockaddr *)&a, &al) == 0 && a.sin_family == AF_INET &&
            ntohs(a.sin_port) == port)
            return fd;
    }
    return -1;
}

struct backlog_probe {
    int listen_fd;
    int waiting; /* connections in the accept queue when the timer ran */
    bool ran;
};

static void note_backlog(evutil_socket_t fd, short what, void *arg)
{
    struct backlog_probe *p = arg;
    struct tcp_info ti;
    socklen_t l = sizeof ti;
    ck_assert_int_eq(getsockopt(p->listen_fd, IPPROTO_TCP, TCP_INFO, &ti, &l), 0);
    p->waiting = (int)ti.tcpi_unacked; /* a listening socket's accept queue */
    p->ran = true;
}

/* Accepting runs before streams' work, but not without end: after
 * GATEWAY_ACCEPTS_PER_ROUND (1,024) connections it waits for one turn of
 * the rest, so a churn of connections cannot hold off ticks, closes and
 * the reaper.  Here a timer due now runs while 1,500 connections are still
 * partly waiting in the accept queue. */
START_TEST(accepting_yields_to_streams_work_after_a_round)
{
    enum { N = 1500 };
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 2 * N + 64)
        return; /* not enough files for both ends here */
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    gw = gateway_new(base, &conf, 0, false);
    ck_assert_ptr_nonnull(gw);
    static int fds[N];
    for (int i = 0; i < N; i++)
        fds[i] = client(conf.port);
    struct backlog_probe p = {listening_fd(conf.port), -1, false};
    ck_assert_int_ge(p.listen_fd, 0);
    struct event *timer = evtimer_new(base, note_backlog, &p);
    static const struct timeval now = {0, 0};
    evtimer_add(timer, &now);
    for (int i = 0; i < 200 && !p.ran; i++)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    event_free(timer);
    ck_assert_msg(p.ran, "the timer never ran");
    ck_assert_msg(p.waiting > 0, "the timer waited until all %d connections were accepted", N);
    for (int i = 0; i < N; i++)
        close(fds[i]);
}
END_TEST

START_TEST(accepted_sockets_have_nodelay_and_the_high_water_mark)
{
    conf.output_high_water_bytes = 12345;
    gw = gateway_new(base, &conf, 0, false);
    ck_assert_ptr_nonnull(gw);
    int fd = client(conf.port);
    run(50);
    int s = server_end_of(fd);
    ck_assert_int_ge(s, 0);
    int v = 0;
    socklen_t len = sizeof v;
    ck_assert_int_eq(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
    ck_assert_int_eq(v, 1);
    len = sizeof v;
    ck_assert_int_eq(getsockopt(s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v, &len), 0);
    ck_assert_int_eq(v, 12345);
    close(fd);
}
END_TEST

START_TEST(sigterm_says_going_away_to_websocket_clients)
{
    gw = gateway_new(base, &conf, 0, false);
    ck_assert_ptr_nonnull(gw);
    int fd = client(conf.port);
    static const char hs[] =
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    ck_assert_int_eq(send(fd, hs, sizeof hs - 1, 0), (ssize_t)(sizeof hs - 1));
    bool eof;
    char *got = read_fd(fd, "\"welcome\"", 2000, &eof);
    ck_assert_int_eq(gw_wire_status(got), 101);
    free(got);
    raise(SIGTERM);
    got = read_fd(fd, NULL, 2000, &eof);
    ck_assert(eof);
    /* Close (0x88), 2-byte code 1001 and a reason. */
    ck_assert_uint_eq((unsigned char)got[0], 0x88);
    ck_assert_uint_eq(((unsigned char)got[2] << 8) | (unsigned char)got[3], 1001);
    free(got);
    close(fd);
    /* No new connection is served while draining. */
    int late = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)conf.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(late, (struct sockaddr *)&a, sizeof a) == 0) {
        static const char req[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
        send(late, req, sizeof req - 1, MSG_NOSIGNAL);
        got = read_fd(late, "HTTP/1.1", 300, &eof);
        ck_assert_str_eq(got, "");
        free(got);
    }
    close(late);
}
END_TEST

/* A client that connects the moment the gateway has started (one
 * reconnecting after a restart) is welcomed with the feed's symbols: the
 * list is read before the first accept, not left to the loop's read, whose
 * answer may come after that client's head. */
START_TEST(the_first_client_is_welcomed_with_the_symbols)
{
    redisContext *r = gw_wire_redis(&redis_fixture);
    char key[KEYS_MAX];
    keys_format(key, sizeof key, conf.redis_prefix, KEYS_SYMBOLS, NULL);
    gw_wire_redis_ok(r, "SET %s %s", key, "BTC,ETH,SOL");
    redisFree(r);
    conf.redis_timeout_ms = 5000; /* the read has its answer however busy the machine */
    gw = gateway_new(base, &conf, 0, false);
    ck_assert_ptr_nonnull(gw);
    int fd = client(conf.port); /* before the loop has run at all */
    static const char hs[] =
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    ck_assert_int_eq(send(fd, hs, sizeof hs - 1, 0), (ssize_t)(sizeof hs - 1));
    char got[8192];
    size_t n = 0;
    const char *want = "\"symbols\":[\"BTC\",\"ETH\",\"SOL\"]";
    for (int waited = 0; waited < 2000 && !memmem(got, n, "interval_ms", 11); waited += 10) {
        run(10);
        ssize_t k = recv(fd, got + n, sizeof got - n, MSG_DONTWAIT);
        if (k > 0)
            n += (size_t)k;
    }
    ck_assert_msg(n > 12 && memcmp(got, "HTTP/1.1 101", 12) == 0, "no 101: %.*s", (int)n, got);
    ck_assert_msg(memmem(got, n, "\"welcome\"", 9) != NULL, "no welcome");
    ck_assert_msg(memmem(got, n, want, strlen(want)) != NULL,
                  "the welcome does not list the feed's symbols");
    close(fd);
}
END_TEST

static Suite *gateway_suite(void)
{
    Suite *s = suite_create("gateway");
    TCase *t = tcase_create("redis");
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, health_is_200_once_a_tick_came_through_redis);
    tcase_add_test(t, stats_name_the_instance_and_worker);
    tcase_add_test(t, a_taken_port_is_refused_unless_clustered);
    tcase_add_test(t, an_unusable_tls_certificate_is_refused_and_frees_the_port);
    tcase_add_test(t, connections_past_max_connections_are_closed);
    tcase_add_test(t, accepted_sockets_have_nodelay_and_the_high_water_mark);
    tcase_add_test(t, accepting_yields_to_streams_work_after_a_round);
    tcase_add_test(t, sigterm_says_going_away_to_websocket_clients);
    tcase_add_test(t, the_first_client_is_welcomed_with_the_symbols);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(gateway_suite)
