#include "config.h"

#include "check_main.h"
#include "latency.h"

#include <math.h>

static void observe_n(struct latency_hist *h, int n, double ms)
{
    for (int i = 0; i < n; i++)
        latency_observe(h, ms);
}

START_TEST(observations_land_in_their_buckets)
{
    struct latency_hist h = {0};
    latency_observe(&h, 0.5);
    latency_observe(&h, 1); /* le=1 includes 1 */
    latency_observe(&h, 1.5);
    latency_observe(&h, -3); /* clock skew counts as 0 */
    latency_observe(&h, 60000);
    ck_assert_uint_eq(h.buckets[0], 3);
    ck_assert_uint_eq(h.buckets[1], 1);
    ck_assert_uint_eq(h.buckets[LATENCY_BUCKETS], 1);
    ck_assert_uint_eq(h.count, 5);
    ck_assert_double_eq_tol(h.sum_ms, 60003, 1e-9);
    ck_assert_double_eq(h.max_ms, 60000);
}
END_TEST

/* The case of issue 13: three samples under 1 ms were reported as p50 0.5,
 * p95 0.95, p99 0.99 ms, figures nobody measured.  What is known is that
 * none took more than the largest, 0.3 ms (and ≤ 1, the bucket's bound). */
START_TEST(quantiles_in_one_bucket_are_at_most_the_largest_observation)
{
    struct latency_hist h = {0};
    observe_n(&h, 3, 0.3);
    ck_assert_double_eq_tol(latency_quantile(&h, 0.50), 0.3, 1e-12);
    ck_assert_double_eq_tol(latency_quantile(&h, 0.95), 0.3, 1e-12);
    ck_assert_double_eq_tol(latency_quantile(&h, 0.99), 0.3, 1e-12);
    ck_assert_double_eq_tol(latency_quantile(&h, 1.00), 0.3, 1e-12);
    ck_assert_double_eq_tol(h.max_ms, 0.3, 1e-12);

    struct latency_hist g = {0};
    observe_n(&g, 100, 20); /* all in (10, 25] */
    ck_assert_double_eq(latency_quantile(&g, 0.01), 20);
    ck_assert_double_eq(latency_quantile(&g, 1.00), 20);
    latency_observe(&g, 24); /* the largest moves: so does the bound */
    ck_assert_double_eq(latency_quantile(&g, 0.50), 24);
}
END_TEST

/* A quantile never reads above max_ms: /stats said p95 10 with max_ms 6
 * (session 16's note), a bound looser than what was measured. */
START_TEST(no_quantile_exceeds_the_largest_observation)
{
    struct latency_hist h = {0};
    observe_n(&h, 90, 0.5);
    observe_n(&h, 10, 6);                               /* in (5, 10] */
    ck_assert_double_eq(latency_quantile(&h, 0.90), 1); /* rank 90: the bucket's bound */
    ck_assert_double_eq(latency_quantile(&h, 0.95), 6); /* rank 95: max_ms, not 10 */
    ck_assert_double_eq(latency_quantile(&h, 0.99), 6);
    for (double q = 0.01; q <= 1.0; q += 0.01)
        ck_assert(latency_quantile(&h, q) <= h.max_ms);
    h.max_ms = NAN; /* a merged worker's null: the bucket's bound is still true */
    ck_assert_double_eq(latency_quantile(&h, 0.95), 10);
}
END_TEST

/* 20 samples, cumulative counts 6 (≤1), 12 (≤2), 17 (≤10), 19 (≤50), 20 (+Inf):
 * the q-quantile is the bound of the bucket holding rank ceil(q·20). */
START_TEST(quantiles_are_the_bound_of_the_nearest_rank_bucket)
{
    struct latency_hist h = {0};
    observe_n(&h, 6, 0.4);
    observe_n(&h, 6, 1.5);
    observe_n(&h, 5, 7);
    observe_n(&h, 2, 40);
    latency_observe(&h, 12345);
    ck_assert_double_eq(latency_quantile(&h, 0.05), 1);     /* rank 1 */
    ck_assert_double_eq(latency_quantile(&h, 0.30), 1);     /* rank 6, the last ≤ 1 */
    ck_assert_double_eq(latency_quantile(&h, 0.31), 2);     /* rank 7 (6.2 rounded up) */
    ck_assert_double_eq(latency_quantile(&h, 0.50), 2);     /* rank 10 */
    ck_assert_double_eq(latency_quantile(&h, 0.60), 2);     /* rank 12 */
    ck_assert_double_eq(latency_quantile(&h, 0.61), 10);    /* rank 13; (2, 5] is empty */
    ck_assert_double_eq(latency_quantile(&h, 0.85), 10);    /* rank 17 */
    ck_assert_double_eq(latency_quantile(&h, 0.86), 50);    /* rank 18 */
    ck_assert_double_eq(latency_quantile(&h, 0.95), 50);    /* rank 19 */
    ck_assert_double_eq(latency_quantile(&h, 0.99), 12345); /* rank 20, +Inf: the max */
    ck_assert_double_eq(latency_quantile(&h, 1.00), 12345);
}
END_TEST

/* q·count just above an integer in doubles must not skip to the next rank:
 * 0.55 * 100 is 55.00000000000001, and rank 55 is the last sample ≤ 1. */
START_TEST(rank_is_not_pushed_up_by_rounding)
{
    struct latency_hist h = {0};
    observe_n(&h, 55, 0.5);
    observe_n(&h, 45, 1.5);
    ck_assert_double_eq(latency_quantile(&h, 0.55), 1);
    ck_assert_double_eq(latency_quantile(&h, 0.56), 1.5); /* (1, 2], whose largest is 1.5 */
}
END_TEST

START_TEST(empty_histogram_reports_zero)
{
    struct latency_hist h = {0};
    ck_assert_double_eq(latency_quantile(&h, 0.50), 0);
    ck_assert_double_eq(latency_quantile(&h, 0.99), 0);
    ck_assert_double_eq(latency_quantile(&h, 1.00), 0);
    ck_assert_double_eq(h.max_ms, 0);
}
END_TEST

/* Past the last bound there is no bucket bound to report: the largest
 * observation is the one figure true for the data, not 10000. */
START_TEST(quantile_in_the_inf_bucket_is_the_largest_observation)
{
    struct latency_hist h = {0};
    latency_observe(&h, 60000);
    ck_assert_double_eq(latency_quantile(&h, 0.50), 60000);
    ck_assert_double_eq(latency_quantile(&h, 0.99), 60000);
    observe_n(&h, 98, 3);
    latency_observe(&h, 15000.5);
    ck_assert_double_eq(latency_quantile(&h, 0.50), 5);
    ck_assert_double_eq(latency_quantile(&h, 0.98), 5);     /* rank 98 */
    ck_assert_double_eq(latency_quantile(&h, 0.99), 60000); /* rank 99 */
    ck_assert_double_eq(h.max_ms, 60000);
}
END_TEST

static Suite *latency_suite(void)
{
    Suite *s = suite_create("latency");
    TCase *tc = tcase_create("histogram");
    tcase_add_test(tc, observations_land_in_their_buckets);
    tcase_add_test(tc, quantiles_in_one_bucket_are_at_most_the_largest_observation);
    tcase_add_test(tc, no_quantile_exceeds_the_largest_observation);
    tcase_add_test(tc, quantiles_are_the_bound_of_the_nearest_rank_bucket);
    tcase_add_test(tc, rank_is_not_pushed_up_by_rounding);
    tcase_add_test(tc, empty_histogram_reports_zero);
    tcase_add_test(tc, quantile_in_the_inf_bucket_is_the_largest_observation);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(latency_suite)
