/* Unit tests of feeder/roll24.c: the rolling 24 h statistics. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "roll24.h"

#define T0 1738454400000LL /* 2025-02-02T00:00Z */
#define MIN 60000LL
#define HOUR (60 * MIN)

static struct roll24 *r;
static struct roll24_stats st;

static void setup(void)
{
    r = roll24_new();
}

static void teardown(void)
{
    roll24_free(r);
}

START_TEST(change_high_low_and_volume_over_the_window)
{
    ck_assert_int_eq(roll24_add(r, "BTC", T0, 100.0, 10), CP_OK);
    ck_assert_int_eq(roll24_add(r, "BTC", T0 + MIN, 120.0, 5), CP_OK);
    ck_assert_int_eq(roll24_add(r, "BTC", T0 + 2 * MIN, 90.0, 0), CP_OK);
    ck_assert_int_eq(roll24_add(r, "BTC", T0 + 3 * HOUR, 110.0, 2.5), CP_OK);
    ck_assert_int_eq(roll24_stats(r, "BTC", T0 + 3 * HOUR, &st), CP_OK);
    ck_assert_double_eq(st.first, 100.0);
    ck_assert_double_eq(st.last, 110.0);
    ck_assert_double_eq(st.high, 120.0);
    ck_assert_double_eq(st.low, 90.0);
    ck_assert_double_eq(st.volume, 17.5);
    ck_assert_double_eq_tol(st.change, 10.0, 1e-9);
}
END_TEST

START_TEST(several_prices_in_one_minute_share_a_bucket)
{
    roll24_add(r, "ETH", T0 + 1000, 50.0, 1);
    roll24_add(r, "ETH", T0 + 2000, 40.0, 1);
    roll24_add(r, "ETH", T0 + 3000, 45.0, 1);
    ck_assert_int_eq(roll24_stats(r, "ETH", T0 + 3000, &st), CP_OK);
    ck_assert_double_eq(st.first, 50.0);
    ck_assert_double_eq(st.last, 45.0);
    ck_assert_double_eq(st.low, 40.0);
    ck_assert_double_eq(st.volume, 3.0);
    ck_assert_double_eq_tol(st.change, -10.0, 1e-9);
}
END_TEST

START_TEST(evicts_minutes_older_than_24h)
{
    roll24_add(r, "SOL", T0, 200.0, 100);
    roll24_add(r, "SOL", T0 + HOUR, 250.0, 1);
    roll24_add(r, "SOL", T0 + 23 * HOUR + 59 * MIN, 220.0, 1);
    ck_assert_int_eq(roll24_stats(r, "SOL", T0 + 23 * HOUR + 59 * MIN, &st), CP_OK);
    ck_assert_double_eq(st.first, 200.0); /* T0's minute is still inside */
    ck_assert_double_eq(st.volume, 102.0);
    roll24_add(r, "SOL", T0 + 24 * HOUR, 230.0, 1);
    ck_assert_int_eq(roll24_stats(r, "SOL", T0 + 24 * HOUR, &st), CP_OK);
    ck_assert_double_eq(st.first, 250.0); /* exactly 24 h later T0 is gone */
    ck_assert_double_eq(st.low, 220.0);
    ck_assert_double_eq(st.high, 250.0);
    ck_assert_double_eq(st.volume, 3.0);
    ck_assert_double_eq_tol(st.change, -8.0, 1e-9);
}
END_TEST

START_TEST(same_slot_a_day_later_replaces_the_old_bucket)
{
    roll24_add(r, "XRP", T0, 2.0, 7);
    roll24_add(r, "XRP", T0 + 24 * HOUR, 3.0, 1);
    ck_assert_int_eq(roll24_stats(r, "XRP", T0 + 24 * HOUR, &st), CP_OK);
    ck_assert_double_eq(st.first, 3.0);
    ck_assert_double_eq(st.low, 3.0);
    ck_assert_double_eq(st.volume, 1.0);
    ck_assert_double_eq(st.change, 0.0);
}
END_TEST

START_TEST(stale_symbol_has_no_stats)
{
    roll24_add(r, "DOT", T0, 5.0, 1);
    ck_assert_int_eq(roll24_stats(r, "DOT", T0 + 25 * HOUR, &st), CP_ENOENT);
    ck_assert_int_eq(roll24_stats(r, "ADA", T0, &st), CP_ENOENT);
}
END_TEST

START_TEST(symbols_are_independent)
{
    roll24_add(r, "BTC", T0, 100.0, 1);
    roll24_add(r, "ETH", T0, 10.0, 2);
    roll24_add(r, "BTC", T0 + MIN, 101.0, 1);
    ck_assert_int_eq(roll24_stats(r, "ETH", T0 + MIN, &st), CP_OK);
    ck_assert_double_eq(st.last, 10.0);
    ck_assert_double_eq(st.volume, 2.0);
}
END_TEST

START_TEST(older_than_window_trade_is_ignored_and_bad_values_rejected)
{
    roll24_add(r, "BTC", T0 + 30 * HOUR, 100.0, 1);
    ck_assert_int_eq(roll24_add(r, "BTC", T0, 5.0, 1000), CP_OK);
    ck_assert_int_eq(roll24_stats(r, "BTC", T0 + 30 * HOUR, &st), CP_OK);
    ck_assert_double_eq(st.low, 100.0);
    ck_assert_double_eq(st.volume, 1.0);
    ck_assert_int_eq(roll24_add(r, "BTC", T0, 0.0, 1), CP_EINVAL);
    ck_assert_int_eq(roll24_add(r, "BTC", T0, 1.0, -1), CP_EINVAL);
    ck_assert_int_eq(roll24_add(r, "btc", T0, 1.0, 1), CP_EINVAL);
}
END_TEST

START_TEST(clear_forgets_everything)
{
    roll24_add(r, "BTC", T0, 100.0, 1);
    roll24_clear(r);
    ck_assert_int_eq(roll24_stats(r, "BTC", T0, &st), CP_ENOENT);
    roll24_add(r, "BTC", T0, 90.0, 1);
    ck_assert_int_eq(roll24_stats(r, "BTC", T0, &st), CP_OK);
    ck_assert_double_eq(st.first, 90.0);
}
END_TEST

static Suite *roll24_suite(void)
{
    Suite *s = suite_create("roll24");
    TCase *t = tcase_create("window");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, change_high_low_and_volume_over_the_window);
    tcase_add_test(t, several_prices_in_one_minute_share_a_bucket);
    tcase_add_test(t, evicts_minutes_older_than_24h);
    tcase_add_test(t, same_slot_a_day_later_replaces_the_old_bucket);
    tcase_add_test(t, stale_symbol_has_no_stats);
    tcase_add_test(t, symbols_are_independent);
    tcase_add_test(t, older_than_window_trade_is_ignored_and_bad_values_rejected);
    tcase_add_test(t, clear_forgets_everything);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(roll24_suite)
