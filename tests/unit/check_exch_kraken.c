/* check_exch_kraken: feeder/exch_kraken.c — Kraken v2 tickers and control
 * messages, v1 recordings refused. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "exch_testdata.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Kraken ---- */

START_TEST(kraken_v2_ticker_gives_quotes_without_a_time)
{
    ck_assert_int_eq(parse(EXCH_KRAKEN, kraken(NULL, NULL)), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 1);
    ck_assert_str_eq(q[0].symbol, "BTC");
    ck_assert(q[0].price == 97000.1 && q[0].change24h == -0.91 && q[0].high24h == 98000.75 &&
              q[0].low24h == 95000.0 && q[0].volume24h == 1234.5678);
    ck_assert(q[0].has_stats);
    ck_assert_int_eq(q[0].ts_ms, 0);
    const char *snapshot =
        "{\"channel\":\"ticker\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"ETH/USD\","
        "\"bid\":3000.1,\"bid_qty\":2.0,\"ask\":3000.2,\"ask_qty\":1.0,\"last\":3000,"
        "\"volume\":0,\"vwap\":2990.5,\"low\":2950.25,\"high\":3050,\"change\":12.5,"
        "\"change_pct\":0.42},{\"symbol\":\"XBT/USD\",\"last\":\"x\"},{\"symbol\":\"SOL/USD\","
        "\"last\":150.5,\"volume\":1e3,\"low\":140,\"high\":155,\"change_pct\":-100}]}";
    ck_assert_msg(parse(EXCH_KRAKEN, snapshot) == EXCH_QUOTES, "%s", err);
    ck_assert_uint_eq(nq, 2);
    ck_assert_str_eq(q[0].symbol, "ETH");
    ck_assert(q[0].price == 3000.0 && q[0].volume24h == 0.0 && q[0].high24h == 3050.0);
    ck_assert_str_eq(q[1].symbol, "SOL");
    ck_assert(q[1].volume24h == 1000.0 && q[1].change24h == -100.0);
}
END_TEST

START_TEST(kraken_control_messages)
{
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"channel\":\"heartbeat\"}"), EXCH_HEARTBEAT);
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"channel\":\"status\",\"type\":\"update\",\"data\":[{"
                                        "\"api_version\":\"v2\",\"connection_id\":1,"
                                        "\"system\":\"online\",\"version\":\"2.0.0\"}]}"),
                     EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"method\":\"subscribe\",\"result\":{\"channel\":"
                                        "\"ticker\",\"snapshot\":true,\"symbol\":\"BTC/USD\"},"
                                        "\"success\":true,\"time_in\":\"2026-08-09T21:05:48."
                                        "1Z\",\"time_out\":\"2026-08-09T21:05:48.2Z\","
                                        "\"req_id\":1}"),
                     EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"method\":\"pong\",\"req_id\":2}"), EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"error\":\"Currency pair not supported FOO/USD\","
                                        "\"method\":\"subscribe\",\"req_id\":1,\"success\":false,"
                                        "\"symbol\":\"FOO/USD\"}"),
                     EXCH_REJECT);
    ck_assert_str_eq(err, "Currency pair not supported FOO/USD");
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"method\":\"subscribe\",\"success\":false}"),
                     EXCH_REJECT);
    ck_assert_str_eq(err, "(no message)");
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"channel\":\"book\",\"type\":\"update\",\"data\":[]}"),
                     EXCH_IGNORED);
    ck_assert_int_eq(parse(EXCH_KRAKEN, "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[]}"),
                     EXCH_IGNORED);
}
END_TEST

static void expect_kraken_not_quotes(const char *msg, size_t lineno)
{
    expect_not_quotes(EXCH_KRAKEN, msg, lineno);
}

START_TEST(kraken_v1_recordings_are_not_mistaken_for_quotes)
{
    if (!have_samples())
        return;
    ck_assert_uint_eq(
        each_recorded("cryptofeed_KRAKEN.ws.49.0_ticker.txt", expect_kraken_not_quotes), 60);
    ck_assert_uint_eq(
        each_recorded("cryptofeed_KRAKEN.ws.48.0_trade.txt", expect_kraken_not_quotes), 49);
    /* a v1 ticker of a mapped pair, in v2 spelling, is still not a quote */
    ck_assert_int_eq(parse(EXCH_KRAKEN, "[340,{\"c\":[\"97000.1\",\"0.1\"]},\"ticker\",\"BTC/"
                                        "USD\"]"),
                     CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "v1"));
}
END_TEST

static const struct hostile kraken_hostile[] = {{"last", "\"97000.1\""},
                                                {"last", "1e300"},
                                                {"last", "99999999999999"},
                                                {"last", "1e12"},
                                                {"last", "-97000.1"},
                                                {"last", "0"},
                                                {"last", "0.0"},
                                                {"last", "\"NaN\""},
                                                {"last", "\"\""},
                                                {"last", "null"},
                                                {"last", "[97000.1]"},
                                                {"last", NULL},
                                                {"volume", "\"1.5\""},
                                                {"volume", "-0.001"},
                                                {"volume", "1e300"},
                                                {"volume", NULL},
                                                {"low", "-1"},
                                                {"low", "\"95000\""},
                                                {"low", NULL},
                                                {"high", "0"},
                                                {"high", NULL},
                                                {"change_pct", "\"1\""},
                                                {"change_pct", "-100.01"},
                                                {"change_pct", "1e300"},
                                                {"change_pct", NULL},
                                                {"symbol", "[\"BTC/USD\"]"},
                                                {"symbol", NULL}};

START_TEST(kraken_hostile_tickers_are_invalid)
{
    for (size_t i = 0; i < sizeof kraken_hostile / sizeof kraken_hostile[0]; i++) {
        const char *msg = kraken(kraken_hostile[i].key, kraken_hostile[i].value);
        int rc = parse(EXCH_KRAKEN, msg);
        ck_assert_msg(rc == CP_EINVAL, "%s: %d", msg, rc);
        ck_assert_uint_eq(nq, 0);
    }
}
END_TEST

START_TEST(kraken_malformed_envelopes_are_invalid)
{
    static const char *const bad[] = {
        "{\"channel\":\"ticker\",\"type\":\"update\"}",
        "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":{}}",
        "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[\"BTC/USD\"]}",
        "{\"channel\":[\"ticker\"]}",
        "{\"method\":7,\"success\":true}",
        "{\"method\":\"subscribe\",\"success\":\"false\"}",
        "{\"event\":\"systemStatus\",\"status\":\"online\"}",
        "{\"event\":\"heartbeat\"}",
        "{}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(parse(EXCH_KRAKEN, bad[i]) == CP_EINVAL, "accepted %s", bad[i]);
}
END_TEST

START_TEST(kraken_unmapped_symbols_give_no_quote)
{
    ck_assert_int_eq(parse(EXCH_KRAKEN, kraken("symbol", "\"XBT/USD\"")), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
    ck_assert_int_eq(parse(EXCH_KRAKEN, kraken("symbol", "\"BNB/USD\"")), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
}
END_TEST

static Suite *exch_kraken_suite(void)
{
    Suite *s = suite_create("exch_kraken");
    TCase *t0 = tcase_create("parse");
    tcase_add_checked_fixture(t0, setup, teardown);
    tcase_add_test(t0, kraken_v2_ticker_gives_quotes_without_a_time);
    tcase_add_test(t0, kraken_control_messages);
    tcase_add_test(t0, kraken_v1_recordings_are_not_mistaken_for_quotes);
    tcase_add_test(t0, kraken_hostile_tickers_are_invalid);
    tcase_add_test(t0, kraken_malformed_envelopes_are_invalid);
    tcase_add_test(t0, kraken_unmapped_symbols_give_no_quote);
    suite_add_tcase(s, t0);
    return s;
}

CHECK_MAIN(exch_kraken_suite)
