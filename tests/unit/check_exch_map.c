/* check_exch_map: feeder/exch_map.c — the built-in symbol map and
 * FEED_SYMBOL_MAP entries. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "exch_testdata.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the symbol map ---- */

/* The built-in map, NULL where a symbol is not mapped. */
static const struct {
    const char *symbol, *instrument[EXCH_COUNT];
} builtin_want[] = {
    {"BTC", {"BTCUSDT", "BTC-USD", "BTC/USD"}},     {"ETH", {"ETHUSDT", "ETH-USD", "ETH/USD"}},
    {"SOL", {"SOLUSDT", "SOL-USD", "SOL/USD"}},     {"BNB", {"BNBUSDT", NULL, NULL}},
    {"XRP", {"XRPUSDT", "XRP-USD", "XRP/USD"}},     {"ADA", {"ADAUSDT", "ADA-USD", "ADA/USD"}},
    {"DOGE", {"DOGEUSDT", "DOGE-USD", "DOGE/USD"}}, {"AVAX", {"AVAXUSDT", "AVAX-USD", "AVAX/USD"}},
    {"DOT", {"DOTUSDT", "DOT-USD", "DOT/USD"}},     {"LINK", {"LINKUSDT", "LINK-USD", "LINK/USD"}},
    {"LTC", {"LTCUSDT", "LTC-USD", "LTC/USD"}},     {"MATIC", {"POLUSDT", "POL-USD", "POL/USD"}},
    {"USDT", {NULL, "USDT-USD", "USDT/USD"}},       {"USDC", {"USDCUSDT", NULL, "USDC/USD"}},
};

START_TEST(map_has_every_default_symbol_where_it_trades)
{
    for (size_t i = 0; i < sizeof builtin_want / sizeof builtin_want[0]; i++) {
        for (int id = 0; id < EXCH_COUNT; id++) {
            const char *want = builtin_want[i].instrument[id];
            const char *got = exch_instrument(map, (enum exch_id)id, builtin_want[i].symbol);
            ck_assert_msg(want ? got && strcmp(got, want) == 0 : got == NULL, "%s on %s: %s",
                          builtin_want[i].symbol, exch_name((enum exch_id)id),
                          got ? got : "(unmapped)");
            if (want)
                ck_assert_str_eq(exch_symbol(map, (enum exch_id)id, want), builtin_want[i].symbol);
        }
    }
}
END_TEST

START_TEST(map_lookups_are_exact_and_per_exchange)
{
    ck_assert_ptr_null(exch_symbol(map, EXCH_BINANCE, "btcusdt"));
    ck_assert_ptr_null(exch_symbol(map, EXCH_BINANCE, "BTC-USD"));
    ck_assert_ptr_null(exch_symbol(map, EXCH_KRAKEN, "XBT/USD"));
    ck_assert_ptr_null(exch_symbol(map, EXCH_COINBASE, "MATIC-USD"));
    ck_assert_ptr_null(exch_instrument(map, EXCH_KRAKEN, "btc"));
    ck_assert_ptr_null(exch_instrument(map, EXCH_KRAKEN, "SHIB"));
    ck_assert_ptr_null(exch_instrument(map, EXCH_KRAKEN, NULL));
    ck_assert_ptr_null(exch_instrument(NULL, EXCH_KRAKEN, "BTC"));
    exch_map_free(NULL);
}
END_TEST

START_TEST(map_extra_entries_add_and_override)
{
    struct exch_map *m = exch_map_new("binance:MATIC=MATICUSDT,kraken:DOGE=XDG/USD,"
                                      "coinbase:SHIB=SHIB-USD,coinbase:USDT=",
                                      err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_str_eq(exch_instrument(m, EXCH_BINANCE, "MATIC"), "MATICUSDT");
    ck_assert_ptr_null(exch_symbol(m, EXCH_BINANCE, "POLUSDT"));
    ck_assert_str_eq(exch_instrument(m, EXCH_KRAKEN, "DOGE"), "XDG/USD");
    ck_assert_ptr_null(exch_symbol(m, EXCH_KRAKEN, "DOGE/USD"));
    ck_assert_str_eq(exch_symbol(m, EXCH_COINBASE, "SHIB-USD"), "SHIB");
    ck_assert_ptr_null(exch_instrument(m, EXCH_COINBASE, "USDT"));
    ck_assert_str_eq(exch_instrument(m, EXCH_KRAKEN, "USDT"), "USDT/USD");
    ck_assert_str_eq(exch_instrument(m, EXCH_COINBASE, "MATIC"), "POL-USD");
    exch_map_free(m);
}
END_TEST

START_TEST(map_extra_entry_takes_its_instrument_from_a_builtin_symbol)
{
    struct exch_map *m = exch_map_new("binance:POL=POLUSDT", err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_str_eq(exch_symbol(m, EXCH_BINANCE, "POLUSDT"), "POL");
    ck_assert_ptr_null(exch_instrument(m, EXCH_BINANCE, "MATIC"));
    ck_assert_str_eq(exch_instrument(m, EXCH_KRAKEN, "MATIC"), "POL/USD");
    exch_map_free(m);
    m = exch_map_new(NULL, err, sizeof err);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(exch_instrument(m, EXCH_BINANCE, "MATIC"), "POLUSDT");
    exch_map_free(m);
}
END_TEST

START_TEST(map_refuses_malformed_entries_naming_them)
{
    static const struct {
        const char *extra, *named;
    } bad[] = {
        {"binance", "entry 1 \"binance\""},
        {"binance:BTC", "entry 1 \"binance:BTC\""},
        {"binance:BTC=BTCUSDT,bitstamp:BTC=BTCUSD", "entry 2 \"bitstamp:BTC=BTCUSD\""},
        {"Binance:BTC=BTCUSDT", "entry 1 \"Binance:BTC=BTCUSDT\""},
        {"binance:btc=BTCUSDT", "entry 1 \"binance:btc=BTCUSDT\""},
        {"binance:=BTCUSDT", "entry 1 \"binance:=BTCUSDT\""},
        {":BTC=BTCUSDT", "entry 1 \":BTC=BTCUSDT\""},
        {"binance:ABCDEFGHIJKLMNOP=BTCUSDT", "entry 1 \"binance:ABCDEFGHIJKLMNOP=BTCUSDT\""},
        {"binance:BTC=btcusdt", "entry 1 \"binance:BTC=btcusdt\""},
        {"binance:BTC=BTC-USDT", "entry 1 \"binance:BTC=BTC-USDT\""},
        {"binance:BTC=BTC\"USDT", "entry 1 \"binance:BTC=BTC\"USDT\""},
        {"binance:BTC=BTCUSDT/x", "entry 1 \"binance:BTC=BTCUSDT/x\""},
        {"coinbase:BTC=BTCUSD", "entry 1 \"coinbase:BTC=BTCUSD\""},
        {"coinbase:BTC=BTC-", "entry 1 \"coinbase:BTC=BTC-\""},
        {"coinbase:BTC=BTC-USD-X", "entry 1 \"coinbase:BTC=BTC-USD-X\""},
        {"kraken:BTC=BTC-USD", "entry 1 \"kraken:BTC=BTC-USD\""},
        {"kraken:BTC=/USD", "entry 1 \"kraken:BTC=/USD\""},
        {"kraken:BTC=BTC/", "entry 1 \"kraken:BTC=BTC/\""},
        {"kraken:BTC=BTC/USD ", "entry 1 \"kraken:BTC=BTC/USD \""},
        {"kraken:BTC=ABCDEFGHIJKLMNOP/ABCDEFGHIJKLMNO", "entry 1"},
        {" binance:BTC=BTCUSDT", "entry 1 \" binance:BTC=BTCUSDT\""},
        {"binance:BTC=BTCUSDT,,kraken:BTC=BTC/USD", "entry 2 \"\""},
        {",binance:BTC=BTCUSDT", "entry 1 \"\""},
        {"binance:BTC=BTCUSDT,", "entry 2 \"\""},
        {"binance:BTC=BTCUSDT,binance:BTC=BTCUSDC", "entry 2 \"binance:BTC=BTCUSDC\""},
        {"kraken:A=X/USD,kraken:B=X/USD", "entry 2 \"kraken:B=X/USD\""},
        {"binance:BTC=BTCUSDT:binance:ETH=ETHUSDT", "entry 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        struct exch_map *m = exch_map_new(bad[i].extra, err, sizeof err);
        ck_assert_msg(m == NULL, "accepted \"%s\"", bad[i].extra);
        ck_assert_msg(strstr(err, bad[i].named) != NULL, "\"%s\": err \"%s\"", bad[i].extra, err);
    }
}
END_TEST

START_TEST(map_accepts_the_longest_instrument_that_fits)
{
    struct exch_map *m =
        exch_map_new("kraken:LONG=ABCDEFGHIJKLMNOP/ABCDEFGHIJKLMN", err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    ck_assert_str_eq(exch_instrument(m, EXCH_KRAKEN, "LONG"), "ABCDEFGHIJKLMNOP/ABCDEFGHIJKLMN");
    exch_map_free(m);
}
END_TEST

static Suite *exch_map_suite(void)
{
    Suite *s = suite_create("exch_map");
    TCase *t0 = tcase_create("map");
    tcase_add_checked_fixture(t0, setup, teardown);
    tcase_add_test(t0, map_has_every_default_symbol_where_it_trades);
    tcase_add_test(t0, map_lookups_are_exact_and_per_exchange);
    tcase_add_test(t0, map_extra_entries_add_and_override);
    tcase_add_test(t0, map_extra_entry_takes_its_instrument_from_a_builtin_symbol);
    tcase_add_test(t0, map_refuses_malformed_entries_naming_them);
    tcase_add_test(t0, map_accepts_the_longest_instrument_that_fits);
    suite_add_tcase(s, t0);
    return s;
}

CHECK_MAIN(exch_map_suite)
