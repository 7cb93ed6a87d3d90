/* Unit tests of gateway/eventsource.c: the Server-Sent Events stream's head,
 * its ?symbols= subscription and refusals, the snapshot it starts with, the
 * resume point it states first and keep-alive comments (docs/PROTOCOL.md §3), as
 * bytes on real loopback client sockets (gw_fixture); resumes against a real
 * redis-server. */
#include "config.h"

#include "check_main.h"
#include "eventsource.h"
#include "gw_fixture.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Three symbols in one tick, id 7-0. */
static const char tick7[] =
    "{\"id\":\"7-0\",\"ts\":5,\"prices\":["
    "{\"symbol\":\"BTC\",\"price\":97123.45,\"change24h\":1,\"volume24h\":2,\"high24h\":3,"
    "\"low24h\":1,\"ts\":5,\"id\":\"7-0\"},"
    "{\"symbol\":\"ETH\",\"price\":3100.5,\"change24h\":1,\"volume24h\":2,\"high24h\":3,"
    "\"low24h\":1,\"ts\":5,\"id\":\"7-0\"},"
    "{\"symbol\":\"SOL\",\"price\":200.5,\"change24h\":1,\"volume24h\":2,\"high24h\":3,"
    "\"low24h\":1,\"ts\":5,\"id\":\"7-0\"}]}";

static struct gw_fixture fx;

static void setup(void)
{
    gw_fixture_init(&fx);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
}

/* The answer to request on a new client (caller frees); *fd keeps the
 * client open when fd is not NULL. */
static char *ask(const char *request, int *fd)
{
    int s = gw_fixture_client(&fx, NULL);
    char *got = gw_fixture_ask(&fx, s, request, 2000, NULL);
    if (fd)
        *fd = s;
    else
        close(s);
    return got;
}

/* What follows the head of a response. */
static const char *body_of(const char *response)
{
    const char *end = strstr(response, "\r\n\r\n");
    ck_assert_msg(end != NULL, "no head in %s", response);
    return end + 4;
}

START_TEST(a_stream_starts_with_its_head_and_retry)
{
    gw_fixture_start(&fx, NULL);
    char *got = ask("GET /events HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "\r\nContent-Type: text/event-stream\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nCache-Control: no-cache\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nX-Accel-Buffering: no\r\n"));
    ck_assert_ptr_null(strstr(got, "Content-Length")); /* ends with the connection */
    ck_assert_str_eq(body_of(got), "retry: 2000\n\n"); /* no prices yet: nothing more */
    ck_assert_uint_eq(fx.ctx.counters.sse_total, 1);
    ck_assert_uint_eq(fx.ctx.counters.sse_current, 1);
    free(got);
}
END_TEST

START_TEST(a_stream_without_symbols_gets_every_price_as_one_snapshot)
{
    gw_fixture_start(&fx, NULL);
    gw_fixture_tick(&fx, tick7);
    char *got = ask("GET /events HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    const char *body = body_of(got);
    ck_assert_msg(strncmp(body, "retry: 2000\n\nid: 7-0\nevent: price-update-bulk\n", 46) == 0,
                  "%s", body);
    ck_assert_ptr_nonnull(strstr(body, "\"BTC\""));
    ck_assert_ptr_nonnull(strstr(body, "\"ETH\""));
    ck_assert_ptr_nonnull(strstr(body, "\"SOL\""));
    ck_assert_ptr_null(strstr(body + 20, "id: ")); /* one event, one id */
    free(got);
}
END_TEST

START_TEST(symbols_selects_the_prices_of_the_stream)
{
    gw_fixture_start(&fx, NULL);
    gw_fixture_tick(&fx, tick7);
    int fd;
    char *got = ask("GET /events?symbols=BTC,SOL HTTP/1.1\r\nHost: x\r\n\r\n", &fd);
    const char *body = body_of(got);
    ck_assert_msg(strncmp(body, "retry: 2000\n\nevent: price-update\n", 33) == 0, "%s", body);
    ck_assert_ptr_nonnull(strstr(body, "\"BTC\""));
    ck_assert_ptr_nonnull(strstr(body, "\"SOL\""));
    ck_assert_ptr_null(strstr(body, "\"ETH\""));
    free(got);
    /* Live ticks too. */
    char tick8[sizeof tick7];
    strcpy(tick8, tick7);
    for (char *p = tick8; (p = strstr(p, "7-0")); p++)
        *p = '8';
    gw_fixture_tick(&fx, tick8);
    got = gw_fixture_read(&fx, fd, 1000, NULL);
    ck_assert_ptr_nonnull(strstr(got, "\"BTC\""));
    ck_assert_ptr_nonnull(strstr(got, "\"SOL\""));
    ck_assert_ptr_null(strstr(got, "\"ETH\""));
    ck_assert_ptr_nonnull(strstr(got, "id: 8-0\n"));
    free(got);
    close(fd);
}
END_TEST

START_TEST(an_unknown_symbol_is_refused_with_400)
{
    gw_fixture_start(&fx, NULL);
    gw_fixture_symbols(&fx, "BTC,ETH");
    const char *bad[] = {"DOGE", "BTC,DOGE", "%zz", "b@d"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char req[128];
        snprintf(req, sizeof req, "GET /events?symbols=%s HTTP/1.1\r\nHost: x\r\n\r\n", bad[i]);
        char *got = ask(req, NULL);
        ck_assert_msg(strncmp(got, "HTTP/1.1 400 ", 13) == 0, "%s: %s", bad[i], got);
        ck_assert_ptr_nonnull(strstr(got, "\"error\":\"unknown_symbol\""));
        ck_assert_ptr_null(strstr(got, "retry:"));
        free(got);
    }
    ck_assert_uint_eq(fx.ctx.counters.sse_total, 0);
    ck_assert_uint_eq(fx.ctx.counters.sse_current, 0);
}
END_TEST

START_TEST(head_gets_the_head_alone_and_a_close)
{
    gw_fixture_start(&fx, NULL);
    gw_fixture_tick(&fx, tick7);
    int fd;
    char *got = ask("HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n", &fd);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "\r\nContent-Type: text/event-stream\r\n"));
    ck_assert_str_eq(body_of(got), "");
    size_t n;
    char *more = gw_fixture_read(&fx, fd, 500, &n);
    ck_assert_uint_eq(n, 0); /* EOF */
    ck_assert_uint_eq(fx.ctx.counters.sse_total, 0);
    close(fd); /* the server lingers until the client is gone */
    gw_fixture_run(&fx, 100);
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 0);
    ck_assert_uint_eq(fx.ctx.counters.sse_current, 0);
    free(more);
    free(got);
}
END_TEST

START_TEST(origins_and_methods_are_checked)
{
    snprintf(fx.conf.cors_origins, sizeof fx.conf.cors_origins, "https://good.example");
    gw_fixture_start(&fx, NULL);
    char *got =
        ask("GET /events HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n\r\n", NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 403 ", 13) == 0, "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "\"error\":\"origin_not_allowed\""));
    free(got);
    got = ask("POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 405 ", 13) == 0, "%s", got);
    ck_assert_ptr_nonnull(strstr(got, "\r\nAllow: GET, HEAD, OPTIONS\r\n"));
    free(got);
    ck_assert_uint_eq(fx.ctx.counters.sse_total, 0);
    got = ask("GET /events HTTP/1.1\r\nHost: x\r\nOrigin: https://good.example\r\n\r\n", NULL);
    ck_assert_msg(strncmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", got);
    ck_assert_ptr_nonnull(
        strstr(got, "\r\nAccess-Control-Allow-Origin: https://good.example\r\nVary: Origin\r\n"));
    free(got);
}
END_TEST

START_TEST(keep_alives_go_to_event_streams_only)
{
    gw_fixture_start(&fx, NULL);
    int sse, http = gw_fixture_client(&fx, NULL);
    char *got = ask("GET /events HTTP/1.1\r\nHost: x\r\n\r\n", &sse);
    free(got);
    int head;
    got = ask("HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n", &head);
    free(got);
    eventsource_keepalive(fx.ctx.conns);
    size_t n;
    got = gw_fixture_read(&fx, sse, 500, &n);
    ck_assert_str_eq(got, ": keep-alive\n\n");
    free(got);
    got = gw_fixture_read(&fx, http, 200, &n);
    ck_assert_uint_eq(n, 0);
    free(got);
    got = gw_fixture_read(&fx, head, 200, &n);
    ck_assert_uint_eq(n, 0);
    free(got);
    close(sse);
    close(http);
    close(head);
}
END_TEST

START_TEST(a_resumed_stream_states_its_resume_point_first)
{
    gw_fixture_start(&fx, &redis_fixture);
    gw_fixture_tick(&fx, tick7);
    char *got = ask("GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 5-0\r\n\r\n", NULL);
    const char *body = body_of(got);
    /* 5-0 is not in the (empty) history: a snapshot follows. */
    ck_assert_msg(strncmp(body, "retry: 2000\nid: 5-0\n\nid: 7-0\nevent: snapshot\n", 45) == 0,
                  "%s", body);
    free(got);
    got = ask("GET /events?lastEventId=6-1 HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    body = body_of(got);
    ck_assert_msg(strncmp(body, "retry: 2000\nid: 6-1\n\n", 21) == 0, "%s", body);
    free(got);
    /* An id longer than any tick id is not repeated back, in the header or
     * in ?lastEventId=; both resume with the snapshot (the query's is not
     * taken for no resume point at all). */
    static const char *const overlong[] = {
        "GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: "
        "1234567890123456789012345678901234567890-1234567890\r\n\r\n",
        "GET /events?lastEventId=1234567890123456789012345678901234567890-1234567890 "
        "HTTP/1.1\r\nHost: x\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof overlong / sizeof overlong[0]; i++) {
        got = ask(overlong[i], NULL);
        body = body_of(got);
        ck_assert_msg(strncmp(body, "retry: 2000\n\nid: 7-0\nevent: snapshot\n", 37) == 0, "%s",
                      body);
        free(got);
    }
}
END_TEST

static Suite *eventsource_suite(void)
{
    Suite *s = suite_create("eventsource");
    TCase *t = tcase_create("stream");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, a_stream_starts_with_its_head_and_retry);
    tcase_add_test(t, a_stream_without_symbols_gets_every_price_as_one_snapshot);
    tcase_add_test(t, symbols_selects_the_prices_of_the_stream);
    tcase_add_test(t, an_unknown_symbol_is_refused_with_400);
    tcase_add_test(t, head_gets_the_head_alone_and_a_close);
    tcase_add_test(t, origins_and_methods_are_checked);
    tcase_add_test(t, keep_alives_go_to_event_streams_only);
    suite_add_tcase(s, t);
    t = tcase_create("resume");
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, a_resumed_stream_states_its_resume_point_first);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(eventsource_suite)
