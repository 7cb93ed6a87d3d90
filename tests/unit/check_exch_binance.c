/* check_exch_binance: feeder/exch_binance.c — Binance's recorded messages
 * and hostile variants of its 24hrTicker. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "exch_testdata.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Binance ---- */

static void check_binance_ticker(const char *file, double price, double change, double high,
                                 double low, double volume, int64_t ts)
{
    char *text = read_sample(file);
    ck_assert_int_eq(parse(EXCH_BINANCE, text), EXCH_QUOTES);
    free(text);
    ck_assert_uint_eq(nq, 1);
    ck_assert_str_eq(q[0].symbol, "BTC");
    ck_assert(q[0].price == price);
    ck_assert(q[0].has_stats);
    ck_assert(q[0].change24h == change);
    ck_assert(q[0].high24h == high);
    ck_assert(q[0].low24h == low);
    ck_assert(q[0].volume24h == volume);
    ck_assert_int_eq(q[0].ts_ms, ts);
}

START_TEST(binance_24hr_tickers_of_the_samples_give_exact_quotes)
{
    if (!have_samples())
        return;
    check_binance_ticker("atokmakov_binance_24hrTicker_1.json", 94160.0, 0.182, 187440.9, 21917.3,
                         2109.00156, 1745666522004LL);
    check_binance_ticker("atokmakov_binance_24hrTicker_2.json", 92671.2, -0.886, 120000.0, 22009.8,
                         2319.45099, 1745472822004LL);
}
END_TEST

START_TEST(binance_mini_ticker_and_agg_trade_samples_are_ignored)
{
    if (!have_samples())
        return;
    static const char *const files[] = {"atokmakov_binance_miniTicker.json",
                                        "atokmakov_binance_aggTrade.json"};
    for (size_t i = 0; i < 2; i++) {
        char *text = read_sample(files[i]);
        ck_assert_msg(parse(EXCH_BINANCE, text) == EXCH_IGNORED, "%s: %s", files[i], err);
        ck_assert_uint_eq(nq, 0);
        free(text);
    }
}
END_TEST

static void expect_binance_ignored(const char *msg, size_t lineno)
{
    int rc = parse(EXCH_BINANCE, msg);
    ck_assert_msg(rc == EXCH_IGNORED, "line %zu: %d %s", lineno, rc, err);
}

START_TEST(binance_recorded_streams_are_all_ignored)
{
    if (!have_samples())
        return;
    /* depth, bookTicker, kline and aggTrade: 265 and 480 messages */
    ck_assert_uint_eq(each_recorded("cryptofeed_BINANCE.ws.1.0.txt", expect_binance_ignored), 265);
    ck_assert_uint_eq(each_recorded("cryptofeed_BINANCE_US.ws.1.0.txt", expect_binance_ignored),
                      480);
}
END_TEST

START_TEST(binance_ticker_envelope_and_bare_payload_agree)
{
    ck_assert_int_eq(parse(EXCH_BINANCE, binance(NULL, NULL)), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 1);
    struct exch_quote a = q[0];
    ck_assert(a.price == 94160.0 && a.high24h == 95000.5 && a.low24h == 93000.25);
    const char *bare = build("", binance_fields, NULL, NULL, "");
    ck_assert_int_eq(parse(EXCH_BINANCE, bare), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 1);
    ck_assert_str_eq(q[0].symbol, a.symbol);
    ck_assert(q[0].price == a.price && q[0].change24h == a.change24h && q[0].high24h == a.high24h &&
              q[0].low24h == a.low24h && q[0].volume24h == a.volume24h &&
              q[0].has_stats == a.has_stats);
    ck_assert_int_eq(q[0].ts_ms, a.ts_ms);
}
END_TEST

START_TEST(binance_control_messages_are_acks_and_rejects)
{
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"result\":null,\"id\":1}"), EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"result\":[\"btcusdt@ticker\"],\"id\":3}"), EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"e\":\"serverShutdown\",\"E\":1745666522004}"),
                     EXCH_ACK);
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"code\":2,\"msg\":\"Invalid request: bad\"}"),
                     EXCH_REJECT);
    ck_assert_str_eq(err, "Invalid request: bad (code 2)");
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"error\":{\"code\":3,\"msg\":\"Unknown "
                                         "property\\nx\"},\"id\":null}"),
                     EXCH_REJECT);
    ck_assert_str_eq(err, "Unknown property?x (code 3)");
    ck_assert_int_eq(parse(EXCH_BINANCE, "{\"code\":-1121}"), EXCH_REJECT);
    ck_assert_str_eq(err, "(no message) (code -1121)");
}
END_TEST

START_TEST(binance_other_events_are_ignored)
{
    static const char *const other[] = {
        "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.3\",\"B\":\"31.2\",\"a\":\"25.4\","
        "\"A\":\"40.6\"}",
        "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\"}}",
        "{\"stream\":\"btcusdt@ticker_1h\",\"data\":{\"e\":\"1hTicker\",\"s\":\"BTCUSDT\"}}",
        "{\"stream\":\"!miniTicker@arr\",\"data\":[{\"e\":\"24hrMiniTicker\"}]}"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        ck_assert_msg(parse(EXCH_BINANCE, other[i]) == EXCH_IGNORED, "%s: %s", other[i], err);
}
END_TEST

static const struct hostile string_hostile[] = {{"c", "94160.5"},
                                                {"c", "\"1e300\""},
                                                {"c", "\"99999999999999\""},
                                                {"c", "\"1000000000000\""},
                                                {"c", "\"NaN\""},
                                                {"c", "\"Infinity\""},
                                                {"c", "\"\""},
                                                {"c", "\"-94160\""},
                                                {"c", "\"0\""},
                                                {"c", "\"0.000\""},
                                                {"c", "\" 1\""},
                                                {"c", "\"0x10\""},
                                                {"c", "\"1e5\""},
                                                {"c", "null"},
                                                {"c", "true"},
                                                {"c", "[\"1\"]"},
                                                {"c", "{\"v\":1}"},
                                                {"c", NULL},
                                                {"P", "0.182"},
                                                {"P", "\"-100.5\""},
                                                {"P", "\"NaN\""},
                                                {"P", NULL},
                                                {"h", "\"0\""},
                                                {"h", "\"1e300\""},
                                                {"h", "95000.5"},
                                                {"h", NULL},
                                                {"l", "\"-1\""},
                                                {"l", "\"\""},
                                                {"l", NULL},
                                                {"v", "\"-0.5\""},
                                                {"v", "2109.0"},
                                                {"v", "\"1e19\""},
                                                {"v", "\"1000000000000000000\""},
                                                {"v", NULL},
                                                {"E", "\"1745666522004\""},
                                                {"E", "-1"},
                                                {"E", "0"},
                                                {"E", "1745666522004.5"},
                                                {"E", "253402300800000"},
                                                {"E", NULL},
                                                {"s", "42"},
                                                {"s", NULL},
                                                {"e", "7"}};

START_TEST(binance_hostile_tickers_are_invalid)
{
    for (size_t i = 0; i < sizeof string_hostile / sizeof string_hostile[0]; i++) {
        const struct hostile *h = &string_hostile[i];
        const char *msg = binance(h->key, h->value);
        int rc = parse(EXCH_BINANCE, msg);
        ck_assert_msg(rc == CP_EINVAL, "%s: %d", msg, rc);
        ck_assert_uint_eq(nq, 0);
        ck_assert_msg(err[0] != '\0', "%s: no reason", msg);
    }
}
END_TEST

START_TEST(binance_accepts_the_edges_of_the_ranges)
{
    static const struct hostile edge[] = {{"c", "\"999999999999.99\""},
                                          {"c", "\"0.00000001\""},
                                          {"P", "\"-100\""},
                                          {"v", "\"0\""},
                                          {"E", "253402300799999"}};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        const char *msg = binance(edge[i].key, edge[i].value);
        ck_assert_msg(parse(EXCH_BINANCE, msg) == EXCH_QUOTES, "%s: %s", msg, err);
        ck_assert_uint_eq(nq, 1);
    }
}
END_TEST

START_TEST(binance_unmapped_symbols_give_no_quote_and_are_not_read)
{
    const char *msg = build("", binance_fields, "s", "\"FOOUSDT\"", "");
    ck_assert_int_eq(parse(EXCH_BINANCE, msg), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
    /* the values of products we do not follow are not read */
    static struct field odd[sizeof binance_fields / sizeof binance_fields[0]];
    memcpy(odd, binance_fields, sizeof odd);
    odd[2].value = "\"NKNUSDT\"";
    odd[5].value = "\"NaN\"";
    ck_assert_int_eq(parse(EXCH_BINANCE, build("", odd, NULL, NULL, "")), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
    msg = build("", binance_fields, "s", "\"btcusdt\"", "");
    ck_assert_int_eq(parse(EXCH_BINANCE, msg), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
}
END_TEST

START_TEST(binance_quotes_stop_at_max)
{
    const char *msg = binance(NULL, NULL);
    ck_assert_int_eq(exch_parse(map, EXCH_BINANCE, msg, strlen(msg), q, 0, &nq, err, sizeof err),
                     EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
}
END_TEST

static Suite *exch_binance_suite(void)
{
    Suite *s = suite_create("exch_binance");
    TCase *t0 = tcase_create("parse");
    tcase_add_checked_fixture(t0, setup, teardown);
    tcase_add_test(t0, binance_24hr_tickers_of_the_samples_give_exact_quotes);
    tcase_add_test(t0, binance_mini_ticker_and_agg_trade_samples_are_ignored);
    tcase_add_test(t0, binance_recorded_streams_are_all_ignored);
    tcase_add_test(t0, binance_ticker_envelope_and_bare_payload_agree);
    tcase_add_test(t0, binance_control_messages_are_acks_and_rejects);
    tcase_add_test(t0, binance_other_events_are_ignored);
    tcase_add_test(t0, binance_hostile_tickers_are_invalid);
    tcase_add_test(t0, binance_accepts_the_edges_of_the_ranges);
    tcase_add_test(t0, binance_unmapped_symbols_give_no_quote_and_are_not_read);
    tcase_add_test(t0, binance_quotes_stop_at_max);
    suite_add_tcase(s, t0);
    return s;
}

CHECK_MAIN(exch_binance_suite)
