/* Unit tests of gateway/serve.c: a connection's life — keep-alive and
 * pipelining, HTTP/1.0 closes, slow and oversized request heads, bad request
 * lines, lingering close, and a request pipelined behind one that waits for
 * Redis — as bytes on real loopback client sockets (gw_fixture). */
#include "config.h"

#include "check_main.h"
#include "gw_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static struct gw_fixture fx;

static void setup(void)
{
    gw_fixture_init(&fx);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
}

/* A WWW_ROOT with a.txt ("A") and b.txt ("B"), served by fx. */
static void www_start(void)
{
    static const char *const files[][2] = {{"a.txt", "A"}, {"b.txt", "B"}};
    gw_fixture_www(&fx, files, 2);
}

/* Run the loop and read fd until the server closes it or ms pass; *err gets
 * the errno that ended the read (0: EOF or time). */
static char *read_to_eof(int fd, int ms, size_t *n, int *err)
{
    size_t cap = 1 << 16;
    char *buf = malloc(cap + 1);
    bool eof = false;
    *n = 0;
    *err = 0;
    for (int waited = 0; waited < ms && !eof; waited += 10) {
        gw_fixture_run(&fx, 10);
        ssize_t r;
        while ((r = recv(fd, buf + *n, cap - *n, MSG_DONTWAIT)) > 0)
            *n += (size_t)r;
        eof = r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
        if (r < 0 && eof)
            *err = errno;
    }
    buf[*n] = '\0';
    return buf;
}

static void send_all(int fd, const char *text)
{
    size_t n = strlen(text);
    ck_assert_int_eq(send(fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* The status line's start of the answer to request, then a close. */
static void answered_then_closed(const char *request, const char *status, const char *error)
{
    int fd = gw_fixture_client(&fx, NULL);
    send_all(fd, request);
    size_t n;
    int err;
    char *got = read_to_eof(fd, 3000, &n, &err);
    ck_assert_msg(strncmp(got, status, strlen(status)) == 0, "want %s, got %.200s", status, got);
    ck_assert_msg(strstr(got, error) != NULL, "no %s in %.300s", error, got);
    ck_assert_ptr_nonnull(strstr(got, "\r\nConnection: close\r\n"));
    ck_assert_int_eq(err, 0); /* FIN, not reset */
    free(got);
    close(fd);
}

START_TEST(keep_alive_answers_pipelined_requests_in_order)
{
    gw_fixture_start(&fx, NULL);
    www_start();
    int fd = gw_fixture_client(&fx, NULL);
    char *got = gw_fixture_ask(&fx, fd,
                               "GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
                               2000, NULL);
    char *second = strstr(got + 1, "HTTP/1.1 200 OK\r\n");
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0 && second, "%s", got);
    ck_assert_ptr_null(strstr(got, "Connection: close"));
    ck_assert_msg(second - got >= 5 && memcmp(second - 5, "\r\n\r\nB", 5) == 0, "%s", got);
    ck_assert_msg(strcmp(got + strlen(got) - 5, "\r\n\r\nA") == 0, "%s", got);
    free(got);
    /* Still open for a third. */
    got = gw_fixture_ask(&fx, fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 2000, NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", got);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 1);
    ck_assert_uint_eq(fx.ctx.counters.http_requests, 3);
    free(got);
    close(fd);
}
END_TEST

START_TEST(http_1_0_closes_after_its_answer)
{
    gw_fixture_start(&fx, NULL);
    www_start();
    answered_then_closed("GET /a.txt HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK\r\n", "\r\n\r\nA");
}
END_TEST

START_TEST(a_head_trickled_past_the_handshake_timeout_is_408)
{
    fx.conf.handshake_timeout_ms = 300;
    gw_fixture_start(&fx, NULL);
    int fd = gw_fixture_client(&fx, NULL);
    send_all(fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\n");
    /* A line every 100 ms restarts the read timeout each time; the head's
     * total time still runs out, while the client is still sending. */
    char got[4096];
    size_t n = 0;
    int answered_at = -1;
    for (int i = 0; i < 12 && answered_at < 0; i++) {
        gw_fixture_run(&fx, 100);
        ssize_t r = recv(fd, got + n, sizeof got - 1 - n, MSG_DONTWAIT);
        n += r > 0 ? (size_t)r : 0;
        if (n)
            answered_at = i;
        else
            send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
    }
    size_t more;
    int err;
    char *rest = read_to_eof(fd, 1000, &more, &err); /* the answer's remainder, if split */
    snprintf(got + n, sizeof got - n, "%s", rest);
    free(rest);
    ck_assert_msg(answered_at >= 2 && answered_at <= 6, "408 after %d turns of 100 ms (-1: never)",
                  answered_at);
    ck_assert_msg(strncmp(got, "HTTP/1.1 408 ", 13) == 0, "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "\"error\":\"timeout\""));
    close(fd);
}
END_TEST

START_TEST(a_stalled_head_is_408_and_an_idle_connection_just_closes)
{
    fx.conf.handshake_timeout_ms = 200;
    gw_fixture_start(&fx, NULL);
    answered_then_closed("GET /a.txt HTTP/1.1\r\nHo", "HTTP/1.1 408 ", "\"error\":\"timeout\"");
    int fd = gw_fixture_client(&fx, NULL);
    size_t n;
    int err;
    char *got = read_to_eof(fd, 2000, &n, &err);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(err, 0);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
    free(got);
    close(fd);
}
END_TEST

START_TEST(a_head_over_max_head_bytes_is_431)
{
    fx.conf.max_head_bytes = 1024;
    gw_fixture_start(&fx, NULL);
    char req[2048];
    int n = snprintf(req, sizeof req, "GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'b', 1500);
    strcpy(req + n + 1500, "\r\n\r\n");
    answered_then_closed(req, "HTTP/1.1 431 ", "\"error\":\"headers_too_large\"");
}
END_TEST

START_TEST(a_long_url_is_414)
{
    gw_fixture_start(&fx, NULL);
    char req[4096];
    int n = snprintf(req, sizeof req, "GET /");
    memset(req + n, 'u', 3000);
    strcpy(req + n + 3000, " HTTP/1.1\r\nHost: x\r\n\r\n");
    answered_then_closed(req, "HTTP/1.1 414 ", "\"error\":\"uri_too_long\"");
}
END_TEST

START_TEST(a_bad_request_line_is_400)
{
    gw_fixture_start(&fx, NULL);
    answered_then_closed("garbage line\r\n\r\n", "HTTP/1.1 400 ", "\"error\":\"bad_request\"");
    answered_then_closed("GET /a.txt HTTP/1.1 extra\r\nHost: x\r\n\r\n", "HTTP/1.1 400 ",
                         "\"error\":\"bad_request\"");
    answered_then_closed("GET /a.txt HTTP/1.1\r\n\r\n", "HTTP/1.1 400 ",
                         "\"error\":\"bad_request\"");
}
END_TEST

/* http_parser guesses the method from its first letter: a malformed request
 * line starting with "H" must not count as HEAD, or its 400 would say
 * Content-Length: 58 and carry no body. */
START_TEST(a_malformed_request_line_starting_with_h_gets_its_whole_400)
{
    gw_fixture_start(&fx, NULL);
    answered_then_closed("HELLO THERE\r\n\r\n", "HTTP/1.1 400 ", "\"error\":\"bad_request\"");
}
END_TEST

START_TEST(lingering_close_delivers_the_400_to_a_client_still_sending)
{
    gw_fixture_start(&fx, NULL);
    int fd = gw_fixture_client(&fx, NULL);
    static char junk[16384];
    memset(junk, 'j', sizeof junk);
    send_all(fd, "garbage line\r\n\r\n");
    /* Keep sending while the server answers and closes: had it closed with
     * unread input, the kernel would reset the connection (ECONNRESET,
     * EPIPE) and could destroy the answer in flight. */
    char got[4096];
    size_t n = 0;
    for (int i = 0; i < 30; i++) {
        ck_assert_int_eq(send(fd, junk, sizeof junk, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
                             errno != EAGAIN && errno != EWOULDBLOCK,
                         0);
        gw_fixture_run(&fx, 10);
        ssize_t r = recv(fd, got + n, sizeof got - 1 - n, MSG_DONTWAIT);
        ck_assert_msg(r >= 0 || errno == EAGAIN || errno == EWOULDBLOCK, "recv: %s",
                      strerror(errno));
        n += r > 0 ? (size_t)r : 0;
    }
    got[n] = '\0';
    ck_assert_msg(strncmp(got, "HTTP/1.1 400 ", 13) == 0, "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "\"error\":\"bad_request\""));
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 1); /* lingering */
    shutdown(fd, SHUT_WR);
    size_t m;
    int err;
    char *rest = read_to_eof(fd, 3000, &m, &err);
    ck_assert_int_eq(err, 0);
    gw_fixture_run(&fx, 50);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
    free(rest);
    close(fd);
}
END_TEST

START_TEST(a_request_pipelined_behind_history_is_answered_after_it)
{
    gw_fixture_start(&fx, &redis_fixture);
    gw_fixture_symbols(&fx, "BTC");
    int fd = gw_fixture_client(&fx, NULL);
    char *got = gw_fixture_ask(&fx, fd,
                               "GET /history?symbol=BTC&limit=5 HTTP/1.1\r\nHost: x\r\n\r\n"
                               "OPTIONS /health HTTP/1.1\r\nHost: x\r\n\r\n",
                               3000, NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", got);
    char *history = strstr(got, "{\"symbol\":\"BTC\",\"points\":[]}");
    char *second = strstr(got, "HTTP/1.1 204 ");
    ck_assert_msg(history && second && history < second, "%s", got);
    ck_assert_uint_eq(fx.ctx.counters.http_requests, 2);
    free(got);
    /* And the connection goes on. */
    got = gw_fixture_ask(&fx, fd, "OPTIONS /health HTTP/1.1\r\nHost: x\r\n\r\n", 2000, NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 204 ", 13) == 0, "%s", got);
    free(got);
    close(fd);
}
END_TEST

/* What a new client that sends requests and half-closes at once gets
 * before the server closes; the server must have freed the connection. */
static char *answers_to_half_close(const char *requests)
{
    int fd = gw_fixture_client(&fx, NULL);
    send_all(fd, requests);
    ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
    size_t n;
    int err;
    char *got = read_to_eof(fd, 3000, &n, &err);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
    close(fd);
    return got;
}

/* Requests pipelined with the client's FIN right behind them (one edge
 * brings both): every answer goes out, then the close; the stream one
 * asked for ends with it. */
START_TEST(a_client_that_half_closes_after_its_requests_gets_every_answer)
{
    gw_fixture_start(&fx, NULL);
    static const char *const last[] = {
        "GET /events HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    };
    static const char *const status[] = {"HTTP/1.1 200 ", "HTTP/1.1 101 "};
    for (size_t i = 0; i < 2; i++) {
        char req[512];
        snprintf(req, sizeof req, "OPTIONS /health HTTP/1.1\r\nHost: x\r\n\r\n%s", last[i]);
        char *got = answers_to_half_close(req);
        ck_assert_msg(strncmp(got, "HTTP/1.1 204 ", 13) == 0, "%s", got);
        ck_assert_msg(strstr(got, status[i]) != NULL, "no %s in %s", status[i], got);
        free(got);
    }
}
END_TEST

/* Requests that wait for Redis, pipelined, then the FIN: the EOF waits
 * for their answers. */
START_TEST(pipelined_history_requests_then_a_fin_are_all_answered)
{
    gw_fixture_start(&fx, &redis_fixture);
    gw_fixture_symbols(&fx, "BTC");
    char req[256] = "";
    for (int i = 0; i < 3; i++)
        strcat(req, "GET /history?symbol=BTC&limit=5 HTTP/1.1\r\nHost: x\r\n\r\n");
    char *got = answers_to_half_close(req);
    int answers = 0;
    for (const char *p = got; (p = strstr(p, "HTTP/1.1 200 OK\r\n")); p++)
        answers++;
    ck_assert_msg(answers == 3, "%d answers: %s", answers, got);
    free(got);
}
END_TEST

static Suite *serve_suite(void)
{
    Suite *s = suite_create("serve");
    TCase *t = tcase_create("http");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, keep_alive_answers_pipelined_requests_in_order);
    tcase_add_test(t, http_1_0_closes_after_its_answer);
    tcase_add_test(t, a_head_trickled_past_the_handshake_timeout_is_408);
    tcase_add_test(t, a_stalled_head_is_408_and_an_idle_connection_just_closes);
    tcase_add_test(t, a_head_over_max_head_bytes_is_431);
    tcase_add_test(t, a_long_url_is_414);
    tcase_add_test(t, a_bad_request_line_is_400);
    tcase_add_test(t, lingering_close_delivers_the_400_to_a_client_still_sending);
    tcase_add_test(t, a_malformed_request_line_starting_with_h_gets_its_whole_400);
    tcase_add_test(t, a_client_that_half_closes_after_its_requests_gets_every_answer);
    suite_add_tcase(s, t);
    t = tcase_create("redis");
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, a_request_pipelined_behind_history_is_answered_after_it);
    tcase_add_test(t, pipelined_history_requests_then_a_fin_are_all_answered);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(serve_suite)
