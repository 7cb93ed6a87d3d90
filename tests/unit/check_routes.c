/* Unit tests of gateway/routes.c: what each request gets (docs/PROTOCOL.md §1) —
 * /health, /health/live, static files of WWW_ROOT, 404, CORS preflights, 405, 505, bad
 * paths and /history's parameter checks — as bytes on real loopback client
 * sockets (gw_fixture); /health against a real redis-server. */
#include "config.h"

#include "check_main.h"
#include "gw_fixture.h"
#include "price.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* A WWW_ROOT with index.html and app.js, served by fx. */
static void www_start(void)
{
    static const char *const files[][2] = {{"index.html", "<p>prices</p>\n"},
                                           {"app.js", "let x = 1;\n"}};
    gw_fixture_www(&fx, files, 2);
}

/* The answer to request on a new client (caller frees). */
static char *ask(const char *request)
{
    int fd = gw_fixture_client(&fx, NULL);
    char *got = gw_fixture_ask(&fx, fd, request, 2000, NULL);
    close(fd);
    return got;
}

static const char *body_of(const char *response)
{
    const char *end = strstr(response, "\r\n\r\n");
    ck_assert_msg(end != NULL, "no head in %s", response);
    return end + 4;
}

/* Assert the status line and, when given, the JSON error code. */
static void expect(const char *got, const char *status, const char *error)
{
    ck_assert_msg(strncmp(got, status, strlen(status)) == 0, "want %s, got %s", status, got);
    if (!error)
        return;
    json_t *j = json_loads(body_of(got), 0, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", got);
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")), error);
    json_decref(j);
}

START_TEST(health_is_503_until_a_fresh_tick_then_200)
{
    gw_fixture_start(&fx, &redis_fixture);
    char *got = ask("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 503 ", NULL);
    ck_assert_ptr_nonnull(strstr(got, "\r\nContent-Type: application/json\r\n"));
    json_t *j = json_loads(body_of(got), 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "degraded");
    ck_assert(json_is_true(json_object_get(json_object_get(j, "redis"), "connected")));
    ck_assert_str_eq(json_string_value(json_object_get(j, "reason")), "no feeder heartbeat");
    ck_assert(json_is_null(json_object_get(json_object_get(j, "feeder"), "last_tick_age_ms")));
    json_decref(j);
    free(got);

    char tick[512];
    long long now = (long long)price_now_ms();
    snprintf(tick, sizeof tick,
             "{\"id\":\"%lld-0\",\"ts\":%lld,\"prices\":[{\"symbol\":\"BTC\",\"price\":1.5,"
             "\"change24h\":1,\"volume24h\":2,\"high24h\":3,\"low24h\":1,\"ts\":%lld,"
             "\"id\":\"%lld-0\"}]}",
             now, now, now, now);
    gw_fixture_tick(&fx, tick);
    got = ask("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 200 OK\r\n", NULL);
    j = json_loads(body_of(got), 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "feeder"), "ticks")), 1);
    ck_assert_ptr_null(json_object_get(j, "reason"));
    json_decref(j);
    free(got);
    ck_assert_uint_eq(fx.ctx.counters.http_requests, 2);
}
END_TEST

/* The JSON body of got (caller decrefs). */
static json_t *json_body(const char *got)
{
    json_t *j = json_loads(body_of(got), 0, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", got);
    return j;
}

/* /health/live: 200 whatever Redis and the feeder do (docs/PROTOCOL.md §5). */
static void expect_live(const char *got, long long connections)
{
    expect(got, "HTTP/1.1 200 OK\r\n", NULL);
    ck_assert_ptr_nonnull(strstr(got, "\r\nContent-Type: application/json\r\n"));
    json_t *j = json_body(got);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "live");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "connections")), connections);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "max_connections")),
                     fx.conf.max_connections);
    json_decref(j);
}

/* ask, then run the loop until the probe's connection is freed. */
static char *ask_live(const char *request)
{
    char *got = ask(request);
    gw_fixture_run(&fx, 100);
    return got;
}

START_TEST(live_is_200_without_redis)
{
    gw_fixture_start(&fx, NULL); /* no Redis link at all */
    char *got = ask_live("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_live(got, 1);
    free(got);
    got = ask_live("HEAD /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 200 OK\r\n", NULL);
    ck_assert_str_eq(body_of(got), "");
    ck_assert_ptr_nonnull(strstr(got, "\r\nContent-Type: application/json\r\n"));
    free(got);
    got = ask("GET /health/live/x HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 404 ", "not_found");
    free(got);
}
END_TEST

START_TEST(live_is_503_full_at_max_connections)
{
    fx.conf.max_connections = 3;
    gw_fixture_start(&fx, NULL);
    int other = gw_fixture_client(&fx, NULL); /* a client that stays */
    char *got = ask_live("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_live(got, 2); /* the probe's own connection counts */
    free(got);
    int third = gw_fixture_client(&fx, NULL);
    /* Now the probe takes the last place: nobody else could connect. */
    got = ask_live("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 503 ", NULL);
    json_t *j = json_body(got);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "full");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "connections")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "max_connections")), 3);
    json_decref(j);
    free(got);
    close(third);
    gw_fixture_run(&fx, 100);
    got = ask_live("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_live(got, 2);
    free(got);
    close(other);
}
END_TEST

START_TEST(live_is_200_with_redis_but_no_feeder)
{
    gw_fixture_start(&fx, &redis_fixture);
    char *got = ask("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 503 ", NULL); /* no feeder heartbeat */
    free(got);
    gw_fixture_run(&fx, 100);
    got = ask("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_live(got, 1);
    free(got);
}
END_TEST

START_TEST(an_unknown_path_without_www_root_is_404)
{
    gw_fixture_start(&fx, NULL);
    char *got = ask("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 404 Not Found\r\n", "not_found");
    free(got);
}
END_TEST

START_TEST(static_files_come_from_www_root)
{
    gw_fixture_start(&fx, NULL);
    www_start();
    char *got = ask("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 200 OK\r\n", NULL);
    ck_assert_ptr_nonnull(strstr(got, "\r\nContent-Type: text/html"));
    ck_assert_str_eq(body_of(got), "<p>prices</p>\n");
    free(got);
    got = ask("HEAD /app.js HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 200 OK\r\n", NULL);
    ck_assert_ptr_nonnull(strstr(got, "javascript"));
    ck_assert_str_eq(body_of(got), "");
    free(got);
    got = ask("GET /missing.css HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 404 ", "not_found");
    free(got);
    got = ask("GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_msg(strncmp(got, "HTTP/1.1 200", 12) != 0, "%s", got);
    free(got);
}
END_TEST

/* RFC 9112 §9.3: an HTTP/1.0 client keeps the connection only when the
 * response says keep-alive (ab -k waited for a close that never came). */
START_TEST(http_1_0_keep_alive_is_said_in_the_response)
{
    gw_fixture_start(&fx, NULL);
    www_start();
    const char *reqs[] = {"GET /health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                          "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"};
    for (size_t i = 0; i < 2; i++) {
        char *got = ask(reqs[i]);
        expect(got, "HTTP/1.1 200 ", NULL);
        ck_assert_msg(strstr(got, "\r\nConnection: keep-alive\r\n") != NULL, "%s", got);
        free(got);
    }
    char *got = ask("GET /health/live HTTP/1.0\r\n\r\n");
    ck_assert_msg(strstr(got, "\r\nConnection: close\r\n") != NULL, "%s", got);
    free(got);
    got = ask("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_msg(strstr(got, "\r\nConnection:") == NULL, "%s", got);
    free(got);
}
END_TEST

START_TEST(a_preflight_names_what_is_allowed)
{
    gw_fixture_start(&fx, NULL);
    char *got = ask("OPTIONS /events HTTP/1.1\r\nHost: x\r\nOrigin: https://a.example\r\n"
                    "Access-Control-Request-Method: GET\r\n\r\n");
    expect(got, "HTTP/1.1 204 ", NULL);
    ck_assert_ptr_nonnull(strstr(got, "\r\nAccess-Control-Allow-Origin: *\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nAccess-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"));
    ck_assert_ptr_nonnull(strstr(
        got, "\r\nAccess-Control-Allow-Headers: Last-Event-ID, Cache-Control, If-None-Match\r\n"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nAccess-Control-Max-Age: 600\r\n"));
    ck_assert_str_eq(body_of(got), "");
    free(got);
}
END_TEST

START_TEST(a_preflight_from_a_disallowed_origin_is_403)
{
    snprintf(fx.conf.cors_origins, sizeof fx.conf.cors_origins,
             "https://a.example,https://b.example");
    gw_fixture_start(&fx, NULL);
    char *got = ask("OPTIONS /health HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n\r\n");
    expect(got, "HTTP/1.1 403 ", "origin_not_allowed");
    ck_assert_ptr_null(strstr(got, "Access-Control-Allow-Origin"));
    free(got);
    got = ask("OPTIONS /health HTTP/1.1\r\nHost: x\r\nOrigin: https://b.example\r\n\r\n");
    expect(got, "HTTP/1.1 204 ", NULL);
    ck_assert_ptr_nonnull(
        strstr(got, "\r\nAccess-Control-Allow-Origin: https://b.example\r\nVary: Origin\r\n"));
    free(got);
}
END_TEST

START_TEST(a_post_is_405)
{
    gw_fixture_start(&fx, NULL);
    char *got = ask("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    expect(got, "HTTP/1.1 405 Method Not Allowed\r\n", "method_not_allowed");
    ck_assert_ptr_nonnull(strstr(got, "\r\nAllow: GET, HEAD\r\n"));
    free(got);
}
END_TEST

START_TEST(http_2_is_505)
{
    gw_fixture_start(&fx, NULL);
    char *got = ask("GET /health HTTP/2.0\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 505 ", "http_version_not_supported");
    free(got);
}
END_TEST

START_TEST(a_malformed_path_is_400)
{
    gw_fixture_start(&fx, NULL);
    char *got = ask("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 400 ", "bad_request");
    ck_assert_ptr_nonnull(strstr(got, "malformed path"));
    free(got);
    ck_assert_uint_eq(fx.ctx.counters.http_requests, 1);
}
END_TEST

START_TEST(history_checks_its_parameters_before_asking_redis)
{
    gw_fixture_start(&fx, NULL); /* no Redis: none of these may reach it */
    char *got = ask("GET /history HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 400 ", "bad_request");
    ck_assert_ptr_nonnull(strstr(got, "symbol is required"));
    free(got);
    got = ask("GET /history?symbol=BTC&limit=0 HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 400 ", "bad_request");
    free(got);
    got = ask("GET /history?symbol=BTC&limit=1001 HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 400 ", "bad_request");
    free(got);
    gw_fixture_symbols(&fx, "BTC,ETH");
    got = ask("GET /history?symbol=DOGE HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(got, "HTTP/1.1 400 ", "unknown_symbol");
    free(got);
}
END_TEST

static Suite *routes_suite(void)
{
    Suite *s = suite_create("routes");
    TCase *t = tcase_create("requests");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, an_unknown_path_without_www_root_is_404);
    tcase_add_test(t, static_files_come_from_www_root);
    tcase_add_test(t, http_1_0_keep_alive_is_said_in_the_response);
    tcase_add_test(t, a_preflight_names_what_is_allowed);
    tcase_add_test(t, a_preflight_from_a_disallowed_origin_is_403);
    tcase_add_test(t, a_post_is_405);
    tcase_add_test(t, http_2_is_505);
    tcase_add_test(t, a_malformed_path_is_400);
    tcase_add_test(t, history_checks_its_parameters_before_asking_redis);
    tcase_add_test(t, live_is_200_without_redis);
    tcase_add_test(t, live_is_503_full_at_max_connections);
    suite_add_tcase(s, t);
    t = tcase_create("health");
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, health_is_503_until_a_fresh_tick_then_200);
    tcase_add_test(t, live_is_200_with_redis_but_no_feeder);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(routes_suite)
