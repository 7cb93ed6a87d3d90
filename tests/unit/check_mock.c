/* Unit tests of feeder/mock.c: the seeded random walk. */
#include "config.h"

#include "check_main.h"
#include "mock.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

static char err[256];

START_TEST(starts_at_early_2025_prices)
{
    struct mock *m = mock_new("BTC,ETH,SOL,NEWCOIN", 1, err, sizeof err);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(mock_count(m), 4);
    ck_assert_str_eq(mock_symbol(m, 3), "NEWCOIN");
    ck_assert(mock_price(m, 0) > 90000 && mock_price(m, 0) < 110000);
    ck_assert(mock_price(m, 1) > 2500 && mock_price(m, 1) < 3500);
    ck_assert(mock_price(m, 2) > 150 && mock_price(m, 2) < 250);
    ck_assert(mock_price(m, 3) > 0);
    mock_free(m);
}
END_TEST

START_TEST(same_seed_gives_the_same_walk)
{
    struct mock *a = mock_new("BTC,ETH,DOGE", 42, err, sizeof err);
    struct mock *b = mock_new("BTC,ETH,DOGE", 42, err, sizeof err);
    struct mock *c = mock_new("BTC,ETH,DOGE", 43, err, sizeof err);
    bool differs = false;
    for (int step = 0; step < 1000; step++) {
        mock_step(a, 1.5);
        mock_step(b, 1.5);
        mock_step(c, 1.5);
        for (size_t i = 0; i < 3; i++) {
            ck_assert(mock_price(a, i) == mock_price(b, i));
            ck_assert(mock_volume(a, i) == mock_volume(b, i));
            differs |= mock_price(a, i) != mock_price(c, i);
        }
    }
    ck_assert(differs);
    mock_free(a);
    mock_free(b);
    mock_free(c);
}
END_TEST

START_TEST(walk_stays_positive_and_plausible_for_a_long_time)
{
    struct mock *m = mock_new("BTC,ETH,SOL,BNB,XRP,ADA,DOGE,AVAX,DOT,LINK,LTC,MATIC,USDT,USDC,"
                              "SHIB",
                              7, err, sizeof err);
    ck_assert_ptr_nonnull(m);
    double start[16];
    for (size_t i = 0; i < mock_count(m); i++)
        start[i] = mock_price(m, i);
    for (int step = 0; step < 57600; step++) { /* one day of 1.5 s ticks */
        mock_step(m, 1.5);
        for (size_t i = 0; i < mock_count(m); i++) {
            ck_assert(mock_price(m, i) > 0 && isfinite(mock_price(m, i)));
            ck_assert(mock_volume(m, i) >= 0 && isfinite(mock_volume(m, i)));
        }
    }
    for (size_t i = 0; i < mock_count(m); i++) {
        double ratio = mock_price(m, i) / start[i];
        ck_assert_msg(ratio > 0.5 && ratio < 2.0, "%s moved x%g in a day", mock_symbol(m, i),
                      ratio);
    }
    /* stablecoins stay on their peg */
    ck_assert(fabs(mock_price(m, 12) - 1.0) < 0.01);
    ck_assert(fabs(mock_price(m, 13) - 1.0) < 0.01);
    mock_free(m);
}
END_TEST

START_TEST(volume_is_of_the_symbols_order_of_magnitude)
{
    struct mock *m = mock_new("BTC", 3, err, sizeof err);
    double sum = 0;
    for (int step = 0; step < 57600; step++) {
        mock_step(m, 1.5);
        sum += mock_volume(m, 0);
    }
    ck_assert_msg(sum > 1e9 && sum < 1e12, "BTC 24h volume %g", sum);
    mock_free(m);
}
END_TEST

START_TEST(accepts_spaces_and_a_trailing_comma)
{
    struct mock *m = mock_new(" BTC , ETH,", 1, err, sizeof err);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(mock_count(m), 2);
    ck_assert_str_eq(mock_symbol(m, 1), "ETH");
    mock_free(m);
}
END_TEST

START_TEST(rejects_bad_repeated_or_empty_symbol_lists)
{
    ck_assert_ptr_null(mock_new("BTC,btc", 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "\"btc\""));
    ck_assert_ptr_null(mock_new("BTC,ETH,BTC", 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "BTC is listed twice"));
    ck_assert_ptr_null(mock_new("", 1, err, sizeof err));
    ck_assert_ptr_null(mock_new("BTC,,ETH", 1, err, sizeof err));
}
END_TEST

static Suite *mock_suite(void)
{
    Suite *s = suite_create("mock");
    TCase *t = tcase_create("walk");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, starts_at_early_2025_prices);
    tcase_add_test(t, same_seed_gives_the_same_walk);
    tcase_add_test(t, walk_stays_positive_and_plausible_for_a_long_time);
    tcase_add_test(t, volume_is_of_the_symbols_order_of_magnitude);
    tcase_add_test(t, accepts_spaces_and_a_trailing_comma);
    tcase_add_test(t, rejects_bad_repeated_or_empty_symbol_lists);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(mock_suite)
