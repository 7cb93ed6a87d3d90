/* check_exch_coinbase: feeder/exch_coinbase.c — the Advanced Trade
 * recording and hostile variants of its ticker. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "exch_testdata.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Coinbase ---- */

/* Each "recv" line's message of the Advanced Trade recording, by channel. */
START_TEST(coinbase_advanced_trade_recording_parses_by_channel)
{
    if (!have_samples())
        return;
    char *text = read_sample("cryptofeed_COINBASE_advanced_trade_subset.jsonl");
    size_t counts[5] = {0}, lineno = 0;
    bool first = true;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        json_t *rec = json_loads(line, 0, NULL);
        ck_assert_msg(rec != NULL, "line %zu is not JSON", lineno);
        const char *t = json_string_value(json_object_get(rec, "t"));
        const char *data = json_string_value(json_object_get(rec, "data"));
        if (t && strcmp(t, "recv") == 0) {
            json_t *msg = json_loads(data, 0, NULL);
            const char *channel = json_string_value(json_object_get(msg, "channel"));
            int rc = parse(EXCH_COINBASE, data);
            int want = strcmp(channel, "ticker") == 0          ? EXCH_QUOTES
                       : strcmp(channel, "heartbeats") == 0    ? EXCH_HEARTBEAT
                       : strcmp(channel, "subscriptions") == 0 ? EXCH_ACK
                                                               : EXCH_IGNORED;
            ck_assert_msg(rc == want, "line %zu (%s): %d, %s", lineno, channel, rc, err);
            counts[rc]++;
            if (rc == EXCH_QUOTES) {
                ck_assert_uint_eq(nq, 1);
                ck_assert(q[0].ts_ms > 1786309548000LL && q[0].ts_ms < 1786309648000LL);
            }
            if (rc == EXCH_QUOTES && first) {
                first = false;
                ck_assert_str_eq(q[0].symbol, "BTC");
                ck_assert(q[0].price == 65086.18);
                ck_assert(q[0].change24h == 0.09601107287722);
                ck_assert(q[0].high24h == 65252.99);
                ck_assert(q[0].low24h == 64675.22);
                ck_assert(q[0].volume24h == 2867.54532609);
                ck_assert(q[0].has_stats);
                ck_assert_int_eq(q[0].ts_ms, 1786309548229LL);
            }
            json_decref(msg);
        }
        json_decref(rec);
    }
    free(text);
    ck_assert_uint_eq(counts[EXCH_QUOTES], 39);
    ck_assert_uint_eq(counts[EXCH_HEARTBEAT], 25);
    ck_assert_uint_eq(counts[EXCH_ACK], 5);
    ck_assert_uint_eq(counts[EXCH_IGNORED], 45);
}
END_TEST

static void expect_coinbase_not_quotes(const char *msg, size_t lineno)
{
    expect_not_quotes(EXCH_COINBASE, msg, lineno);
}

START_TEST(coinbase_exchange_feed_is_not_mistaken_for_quotes)
{
    if (!have_samples())
        return;
    /* the older feed's "type":"ticker" messages hold BTC-less products, but
     * its shape alone must not pass: try it with a mapped product too */
    ck_assert_uint_eq(
        each_recorded("cryptofeed_COINBASE.ws.28.0_ticker_subset.txt", expect_coinbase_not_quotes),
        108);
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"type\":\"ticker\",\"product_id\":\"BTC-USD\","
                                          "\"price\":\"97000.1\",\"time\":\"2021-04-17T16:43:30."
                                          "244075Z\"}"),
                     CP_EINVAL);
}
END_TEST

START_TEST(coinbase_ticker_gives_a_quote)
{
    ck_assert_int_eq(parse(EXCH_COINBASE, coinbase(NULL, NULL)), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 1);
    ck_assert_str_eq(q[0].symbol, "ETH");
    ck_assert(q[0].price == 1916.02 && q[0].change24h == -1.25 && q[0].high24h == 1930.75 &&
              q[0].low24h == 1890.1 && q[0].volume24h == 150000.5);
    ck_assert_int_eq(q[0].ts_ms, 1786309548500LL);
}
END_TEST

START_TEST(coinbase_quotes_only_mapped_products_of_all_events)
{
    char msg[2048];
    snprintf(msg, sizeof msg,
             "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":["
             "{\"type\":\"update\",\"tickers\":[%s,"
             "{\"type\":\"ticker\",\"product_id\":\"FOO-USD\",\"price\":\"NaN\"}]},"
             "{\"type\":\"update\",\"tickers\":[{\"type\":\"ticker\",\"product_id\":\"BTC-USD\","
             "\"price\":\"97000.5\",\"volume_24_h\":\"1\",\"low_24_h\":\"96000\","
             "\"high_24_h\":\"98000\",\"price_percent_chg_24_h\":\"0\"}]}]}",
             build("", coinbase_fields, NULL, NULL, ""));
    ck_assert_msg(parse(EXCH_COINBASE, msg) == EXCH_QUOTES, "%s", err);
    ck_assert_uint_eq(nq, 2);
    ck_assert_str_eq(q[0].symbol, "ETH");
    ck_assert_str_eq(q[1].symbol, "BTC");
    ck_assert(q[1].price == 97000.5);
    ck_assert_int_eq(q[1].ts_ms, 1786309548000LL);
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:"
                                          "05:48Z\",\"events\":[]}"),
                     EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
}
END_TEST

START_TEST(coinbase_one_bad_mapped_ticker_spoils_the_message)
{
    char msg[2048];
    snprintf(msg, sizeof msg,
             "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":["
             "{\"type\":\"update\",\"tickers\":[%s,"
             "{\"type\":\"ticker\",\"product_id\":\"BTC-USD\",\"price\":\"NaN\"}]}]}",
             build("", coinbase_fields, NULL, NULL, ""));
    ck_assert_int_eq(parse(EXCH_COINBASE, msg), CP_EINVAL);
    ck_assert_uint_eq(nq, 0);
    ck_assert_msg(strstr(err, "BTC-USD") && strstr(err, "price"), "%s", err);
}
END_TEST

static const struct hostile coinbase_hostile[] = {{"price", "1916.02"},
                                                  {"price", "\"1e300\""},
                                                  {"price", "\"99999999999999\""},
                                                  {"price", "\"NaN\""},
                                                  {"price", "\"Infinity\""},
                                                  {"price", "\"\""},
                                                  {"price", "\"-1916.02\""},
                                                  {"price", "\"0x10\""},
                                                  {"price", "null"},
                                                  {"price", NULL},
                                                  {"volume_24_h", "150000.5"},
                                                  {"volume_24_h", "\"-1\""},
                                                  {"volume_24_h", NULL},
                                                  {"low_24_h", "\"0\""},
                                                  {"low_24_h", NULL},
                                                  {"high_24_h", "\"1e12\""},
                                                  {"high_24_h", NULL},
                                                  {"price_percent_chg_24_h", "-1.25"},
                                                  {"price_percent_chg_24_h", "\"Infinity\""},
                                                  {"price_percent_chg_24_h", NULL},
                                                  {"product_id", "7"},
                                                  {"product_id", NULL}};

START_TEST(coinbase_hostile_tickers_are_invalid)
{
    for (size_t i = 0; i < sizeof coinbase_hostile / sizeof coinbase_hostile[0]; i++) {
        const char *msg = coinbase(coinbase_hostile[i].key, coinbase_hostile[i].value);
        int rc = parse(EXCH_COINBASE, msg);
        ck_assert_msg(rc == CP_EINVAL, "%s: %d", msg, rc);
        ck_assert_uint_eq(nq, 0);
    }
}
END_TEST

START_TEST(coinbase_ticker_needs_its_timestamp_and_events)
{
    static const char *const bad[] = {
        "{\"channel\":\"ticker\",\"events\":[]}",
        "{\"channel\":\"ticker\",\"timestamp\":1786309548,\"events\":[]}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09 21:05:48Z\",\"events\":[]}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48+02:00\",\"events\":[]}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\"}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":{}}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":[7]}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":[{}]}",
        "{\"channel\":\"ticker\",\"timestamp\":\"2026-08-09T21:05:48Z\",\"events\":"
        "[{\"tickers\":[\"BTC-USD\"]}]}",
        "{\"channel\":7}",
        "{\"type\":\"subscriptions\",\"channels\":[]}",
        "{\"events\":[]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(parse(EXCH_COINBASE, bad[i]) == CP_EINVAL, "accepted %s", bad[i]);
}
END_TEST

START_TEST(coinbase_errors_are_rejects_and_other_channels_ignored)
{
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"type\":\"error\",\"message\":\"failure to "
                                          "subscribe\"}"),
                     EXCH_REJECT);
    ck_assert_str_eq(err, "failure to subscribe");
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"type\":\"error\"}"), EXCH_REJECT);
    ck_assert_str_eq(err, "(no message)");
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"channel\":\"level2\",\"events\":[]}"), EXCH_IGNORED);
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"channel\":\"status\",\"events\":[]}"), EXCH_IGNORED);
    ck_assert_int_eq(parse(EXCH_COINBASE, "{\"channel\":\"heartbeats\"}"), EXCH_HEARTBEAT);
}
END_TEST

static Suite *exch_coinbase_suite(void)
{
    Suite *s = suite_create("exch_coinbase");
    TCase *t0 = tcase_create("parse");
    tcase_add_checked_fixture(t0, setup, teardown);
    tcase_add_test(t0, coinbase_advanced_trade_recording_parses_by_channel);
    tcase_add_test(t0, coinbase_exchange_feed_is_not_mistaken_for_quotes);
    tcase_add_test(t0, coinbase_ticker_gives_a_quote);
    tcase_add_test(t0, coinbase_quotes_only_mapped_products_of_all_events);
    tcase_add_test(t0, coinbase_one_bad_mapped_ticker_spoils_the_message);
    tcase_add_test(t0, coinbase_hostile_tickers_are_invalid);
    tcase_add_test(t0, coinbase_ticker_needs_its_timestamp_and_events);
    tcase_add_test(t0, coinbase_errors_are_rejects_and_other_channels_ignored);
    suite_add_tcase(s, t0);
    return s;
}

CHECK_MAIN(exch_coinbase_suite)
