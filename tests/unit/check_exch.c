/* check_exch: feeder/exch.c — exchange names and default URLs. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "exch_testdata.h"

START_TEST(names_and_default_urls_round_trip)
{
    static const char *const urls[EXCH_COUNT] = {"wss://stream.binance.com:9443",
                                                 "wss://advanced-trade-ws.coinbase.com",
                                                 "wss://ws.kraken.com/v2"};
    for (int i = 0; i < EXCH_COUNT; i++) {
        enum exch_id id = (enum exch_id)((i + 1) % EXCH_COUNT);
        ck_assert_int_eq(exch_from_name(exch_name((enum exch_id)i), &id), CP_OK);
        ck_assert_int_eq(id, i);
        ck_assert_str_eq(exch_default_url(id), urls[i]);
    }
    ck_assert_str_eq(exch_name(EXCH_COINBASE), "coinbase");
}
END_TEST

START_TEST(refuses_unknown_exchange_names)
{
    static const char *const bad[] = {"Binance", "kraken ", "", "bitstamp", "coinbasepro"};
    enum exch_id id = EXCH_KRAKEN;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(exch_from_name(bad[i], &id), CP_ENOENT);
    ck_assert_int_eq(id, EXCH_KRAKEN);
}
END_TEST

static Suite *exch_suite(void)
{
    Suite *s = suite_create("exch");
    TCase *t0 = tcase_create("values");
    tcase_add_test(t0, names_and_default_urls_round_trip);
    tcase_add_test(t0, refuses_unknown_exchange_names);
    suite_add_tcase(s, t0);
    return s;
}

CHECK_MAIN(exch_suite)
