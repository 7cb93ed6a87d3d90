/* Unit tests of load/lstats.c. */
#include "config.h"

#include "check_main.h"
#include "lstats.h"

START_TEST(percentiles_of_1_to_100_are_exact)
{
    struct lstats_hist h;
    lstats_hist_init(&h);
    for (uint64_t v = 100; v >= 1; v--)
        lstats_hist_add(&h, v);
    ck_assert_uint_eq(lstats_hist_percentile(&h, 50), 50);
    ck_assert_uint_eq(lstats_hist_percentile(&h, 95), 95);
    ck_assert_uint_eq(lstats_hist_percentile(&h, 99), 99);
    ck_assert_uint_eq(lstats_hist_percentile(&h, 100), 100);
    ck_assert_uint_eq(lstats_hist_percentile(&h, 0.1), 1);
    ck_assert_double_eq_tol(lstats_hist_mean(&h), 50.5, 1e-9);
    ck_assert_uint_eq(h.min, 1);
    ck_assert_uint_eq(h.max, 100);
}
END_TEST

START_TEST(large_values_within_two_percent)
{
    struct lstats_hist h;
    lstats_hist_init(&h);
    for (uint64_t v = 1; v <= 100000; v++)
        lstats_hist_add(&h, v * 10); /* 10 .. 1,000,000 */
    uint64_t p50 = lstats_hist_percentile(&h, 50), p99 = lstats_hist_percentile(&h, 99);
    ck_assert_uint_ge(p50, 500000 * 98 / 100);
    ck_assert_uint_le(p50, 500000 * 102 / 100);
    ck_assert_uint_ge(p99, 990000 * 98 / 100);
    ck_assert_uint_le(p99, 990000 * 102 / 100);
    ck_assert_uint_eq(lstats_hist_percentile(&h, 100), 1000000); /* clamped to max */
}
END_TEST

START_TEST(one_outlier_shows_only_in_the_tail)
{
    struct lstats_hist h;
    lstats_hist_init(&h);
    for (int i = 0; i < 999; i++)
        lstats_hist_add(&h, 5);
    lstats_hist_add(&h, 250000);
    ck_assert_uint_eq(lstats_hist_percentile(&h, 99), 5);
    ck_assert_uint_eq(lstats_hist_percentile(&h, 99.9), 5);
    ck_assert_uint_eq(lstats_hist_percentile(&h, 100), 250000);
}
END_TEST

START_TEST(merging_equals_adding_everything_to_one)
{
    struct lstats_hist a, b, all;
    lstats_hist_init(&a);
    lstats_hist_init(&b);
    lstats_hist_init(&all);
    for (uint64_t v = 0; v < 5000; v += 7) {
        lstats_hist_add(v % 2 ? &a : &b, v * 3);
        lstats_hist_add(&all, v * 3);
    }
    lstats_hist_merge(&a, &b);
    ck_assert_uint_eq(a.count, all.count);
    ck_assert_uint_eq(a.sum, all.sum);
    ck_assert_uint_eq(a.min, all.min);
    ck_assert_uint_eq(a.max, all.max);
    for (double p = 1; p <= 100; p += 1)
        ck_assert_uint_eq(lstats_hist_percentile(&a, p), lstats_hist_percentile(&all, p));
}
END_TEST

START_TEST(empty_histogram_reports_zero)
{
    struct lstats_hist h;
    lstats_hist_init(&h);
    ck_assert_uint_eq(lstats_hist_percentile(&h, 99), 0);
    ck_assert_double_eq(lstats_hist_mean(&h), 0);
}
END_TEST

START_TEST(buckets_tile_the_number_line)
{
    for (int i = 0; i < LSTATS_BUCKETS - 1; i++) {
        ck_assert_uint_eq(lstats_bucket_high(i) + 1, lstats_bucket_low(i + 1));
        ck_assert_int_eq(lstats_bucket_of(lstats_bucket_low(i)), i);
        ck_assert_int_eq(lstats_bucket_of(lstats_bucket_high(i)), i);
    }
    ck_assert_int_eq(lstats_bucket_of(UINT64_MAX), LSTATS_BUCKETS - 1);
}
END_TEST

static Suite *lstats_suite(void)
{
    Suite *s = suite_create("lstats");
    TCase *t = tcase_create("core");
    tcase_add_test(t, percentiles_of_1_to_100_are_exact);
    tcase_add_test(t, large_values_within_two_percent);
    tcase_add_test(t, one_outlier_shows_only_in_the_tail);
    tcase_add_test(t, merging_equals_adding_everything_to_one);
    tcase_add_test(t, empty_histogram_reports_zero);
    tcase_add_test(t, buckets_tile_the_number_line);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(lstats_suite)
