/* Unit tests of the gateway's candles (docs/PROTOCOL.md §1 /history with
 * interval, §2 history): GET /history?interval=&from=&to=&limit= as bytes
 * on real loopback connections (gw_fixture) through routes.c, answer.c,
 * rdb.c and conn.c, against a real redis-server holding members written
 * here in the stored format (the contract, not lib/candles' encoder);
 * ETag/304, the WebSocket history message, bad parameters and Redis gone. */
#include "config.h"

#include "answer.h"
#include "candles.h"
#include "check_main.h"
#include "conn.h"
#include "etag.h"
#include "gw_fixture.h"
#include "gw_wire.h"
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1738454400000LL /* 2025-02-02T00:00Z */
#define H 3600000LL

/* The stored candles of BTC 1h: two closed, the newest open. */
#define C0 "[1738454400000,100624.9,100700,100500.12,100650.12,4130816]"
#define C1 "[1738458000000,100650.12,100800,100600,100700.5,1000.25]"
#define C2 "[1738461600000,100700.5,100900,100650,100800,500]"

static struct redis_server gone; /* one stopped by the test */
static struct gw_fixture fx;
static redisContext *redis;
static char btc_key[KEYS_MAX];

static void setup(void)
{
    gw_fixture_init(&fx);
    redis = gw_wire_redis(&redis_fixture);
    gw_wire_redis_ok(redis, "FLUSHALL");
    candles_key(btc_key, sizeof btc_key, fx.conf.redis_prefix, "BTC", CANDLES_1H);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
    redisFree(redis);
    redis_server_free(&gone);
}

static void store_btc(void)
{
    gw_wire_redis_ok(redis, "ZADD %s %lld %s %lld %s %lld %s", btc_key, T0, "c" C0, T0 + H, "c" C1,
                     T0 + 2 * H, "o" C2);
}

static void start(void)
{
    gw_fixture_start(&fx, &redis_fixture);
    store_btc();
}

/* The whole response to GET (or method) /history?query on a new
 * connection, with the extra header lines (CRLF-ended, or ""). */
static char *ask_history(const char *method, const char *query, const char *extra)
{
    char req[1024];
    snprintf(req, sizeof req, "%s /history?%s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n",
             method, query, extra);
    int fd = gw_fixture_client(&fx, NULL);
    char *got = gw_fixture_ask(&fx, fd, req, 2000, NULL);
    close(fd);
    return got;
}

/* The body of a 200 answer, cacheable (an ETag, Cache-Control: public) or
 * not (Cache-Control: no-cache, no ETag). */
static void expect_body(const char *query, const char *body, bool cacheable)
{
    char *got = ask_history("GET", query, "");
    ck_assert_msg(gw_wire_status(got) == 200, "%s: %s", query, got);
    ck_assert_str_eq(gw_wire_body(got), body);
    const char *cache = cacheable ? "\r\nCache-Control: public, max-age=86400\r\n"
                                  : "\r\nCache-Control: no-cache\r\n";
    ck_assert_msg(strstr(got, cache) != NULL, "%s: %s", query, got);
    ck_assert_msg((strstr(got, "\r\nETag: \"") != NULL) == cacheable, "%s: %s", query, got);
    free(got);
}

static void expect_fresh(const char *query, const char *body)
{
    expect_body(query, body, false);
}

#define BODY(candles, open)                                                                        \
    "{\"symbol\":\"BTC\",\"interval\":\"1h\",\"candles\":[" candles "],\"last_open\":" open "}"

START_TEST(all_candles_oldest_first_the_open_one_last)
{
    start();
    expect_fresh("symbol=BTC&interval=1h", BODY(C0 "," C1 "," C2, "true"));
    /* The old form is still there without interval. */
    char *got = ask_history("GET", "symbol=BTC&limit=5", "");
    ck_assert_str_eq(gw_wire_body(got), "{\"symbol\":\"BTC\",\"points\":[]}");
    ck_assert_ptr_nonnull(strstr(got, "\r\nCache-Control: no-store\r\n"));
    free(got);
}
END_TEST

START_TEST(from_to_and_limit_select_by_open_time)
{
    start();
    expect_body("symbol=BTC&interval=1h&from=1738458000000&to=1738458000000&limit=5000",
                BODY(C1, "false"), true);
    expect_fresh("symbol=BTC&interval=1h&from=1738454400001", BODY(C1 "," C2, "true"));
    expect_fresh("symbol=BTC&interval=1h&limit=1", BODY(C2, "true"));
    expect_fresh("symbol=BTC&interval=1h&limit=2", BODY(C1 "," C2, "true"));
    expect_fresh("symbol=BTC&interval=1h&from=1738454400000&limit=1", BODY(C0, "false"));
    expect_fresh("symbol=BTC&interval=1h&from=1738461600001", BODY("", "false"));
    /* Without from, the last limit candles up to to. */
    expect_body("symbol=BTC&interval=1h&to=1738458000001&limit=1", BODY(C1, "false"), true);
    expect_body("symbol=BTC&interval=1h&to=1738454399999", BODY("", "false"), true);
}
END_TEST

START_TEST(a_closed_range_has_an_etag_and_a_304)
{
    start();
    const char *q = "symbol=BTC&interval=1h&from=1738454400000&to=1738458000000";
    const char *body = BODY(C0 "," C1, "false");
    char etag[ETAG_MAX], hdr[128], want[128];
    etag_format(body, strlen(body), NULL, etag);
    char *got = ask_history("GET", q, "");
    ck_assert_int_eq(gw_wire_status(got), 200);
    ck_assert_str_eq(gw_wire_body(got), body);
    ck_assert_ptr_nonnull(strstr(got, "\r\nCache-Control: public, max-age=86400\r\n"));
    snprintf(want, sizeof want, "\r\nETag: %s\r\n", etag);
    ck_assert_msg(strstr(got, want) != NULL, "%s", got);
    free(got);
    /* HEAD: the same head, no body. */
    got = ask_history("HEAD", q, "");
    ck_assert_int_eq(gw_wire_status(got), 200);
    ck_assert_str_eq(gw_wire_body(got), "");
    ck_assert_ptr_nonnull(strstr(got, want));
    free(got);
    /* If-None-Match naming it (among others, weak or not): 304, no body. */
    snprintf(hdr, sizeof hdr, "If-None-Match: \"x\", W/%s\r\n", etag);
    got = ask_history("GET", q, hdr);
    ck_assert_int_eq(gw_wire_status(got), 304);
    ck_assert_str_eq(gw_wire_body(got), "");
    ck_assert_ptr_nonnull(strstr(got, want));
    ck_assert_ptr_nonnull(strstr(got, "\r\nCache-Control: public, max-age=86400\r\n"));
    ck_assert_ptr_null(strstr(got, "Content-Length"));
    free(got);
    got = ask_history("GET", q, "If-None-Match: \"1-0000000000000000\"\r\n");
    ck_assert_int_eq(gw_wire_status(got), 200);
    free(got);
    /* Before the first candle: closed for good too, and empty. */
    got = ask_history("GET", "symbol=BTC&interval=1h&to=1", "");
    ck_assert_str_eq(gw_wire_body(got), BODY("", "false"));
    ck_assert_ptr_nonnull(strstr(got, "\r\nETag: \""));
    free(got);
}
END_TEST

START_TEST(a_304_keeps_the_connection_for_the_next_request)
{
    start();
    const char *body = BODY(C0, "false");
    char etag[ETAG_MAX], req[512];
    etag_format(body, strlen(body), NULL, etag);
    snprintf(req, sizeof req,
             "GET /history?symbol=BTC&interval=1h&to=1738454400000 HTTP/1.1\r\nHost: x\r\n"
             "If-None-Match: %s\r\n\r\n"
             "GET /history?symbol=BTC&interval=1h&limit=1 HTTP/1.1\r\nHost: x\r\n"
             "Connection: close\r\n\r\n",
             etag);
    int fd = gw_fixture_client(&fx, NULL);
    char *got = gw_fixture_ask(&fx, fd, req, 2000, NULL);
    close(fd);
    ck_assert_int_eq(gw_wire_status(got), 304);
    const char *second = strstr(got + 1, "HTTP/1.1 ");
    ck_assert_ptr_nonnull(second);
    ck_assert_int_eq(gw_wire_status(second), 200);
    ck_assert_str_eq(gw_wire_body(second), BODY(C2, "true"));
    free(got);
}
END_TEST

START_TEST(ranges_reaching_the_open_candle_are_not_cached)
{
    start();
    /* to is the open candle's time: it may still change. */
    expect_fresh("symbol=BTC&interval=1h&to=1738461600000", BODY(C0 "," C1 "," C2, "true"));
    expect_fresh("symbol=BTC&interval=1h&from=1738454400000&to=1738461600001",
                 BODY(C0 "," C1 "," C2, "true"));
    /* No candles at all, no newest: nothing is known to be closed. */
    expect_fresh("symbol=ETH&interval=1h&to=1",
                 "{\"symbol\":\"ETH\",\"interval\":\"1h\",\"candles\":[],\"last_open\":false}");
}
END_TEST

START_TEST(members_that_do_not_parse_are_left_out)
{
    start();
    gw_wire_redis_ok(redis, "ZADD %s %lld %s %lld %s", btc_key, T0 + H / 2, "c[1,2", T0 + H / 4,
                     "x" C0);
    expect_body("symbol=BTC&interval=1h&from=1738454400000&to=1738461599999&limit=10",
                BODY(C0 "," C1, "false"), true);
    expect_fresh("symbol=BTC&interval=1h&limit=3", BODY(C1 "," C2, "true"));
}
END_TEST

/* A 400 with code whose message holds what. */
static void refused(const char *query, const char *code, const char *what)
{
    char *got = ask_history("GET", query, "");
    ck_assert_msg(gw_wire_status(got) == 400, "%s: %s", query, got);
    json_t *j = json_loads(gw_wire_body(got), 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")), code);
    const char *message = json_string_value(json_object_get(j, "message"));
    ck_assert_msg(strstr(message, what) != NULL, "%s: %s lacks %s", query, message, what);
    json_decref(j);
    free(got);
}

START_TEST(bad_parameters_are_refused_before_asking_redis)
{
    gw_fixture_start(&fx, NULL); /* no Redis: none of these may reach it */
    refused("symbol=BTC&interval=2h", "bad_request", "interval");
    refused("symbol=BTC&interval=", "bad_request", "interval");
    refused("symbol=BTC&interval=1h&from=abc", "bad_request", "from");
    refused("symbol=BTC&interval=1h&from=-1", "bad_request", "from");
    refused("symbol=BTC&interval=1h&to=1.5", "bad_request", "to");
    refused("symbol=BTC&interval=1h&from=2&to=1", "bad_request", "from");
    refused("symbol=BTC&interval=1h&limit=0", "bad_request", "limit");
    refused("symbol=BTC&interval=1h&limit=5001", "bad_request", "limit");
    refused("symbol=BTC&interval=1h&limit=100000000000000000000000", "bad_request", "limit");
    refused("symbol=BTC&from=1", "bad_request", "interval");
    refused("symbol=BTC&to=1", "bad_request", "interval");
    refused("interval=1h", "bad_request", "symbol");
    gw_fixture_symbols(&fx, "BTC,ETH");
    refused("symbol=DOGE&interval=1h", "unknown_symbol", "not carried");
}
END_TEST

START_TEST(without_redis_it_is_503_unavailable)
{
    ck_assert(redis_server_start(&gone));
    gw_fixture_start(&fx, &gone);
    gw_fixture_redis_gone(&fx, &gone);
    char *got = ask_history("GET", "symbol=BTC&interval=1h", "");
    ck_assert_int_eq(gw_wire_status(got), 503);
    ck_assert_ptr_nonnull(strstr(gw_wire_body(got), "\"error\":\"unavailable\""));
    free(got);
}
END_TEST

START_TEST(websocket_history_carries_the_same_payload)
{
    start();
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    c->kind = CONN_WS; /* made a WebSocket one by hand, as check_answer does */
    fx.ctx.counters.ws_current++;
    char err[128];
    struct history_query hq = {.candles = true};
    ck_assert_int_eq(
        candles_query_check("BTC", "1h", NULL, "1738458000000", "5", &hq.q, err, sizeof err), 0);
    answer_history(c, &hq);
    size_t n;
    char *raw = gw_fixture_read(&fx, fd, 2000, &n);
    json_t *m = gw_wire_ws_messages(raw, n);
    ck_assert_uint_eq(json_array_size(m), 1);
    json_t *want = json_pack("{s:s, s:o}", "event", "history", "data",
                             json_loads(BODY(C0 "," C1, "false"), 0, NULL));
    ck_assert(json_equal(json_array_get(m, 0), want));
    json_decref(want);
    json_decref(m);
    free(raw);
    close(fd);
}
END_TEST

static Suite *history_candles_suite(void)
{
    Suite *s = suite_create("history_candles");
    TCase *t = tcase_create("redis");
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30); /* loopback round trips, slower under load */
    tcase_add_test(t, all_candles_oldest_first_the_open_one_last);
    tcase_add_test(t, from_to_and_limit_select_by_open_time);
    tcase_add_test(t, a_closed_range_has_an_etag_and_a_304);
    tcase_add_test(t, a_304_keeps_the_connection_for_the_next_request);
    tcase_add_test(t, ranges_reaching_the_open_candle_are_not_cached);
    tcase_add_test(t, members_that_do_not_parse_are_left_out);
    tcase_add_test(t, bad_parameters_are_refused_before_asking_redis);
    tcase_add_test(t, without_redis_it_is_503_unavailable);
    tcase_add_test(t, websocket_history_carries_the_same_payload);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(history_candles_suite)
