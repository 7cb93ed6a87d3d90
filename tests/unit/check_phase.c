/* Unit tests of load/phase.c: the schedule of open clients. */
#include "config.h"

#include "check_main.h"
#include "phase.h"

START_TEST(phase_plan_ramps_spikes_and_cools_down)
{
    struct phase_plan p;
    phase_plan_build(&p, 1000, 1000, 100, 2000, 500, 1500, 3000, 1000);
    ck_assert_int_eq(p.n, 5);
    ck_assert_int_eq(p.total_ms, 7500);
    ck_assert_int_eq(p.peak, 1500);
    int i;
    ck_assert_int_eq(phase_target(&p, 0, &i), 0);
    ck_assert_int_eq(phase_target(&p, 500, &i), 50);
    ck_assert_int_eq(i, 0);
    ck_assert_int_eq(phase_target(&p, 2000, &i), 550); /* halfway up the ramp */
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(phase_target(&p, 3100, &i), 1500);
    ck_assert_str_eq(p.phase[i].name, "spike");
    ck_assert_int_eq(phase_target(&p, 4000, &i), 1000);
    ck_assert_str_eq(p.phase[i].name, "sustain");
    ck_assert_int_eq(phase_target(&p, 7000, &i), 501);
    ck_assert_int_eq(phase_target(&p, 7500, &i), 0);
    ck_assert_int_eq(i, p.n);
    ck_assert_int_eq(phase_start(&p, phase_find(&p, "sustain")), 3500);
}
END_TEST

START_TEST(phase_plan_skips_empty_phases)
{
    struct phase_plan p;
    phase_plan_build(&p, 10, 0, 1, 0, 0, 12, 5000, 0);
    ck_assert_int_eq(p.n, 1);
    int i;
    ck_assert_int_eq(phase_target(&p, 0, &i), 10);
    ck_assert_int_eq(phase_find(&p, "ramp"), -1);
}
END_TEST

START_TEST(linear_phases_reach_their_target_within_the_phase)
{
    struct phase_plan p;
    phase_plan_build(&p, 3, 0, 0, 1000, 0, 0, 1000, 0);
    int i;
    /* Rounded up: the first client opens at once, the last before the end. */
    ck_assert_int_eq(phase_target(&p, 1, &i), 1);
    ck_assert_int_eq(phase_target(&p, 333, &i), 1);
    ck_assert_int_eq(phase_target(&p, 334, &i), 2);
    ck_assert_int_eq(phase_target(&p, 999, &i), 3);
    ck_assert_int_eq(i, 0);
    ck_assert_int_eq(phase_target(&p, 1000, &i), 3);
    ck_assert_int_eq(i, 1);
}
END_TEST

START_TEST(cool_down_goes_from_the_last_target_to_zero)
{
    struct phase_plan p;
    phase_plan_build(&p, 100, 0, 0, 0, 0, 0, 1000, 1000);
    int i;
    ck_assert_int_eq(p.peak, 100);
    ck_assert_int_eq(phase_target(&p, 1000, &i), 100);
    ck_assert_str_eq(p.phase[i].name, "cool-down");
    /* The same rounding as upwards: closing lags by at most one client. */
    ck_assert_int_eq(phase_target(&p, 1500, &i), 51);
    ck_assert_int_eq(phase_target(&p, 1999, &i), 2);
    ck_assert_int_eq(phase_target(&p, 2000, &i), 0);
    ck_assert_int_eq(i, p.n);
}
END_TEST

START_TEST(starts_add_up_the_durations_before)
{
    struct phase_plan p;
    phase_plan_build(&p, 10, 100, 1, 200, 300, 12, 400, 500);
    ck_assert_int_eq(phase_start(&p, 0), 0);
    ck_assert_int_eq(phase_start(&p, 1), 100);
    ck_assert_int_eq(phase_start(&p, 4), 1000);
    ck_assert_int_eq(phase_start(&p, 5), 1500); /* the end of the plan */
    ck_assert_int_eq(phase_start(&p, 9), 1500);
    ck_assert_int_eq(phase_find(&p, "warm-up"), 0);
    ck_assert_int_eq(phase_find(&p, "cool-down"), 4);
    ck_assert_int_eq(phase_find(&p, "nope"), -1);
}
END_TEST

START_TEST(an_empty_plan_wants_no_clients)
{
    struct phase_plan p;
    phase_plan_build(&p, 10, 0, 1, 0, 0, 12, 0, 0);
    int i = -1;
    ck_assert_int_eq(p.n, 0);
    ck_assert_int_eq(p.total_ms, 0);
    ck_assert_int_eq(phase_target(&p, 0, &i), 0);
    ck_assert_int_eq(i, 0);
}
END_TEST

static Suite *phase_suite(void)
{
    Suite *s = suite_create("phase");
    TCase *t = tcase_create("plan");
    tcase_add_test(t, phase_plan_ramps_spikes_and_cools_down);
    tcase_add_test(t, phase_plan_skips_empty_phases);
    tcase_add_test(t, linear_phases_reach_their_target_within_the_phase);
    tcase_add_test(t, cool_down_goes_from_the_last_target_to_zero);
    tcase_add_test(t, starts_add_up_the_durations_before);
    tcase_add_test(t, an_empty_plan_wants_no_clients);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(phase_suite)
