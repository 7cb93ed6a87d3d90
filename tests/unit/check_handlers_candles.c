/* Unit tests of cryptopulse-fcgi's candles (fcgi/handlers.c, probe.c,
 * reply.c; docs/PROTOCOL.md §1 /history with interval) against a real
 * redis-server holding members written here in the stored format: the CGI
 * bytes of each answer — selection by from/to/limit, ETag, Cache-Control
 * and 304 on HTTP_IF_NONE_MATCH, HEAD, the 400s, unknown symbols and 503
 * while Redis is stopped. */
#include "config.h"

#include "candles.h"
#include "check_main.h"
#include "etag.h"
#include "handlers.h"
#include "keys.h"
#include "log.h"
#include "redis_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define C0 "[1738454400000,100624.9,100700,100500.12,100650.12,4130816]"
#define C1 "[1738458000000,100650.12,100800,100600,100700.5,1000.25]"
#define C2 "[1738461600000,100700.5,100900,100650,100800,500]"
#define BODY(candles, open)                                                                        \
    "{\"symbol\":\"BTC\",\"interval\":\"1h\",\"candles\":[" candles "],\"last_open\":" open "}"

static struct redis_server srv;
static struct cp_conf conf;
static struct probe *probe;
static struct handlers_state handlers;

static void redis_up(void)
{
    if (!redis_server_start(&srv))
        srv.port = 0; /* setup fails the tests with a message */
}

static void redis_down(void)
{
    redis_server_free(&srv);
}

static void setup(void)
{
    char out[16], key[KEYS_MAX];
    log_init("check_handlers_candles", LOG_ERROR);
    ck_assert_msg(srv.port > 0, "redis-server did not start");
    ck_assert(redis_server_cmd(&srv, out, sizeof out, "FLUSHALL"));
    conf_defaults(&conf);
    snprintf(conf.redis_host, sizeof conf.redis_host, "127.0.0.1");
    conf.redis_port = srv.port;
    probe = probe_new(&conf);
    handlers_init(&handlers, &conf, probe);
    candles_key(key, sizeof key, conf.redis_prefix, "BTC", CANDLES_1H);
    ck_assert(redis_server_cmd(&srv, out, sizeof out, "ZADD %s 1738454400000 %s", key, "c" C0));
    ck_assert(redis_server_cmd(&srv, out, sizeof out, "ZADD %s 1738458000000 %s", key, "c" C1));
    ck_assert(redis_server_cmd(&srv, out, sizeof out, "ZADD %s 1738461600000 %s", key, "o" C2));
}

static void teardown(void)
{
    probe_free(probe);
}

/* The CGI answer to method /history?query with HTTP_IF_NONE_MATCH inm
 * (NULL: none), as mod_proxy_fcgi passes it; the caller frees it. */
static char *ask(const char *method, const char *query, const char *inm)
{
    struct route_vars v = {method, "/history", NULL, NULL, query, inm};
    size_t len = 0;
    char *out = handlers_answer(&handlers, &v, &len);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(strlen(out), len);
    return out;
}

static int status_of(const char *r)
{
    int status = 0;
    ck_assert_int_eq(sscanf(r, "Status: %d ", &status), 1);
    return status;
}

static const char *body_of(const char *r)
{
    const char *end = strstr(r, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    return end + 4;
}

/* A 200 with body, cacheable (its ETag, public max-age) or not (no-cache). */
static void expect_body(const char *query, const char *body, bool cacheable)
{
    char *r = ask("GET", query, NULL), etag[ETAG_MAX], want[96];
    ck_assert_msg(status_of(r) == 200, "%s: %s", query, r);
    ck_assert_str_eq(body_of(r), body);
    snprintf(want, sizeof want, "\r\nContent-Length: %zu\r\n", strlen(body));
    ck_assert_ptr_nonnull(strstr(r, want));
    ck_assert_ptr_nonnull(strstr(r, "\r\nContent-Type: application/json\r\n"));
    if (cacheable) {
        etag_format(body, strlen(body), NULL, etag);
        snprintf(want, sizeof want, "\r\nETag: %s\r\n", etag);
        ck_assert_msg(strstr(r, want) != NULL, "%s: %s", query, r);
        ck_assert_ptr_nonnull(strstr(r, "\r\nCache-Control: public, max-age=86400\r\n"));
    } else {
        ck_assert_msg(strstr(r, "\r\nETag:") == NULL, "%s: %s", query, r);
        ck_assert_ptr_nonnull(strstr(r, "\r\nCache-Control: no-cache\r\n"));
    }
    free(r);
}

START_TEST(candles_are_selected_as_the_gateway_selects_them)
{
    expect_body("symbol=BTC&interval=1h", BODY(C0 "," C1 "," C2, "true"), false);
    expect_body("symbol=BTC&interval=1h&limit=1", BODY(C2, "true"), false);
    expect_body("symbol=BTC&interval=1h&from=1738454400000&limit=1", BODY(C0, "false"), false);
    expect_body("symbol=BTC&interval=1h&from=1738454400001", BODY(C1 "," C2, "true"), false);
    expect_body("symbol=BTC&interval=1h&from=1738458000000&to=1738458000000", BODY(C1, "false"),
                true);
    expect_body("symbol=BTC&interval=1h&to=1738458000001&limit=1", BODY(C1, "false"), true);
    expect_body("symbol=BTC&interval=1h&to=1", BODY("", "false"), true);
    expect_body("symbol=BTC&interval=1h&to=1738461600000", BODY(C0 "," C1 "," C2, "true"), false);
    expect_body("symbol=ETH&interval=1d",
                "{\"symbol\":\"ETH\",\"interval\":\"1d\",\"candles\":[],\"last_open\":false}",
                false);
}
END_TEST

START_TEST(a_matching_if_none_match_is_a_304)
{
    const char *q = "symbol=BTC&interval=1h&to=1738458000000";
    const char *body = BODY(C0 "," C1, "false");
    char etag[ETAG_MAX], inm[128];
    etag_format(body, strlen(body), NULL, etag);
    snprintf(inm, sizeof inm, "\"other\", %s", etag);
    char *r = ask("GET", q, inm);
    char want[96];
    snprintf(want, sizeof want,
             "Status: 304 Not Modified\r\nCache-Control: public, "
             "max-age=86400\r\nETag: %s\r\n\r\n",
             etag);
    ck_assert_str_eq(r, want);
    free(r);
    r = ask("GET", q, "\"1-0000000000000000\"");
    ck_assert_int_eq(status_of(r), 200);
    ck_assert_str_eq(body_of(r), body);
    free(r);
    /* HEAD: the headers of the GET, no body. */
    r = ask("HEAD", q, NULL);
    ck_assert_int_eq(status_of(r), 200);
    ck_assert_str_eq(body_of(r), "");
    snprintf(want, sizeof want, "\r\nETag: %s\r\n", etag);
    ck_assert_ptr_nonnull(strstr(r, want));
    free(r);
    /* A range that may still change is never 304, whatever the tag. */
    r = ask("GET", "symbol=BTC&interval=1h", "*");
    ck_assert_int_eq(status_of(r), 200);
    free(r);
}
END_TEST

/* A 400 with code whose message holds what. */
static void refused(const char *query, const char *code, const char *what)
{
    char *r = ask("GET", query, NULL);
    ck_assert_msg(status_of(r) == 400, "%s: %s", query, r);
    json_t *j = json_loads(body_of(r), 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")), code);
    const char *message = json_string_value(json_object_get(j, "message"));
    ck_assert_msg(strstr(message, what) != NULL, "%s: %s lacks %s", query, message, what);
    ck_assert_ptr_nonnull(strstr(r, "\r\nCache-Control: no-store\r\n"));
    json_decref(j);
    free(r);
}

START_TEST(bad_parameters_and_unknown_symbols_are_refused)
{
    char out[16];
    refused("symbol=BTC&interval=2h", "bad_request", "interval");
    refused("symbol=BTC&interval=1h&from=abc", "bad_request", "from");
    refused("symbol=BTC&interval=1h&to=x", "bad_request", "to");
    refused("symbol=BTC&interval=1h&from=2&to=1", "bad_request", "from");
    refused("symbol=BTC&interval=1h&limit=0", "bad_request", "limit");
    refused("symbol=BTC&interval=1h&limit=5001", "bad_request", "limit");
    refused("symbol=BTC&from=1", "bad_request", "interval");
    refused("interval=1h", "bad_request", "symbol");
    ck_assert(
        redis_server_cmd(&srv, out, sizeof out, "SET %s %s", "cryptopulse:symbols", "BTC,ETH"));
    refused("symbol=DOGE&interval=1h", "unknown_symbol", "not carried");
    expect_body("symbol=BTC&interval=1h&limit=1", BODY(C2, "true"), false);
}
END_TEST

START_TEST(redis_stopped_is_503_unavailable)
{
    redis_server_stop(&srv);
    char out[16]; /* a forked test cannot wait for it: wait until it is gone */
    for (int i = 0; i < 500 && redis_server_cmd(&srv, out, sizeof out, "PING"); i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    char *r = ask("GET", "symbol=BTC&interval=1h", NULL);
    ck_assert_int_eq(status_of(r), 503);
    ck_assert_ptr_nonnull(strstr(body_of(r), "\"error\":\"unavailable\""));
    free(r);
    ck_assert(redis_server_restart(&srv));
}
END_TEST

static Suite *handlers_candles_suite(void)
{
    Suite *s = suite_create("handlers_candles");
    TCase *t = tcase_create("redis");
    tcase_add_unchecked_fixture(t, redis_up, redis_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, candles_are_selected_as_the_gateway_selects_them);
    tcase_add_test(t, a_matching_if_none_match_is_a_304);
    tcase_add_test(t, bad_parameters_and_unknown_symbols_are_refused);
    tcase_add_test(t, redis_stopped_is_503_unavailable);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(handlers_candles_suite)
