/* Unit tests of load/verdict.c. */
#include "config.h"

#include "check_main.h"
#include "verdict.h"

static const struct verdict_limits defaults = {99, 1, 100, 0};

START_TEST(connected_is_counted_against_the_clients_wanted)
{
    /* -n 100 --rate 10 --ramp 1 --sustain 3: only 39 were ever opened. */
    struct verdict_in in = {
        .wanted = 100, .attempted = 39, .connected = 39, .latency_samples = 1000, .avg_ms = 2};
    ck_assert_uint_eq(verdict_base(&in), 100);
    ck_assert_double_eq_tol(verdict_connected_pct(&in), 39.0, 1e-9);
    ck_assert_uint_eq(verdict_check(&in, &defaults), VERDICT_CONNECTED);
}
END_TEST

START_TEST(a_spike_counts_every_client_attempted)
{
    struct verdict_in in = {
        .wanted = 120, .attempted = 130, .connected = 130, .latency_samples = 1, .avg_ms = 2};
    ck_assert_uint_eq(verdict_base(&in), 130);
    ck_assert_double_eq_tol(verdict_connected_pct(&in), 100.0, 1e-9);
    ck_assert_uint_eq(verdict_check(&in, &defaults), 0);
}
END_TEST

START_TEST(bounds_are_inclusive)
{
    struct verdict_in in = {.wanted = 100,
                            .attempted = 100,
                            .connected = 100,
                            .errors = 0,
                            .latency_samples = 10,
                            .avg_ms = 50,
                            .p99_ms = 80};
    struct verdict_limits lim = {100, 0, 50, 80};
    ck_assert_uint_eq(verdict_check(&in, &lim), 0);
    in.connected = 99;
    in.errors = 1;
    in.avg_ms = 50.001;
    in.p99_ms = 80.001;
    ck_assert_uint_eq(verdict_check(&in, &lim), VERDICT_CONNECTED | VERDICT_ERRORS |
                                                    VERDICT_AVG_LATENCY | VERDICT_P99_LATENCY);
    lim = (struct verdict_limits){99, 1, 60, 90};
    ck_assert_uint_eq(verdict_check(&in, &lim), 0); /* exactly 99 % and 1 % */
}
END_TEST

START_TEST(p99_bound_of_zero_is_skipped)
{
    struct verdict_in in = {.wanted = 1,
                            .attempted = 1,
                            .connected = 1,
                            .latency_samples = 1,
                            .avg_ms = 1,
                            .p99_ms = 1e6};
    ck_assert_uint_eq(verdict_check(&in, &defaults), 0);
}
END_TEST

START_TEST(no_latency_sample_or_no_attempt_fails)
{
    struct verdict_in in = {.wanted = 10};
    ck_assert_double_eq(verdict_connected_pct(&in), 0);
    ck_assert_double_eq(verdict_error_pct(&in), 100);
    ck_assert_uint_eq(verdict_check(&in, &defaults),
                      VERDICT_CONNECTED | VERDICT_AVG_LATENCY | VERDICT_ERRORS);
}
END_TEST

static Suite *verdict_suite(void)
{
    Suite *s = suite_create("verdict");
    TCase *t = tcase_create("core");
    tcase_add_test(t, connected_is_counted_against_the_clients_wanted);
    tcase_add_test(t, a_spike_counts_every_client_attempted);
    tcase_add_test(t, bounds_are_inclusive);
    tcase_add_test(t, p99_bound_of_zero_is_skipped);
    tcase_add_test(t, no_latency_sample_or_no_attempt_fails);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(verdict_suite)
