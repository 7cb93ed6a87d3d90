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

/* Log-returns of symbol i over steps of dt_s: their mean and standard
 * deviation, to compare with GBM's -s^2 dt / 2 and s sqrt(dt). */
static void walk_moments(const char *symbols, size_t i, double dt_s, int steps, double *mean,
                         double *sd)
{
    struct mock *m = mock_new(symbols, 20250202, err, sizeof err);
    ck_assert_ptr_nonnull(m);
    double sum = 0, sum2 = 0, prev = log(mock_price(m, i));
    for (int k = 0; k < steps; k++) {
        mock_step(m, dt_s);
        double x = log(mock_price(m, i)), r = x - prev;
        sum += r;
        sum2 += r * r;
        prev = x;
    }
    *mean = sum / steps;
    *sd = sqrt(sum2 / steps - *mean * *mean);
    mock_free(m);
}

/* Over N = 200000 steps of 1.5 s (3.5 days) with a fixed seed: the mean
 * log-return lies within 4 standard errors (s sqrt(dt) / sqrt(N)) of
 * -s^2 dt / 2, and the sample volatility within 1 % of s sqrt(dt) (its
 * standard error is about 0.16 %). */
START_TEST(walk_has_the_calibrated_drift_and_volatility)
{
    static const char *const symbols[] = {"BTC", "ETH", "DOGE", "MATIC"};
    const double year_s = 365.25 * 86400.0, dt_s = 1.5;
    const int steps = 200000;
    for (size_t k = 0; k < 4; k++) {
        struct mock *m = mock_new("BTC,ETH,DOGE,MATIC", 1, err, sizeof err);
        double s = mock_vol(m, k);
        mock_free(m);
        double mean, sd, dt = dt_s / year_s;
        walk_moments("BTC,ETH,DOGE,MATIC", k, dt_s, steps, &mean, &sd);
        double want_sd = s * sqrt(dt), want_mean = -0.5 * s * s * dt;
        double tol_mean = 4 * want_sd / sqrt(steps);
        ck_assert_msg(fabs(mean - want_mean) < tol_mean, "%s: mean log-return %g, want %g +- %g",
                      symbols[k], mean, want_mean, tol_mean);
        ck_assert_msg(fabs(sd / want_sd - 1) < 0.01, "%s: volatility per step %g, want %g +- 1%%",
                      symbols[k], sd, want_sd);
    }
}
END_TEST

/* The profiles hold the figures computed from the shared market data
 * (feeder/mock-calibrate.py): first close and annualised volatility. */
START_TEST(profiles_hold_the_figures_of_the_market_data)
{
    struct mock *m = mock_new("BTC,ETH,USDT,NEWCOIN", 1, err, sizeof err);
    ck_assert_double_eq_tol(mock_price(m, 0), 100624.8984, 1e-3);
    ck_assert_double_eq_tol(mock_price(m, 1), 3117.576172, 1e-5);
    ck_assert_double_eq_tol(mock_vol(m, 0), 0.802, 1e-9);
    ck_assert_double_eq_tol(mock_vol(m, 1), 2.135, 1e-9);
    ck_assert_double_eq_tol(mock_vol(m, 2), 0.129, 1e-9);
    ck_assert_double_eq_tol(mock_price(m, 3), 10.0, 1e-9);
    mock_free(m);
}
END_TEST

START_TEST(set_price_continues_the_walk_from_there)
{
    struct mock *m = mock_new("BTC,ETH", 1, err, sizeof err);
    mock_set_price(m, "ETH", 2500.0);
    mock_set_price(m, "XYZ", 1.0);
    mock_set_price(m, "BTC", -1.0);
    ck_assert(mock_price(m, 1) == 2500.0);
    ck_assert_double_eq_tol(mock_price(m, 0), 100624.8984, 1e-3);
    mock_step(m, 1.5);
    ck_assert(fabs(mock_price(m, 1) / 2500.0 - 1) < 0.01);
    mock_free(m);
}
END_TEST

static Suite *mock_suite(void)
{
    Suite *s = suite_create("mock");
    TCase *t = tcase_create("walk");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, starts_at_early_2025_prices);
    tcase_add_test(t, walk_has_the_calibrated_drift_and_volatility);
    tcase_add_test(t, profiles_hold_the_figures_of_the_market_data);
    tcase_add_test(t, set_price_continues_the_walk_from_there);
    tcase_add_test(t, same_seed_gives_the_same_walk);
    tcase_add_test(t, walk_stays_positive_and_plausible_for_a_long_time);
    tcase_add_test(t, volume_is_of_the_symbols_order_of_magnitude);
    tcase_add_test(t, accepts_spaces_and_a_trailing_comma);
    tcase_add_test(t, rejects_bad_repeated_or_empty_symbol_lists);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(mock_suite)
