/* check_source: feeder/source.c on a libevent loop against a scripted
 * WebSocket server in the test (wsclient_testsrv.h) speaking Kraken v2 on
 * 127.0.0.1: subscribing, quotes reaching the live rule, a silent connection
 * dropped after SOURCE_STALE_MS and reconnected, backoff after a refused
 * connection, a refused subscription. */
#include "config.h"

#include "check_main.h"
#include "strlist.h"
#include "exch_map.h"
#include "live.h"
#include "price.h"
#include "source.h"
#include "wsclient_testsrv.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICKER                                                                                     \
    "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\",\"last\":"      \
    "97000.1,\"volume\":1234.5,\"low\":95000,\"high\":98000.75,\"change_pct\":-0.91}]}"

static struct event_base *base;
static struct exch_map *map;
static struct live *live;
static struct source *src;
static struct server *srv;
static char src_url[64];

static void start_fixture(void)
{
    char err[256];
    base = event_base_new();
    map = exch_map_new("", err, sizeof err);
    const char *names[] = {"kraken"};
    struct live_rule rule = {10000, 5};
    live = live_new("BTC", names, 1, &rule, err, sizeof err);
    ck_assert_ptr_nonnull(live);
    srv = NULL;
    src = NULL;
}

static void stop_fixture(void)
{
    source_free(src);
    if (srv)
        server_free(srv);
    live_free(live);
    exch_map_free(map);
    event_base_free(base);
}

/* A source on srv's port (or port when there is no server) with stale_ms,
 * started, run for ms of loop time. */
static void run_source(int port, int64_t stale_ms, int ms)
{
    snprintf(src_url, sizeof src_url, "ws://127.0.0.1:%d", srv ? srv->port : port);
    struct source_settings ss = {src_url, stale_ms, 3600000, 1000};
    src = source_new(base, NULL, EXCH_KRAKEN, 0, map, live, &ss);
    ck_assert_str_eq(source_name(src), "kraken");
    source_start(src);
    struct timeval tv = strlist_timeval_ms(ms);
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

START_TEST(subscribes_and_hands_quotes_to_the_live_rule)
{
    srv = server_new(base, S_SAY, NULL);
    srv->say = TICKER;
    run_source(0, 10000, 400);
    const struct source_state *st = source_state(src);
    ck_assert(st->connected);
    ck_assert_uint_eq(st->messages, 1);
    ck_assert_uint_eq(st->quotes, 1);
    ck_assert_uint_eq(st->malformed, 0);
    ck_assert_uint_eq(st->reconnects, 0);
    ck_assert_int_gt(st->last_message_ms, 0);
    ck_assert_str_eq(st->last_error, "");
    ck_assert(strstr(srv->text, "\"method\":\"subscribe\""));
    ck_assert(strstr(srv->text, "\"BTC/USD\""));
    ck_assert(live_source_fresh(live, 0, price_now_ms()));
}
END_TEST

START_TEST(drops_a_silent_connection_and_reconnects)
{
    srv = server_new(base, S_SAY, NULL);
    srv->say = "{\"channel\":\"heartbeat\"}";
    run_source(0, 300, 1700);
    const struct source_state *st = source_state(src);
    ck_assert_int_ge(srv->accepts, 2);
    ck_assert_uint_ge(st->reconnects, 1);
    ck_assert_uint_ge(st->messages, 2);
    ck_assert_uint_eq(st->quotes, 0);
    ck_assert_msg(strncmp(st->last_error, "silent for ", 11) == 0, "%s", st->last_error);
}
END_TEST

START_TEST(backs_off_after_a_refused_connection)
{
    struct server *gone = server_new(base, S_NONE, NULL);
    int port = gone->port;
    server_free(gone); /* nobody listens there now */
    run_source(port, 10000, 1400);
    const struct source_state *st = source_state(src);
    ck_assert(!st->connected);
    ck_assert_uint_eq(st->messages, 0);
    /* the first retry comes after SOURCE_ATTEMPT_GAP_MS, not at once */
    ck_assert_uint_eq(st->reconnects, 1);
    ck_assert_str_eq(st->last_error, "connect: Connection refused");
}
END_TEST

START_TEST(closes_on_a_refused_subscription)
{
    srv = server_new(base, S_SAY, NULL);
    srv->say = "{\"method\":\"subscribe\",\"success\":false,\"error\":\"Currency pair not "
               "supported\"}";
    run_source(0, 10000, 400);
    const struct source_state *st = source_state(src);
    ck_assert_uint_eq(st->rejected, 1);
    ck_assert_uint_eq(st->quotes, 0);
    ck_assert(!st->connected);
    ck_assert_str_eq(st->last_error, "closed by the client: 1000 subscription refused");
    ck_assert_int_eq(srv->close_code, 1000);
}
END_TEST

START_TEST(counts_a_malformed_message_and_stays)
{
    srv = server_new(base, S_SAY, NULL);
    srv->say = "[1,\"ticker\"]"; /* a Kraken v1 message */
    run_source(0, 10000, 400);
    const struct source_state *st = source_state(src);
    ck_assert_uint_eq(st->malformed, 1);
    ck_assert_uint_eq(st->messages, 1);
    ck_assert(st->connected);
    ck_assert_uint_eq(st->reconnects, 0);
}
END_TEST

static Suite *source_suite(void)
{
    Suite *s = suite_create("source");
    TCase *t = tcase_create("loop");
    tcase_set_timeout(t, 30);
    tcase_add_unchecked_fixture(t, ignore_sigpipe, NULL);
    tcase_add_checked_fixture(t, start_fixture, stop_fixture);
    tcase_add_test(t, subscribes_and_hands_quotes_to_the_live_rule);
    tcase_add_test(t, drops_a_silent_connection_and_reconnects);
    tcase_add_test(t, backs_off_after_a_refused_connection);
    tcase_add_test(t, closes_on_a_refused_subscription);
    tcase_add_test(t, counts_a_malformed_message_and_stays);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(source_suite)
