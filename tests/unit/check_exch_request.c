/* check_exch_request: feeder/exch_request.c — connect URLs and subscribe
 * messages. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "exch_request.h"
#include "exch_testdata.h"

#include <stdlib.h>
#include <string.h>

static const char *const some[] = {"BTC", "ETH", "USDT", "MATIC", "BTC", "BNB"};
#define NSOME (sizeof some / sizeof some[0])

START_TEST(binance_url_carries_lowercase_ticker_streams)
{
    char url[256];
    const char *want = "wss://stream.binance.com:9443/stream?streams=btcusdt@ticker/"
                       "ethusdt@ticker/polusdt@ticker/bnbusdt@ticker";
    int len = exch_request_connect_url(map, EXCH_BINANCE, exch_default_url(EXCH_BINANCE), some,
                                       NSOME, url, sizeof url);
    ck_assert_str_eq(url, want);
    ck_assert_int_eq(len, (int)strlen(want));
}
END_TEST

START_TEST(binance_url_does_not_double_stream_or_slashes)
{
    char url[256];
    static const char *const bases[] = {"ws://127.0.0.1:9/stream", "ws://127.0.0.1:9/stream/",
                                        "ws://127.0.0.1:9/", "ws://127.0.0.1:9"};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        ck_assert_int_gt(
            exch_request_connect_url(map, EXCH_BINANCE, bases[i], some, 1, url, sizeof url), 0);
        ck_assert_str_eq(url, "ws://127.0.0.1:9/stream?streams=btcusdt@ticker");
    }
}
END_TEST

START_TEST(other_exchanges_connect_to_their_base)
{
    char url[256];
    ck_assert_int_eq(exch_request_connect_url(map, EXCH_COINBASE,
                                              "wss://advanced-trade-ws.coinbase.com", some, NSOME,
                                              url, sizeof url),
                     36);
    ck_assert_str_eq(url, "wss://advanced-trade-ws.coinbase.com");
    ck_assert_int_eq(exch_request_connect_url(map, EXCH_KRAKEN, "ws://127.0.0.1:8/v2", some, NSOME,
                                              url, sizeof url),
                     19);
    ck_assert_str_eq(url, "ws://127.0.0.1:8/v2");
}
END_TEST

START_TEST(connect_url_reports_too_small_a_buffer)
{
    char url[64];
    const char *want = "ws://h/stream?streams=btcusdt@ticker";
    size_t len = strlen(want);
    ck_assert_int_eq(exch_request_connect_url(map, EXCH_BINANCE, "ws://h", some, 1, url, len),
                     CP_ETOOBIG);
    ck_assert_str_eq(url, "");
    ck_assert_int_eq(exch_request_connect_url(map, EXCH_BINANCE, "ws://h", some, 1, url, len + 1),
                     (int)len);
    ck_assert_str_eq(url, want);
    ck_assert_int_eq(exch_request_connect_url(map, EXCH_KRAKEN, "ws://h", some, 1, url, 6),
                     CP_ETOOBIG);
    ck_assert_int_eq(exch_request_connect_url(map, EXCH_KRAKEN, "ws://h", some, 1, url, 7), 6);
}
END_TEST

START_TEST(coinbase_subscribes_to_ticker_and_heartbeats)
{
    char *msgs[EXCH_REQUEST_SUBSCRIBE_MAX] = {0};
    ck_assert_uint_eq(exch_request_subscribe(map, EXCH_COINBASE, some, NSOME, msgs), 2);
    ck_assert_str_eq(msgs[0], "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\",\"ETH-USD\","
                              "\"USDT-USD\",\"POL-USD\"],\"channel\":\"ticker\"}");
    ck_assert_str_eq(msgs[1], "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\",\"ETH-USD\","
                              "\"USDT-USD\",\"POL-USD\"],\"channel\":\"heartbeats\"}");
    free(msgs[0]);
    free(msgs[1]);
}
END_TEST

START_TEST(kraken_subscribes_to_ticker_with_a_snapshot)
{
    char *msgs[EXCH_REQUEST_SUBSCRIBE_MAX] = {0};
    ck_assert_uint_eq(exch_request_subscribe(map, EXCH_KRAKEN, some, NSOME, msgs), 1);
    ck_assert_str_eq(msgs[0], "{\"method\":\"subscribe\",\"params\":{\"channel\":\"ticker\","
                              "\"symbol\":[\"BTC/USD\",\"ETH/USD\",\"USDT/USD\",\"POL/USD\"],"
                              "\"snapshot\":true},\"req_id\":1}");
    free(msgs[0]);
}
END_TEST

START_TEST(no_subscribe_messages_for_binance_or_unmapped_symbols)
{
    char *msgs[EXCH_REQUEST_SUBSCRIBE_MAX] = {0};
    static const char *const bnb[] = {"BNB", "NOPE"};
    ck_assert_uint_eq(exch_request_subscribe(map, EXCH_BINANCE, some, NSOME, msgs), 0);
    ck_assert_uint_eq(exch_request_subscribe(map, EXCH_COINBASE, bnb, 2, msgs), 0);
    ck_assert_uint_eq(exch_request_subscribe(map, EXCH_KRAKEN, bnb, 2, msgs), 0);
    ck_assert_uint_eq(exch_request_subscribe(map, EXCH_KRAKEN, bnb, 0, msgs), 0);
    ck_assert_ptr_null(msgs[0]);
}
END_TEST

static Suite *exch_request_suite(void)
{
    Suite *s = suite_create("exch_request");
    TCase *t1 = tcase_create("map");
    tcase_add_checked_fixture(t1, setup, teardown);
    tcase_add_test(t1, binance_url_carries_lowercase_ticker_streams);
    tcase_add_test(t1, binance_url_does_not_double_stream_or_slashes);
    tcase_add_test(t1, other_exchanges_connect_to_their_base);
    tcase_add_test(t1, connect_url_reports_too_small_a_buffer);
    tcase_add_test(t1, coinbase_subscribes_to_ticker_and_heartbeats);
    tcase_add_test(t1, kraken_subscribes_to_ticker_with_a_snapshot);
    tcase_add_test(t1, no_subscribe_messages_for_binance_or_unmapped_symbols);
    suite_add_tcase(s, t1);
    return s;
}

CHECK_MAIN(exch_request_suite)
