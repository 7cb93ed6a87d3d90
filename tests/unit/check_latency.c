#include "config.h"

#include "check_main.h"
#include "latency.h"

START_TEST(observations_land_in_their_buckets)
{
    struct latency_hist h = {0};
    latency_observe(&h, 0.5);
    latency_observe(&h, 1);   /* le=1 includes 1 */
    latency_observe(&h, 1.5);
    latency_observe(&h, -3);  /* clock skew counts as 0 */
    latency_observe(&h, 60000);
    ck_assert_uint_eq(h.buckets[0], 3);
    ck_assert_uint_eq(h.buckets[1], 1);
    ck_assert_uint_eq(h.buckets[LATENCY_BUCKETS], 1);
    ck_assert_uint_eq(h.count, 5);
    ck_assert_double_eq_tol(h.sum_ms, 60003, 1e-9);
}
END_TEST

START_TEST(quantiles_interpolate_within_a_bucket)
{
    struct latency_hist h = {0};
    ck_assert_double_eq(latency_quantile(&h, 0.99), 0);
    for (int i = 0; i < 100; i++)
        latency_observe(&h, 20); /* all in (10, 25] */
    ck_assert_double_eq_tol(latency_quantile(&h, 0.5), 17.5, 1e-9);
    ck_assert_double_eq_tol(latency_quantile(&h, 1.0), 25, 1e-9);
    latency_observe(&h, 99999);
    ck_assert_double_eq(latency_quantile(&h, 1.0), 10000);
}
END_TEST

static Suite *latency_suite(void)
{
    Suite *s = suite_create("latency");
    TCase *tc = tcase_create("histogram");
    tcase_add_test(tc, observations_land_in_their_buckets);
    tcase_add_test(tc, quantiles_interpolate_within_a_bucket);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(latency_suite)
