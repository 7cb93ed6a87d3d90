/* Unit tests of load/load.c: the clocks every load-tool process reads and
 * the cause names its reports and summary print. */
#include "config.h"

#include "check_main.h"
#include "load.h"

#include <string.h>
#include <sys/time.h>
#include <time.h>

START_TEST(wall_clock_is_the_realtime_clock_in_microseconds)
{
    struct timeval before, after;
    gettimeofday(&before, NULL);
    int64_t us = load_wall_us();
    gettimeofday(&after, NULL);
    ck_assert_int_ge(us, (int64_t)before.tv_sec * 1000000 + before.tv_usec - 1000);
    ck_assert_int_le(us, (int64_t)after.tv_sec * 1000000 + after.tv_usec + 1000);
}
END_TEST

START_TEST(monotonic_clock_counts_milliseconds_and_never_goes_back)
{
    int64_t t0 = load_mono_ms(), prev = t0;
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL);
    for (int i = 0; i < 1000; i++) {
        int64_t t = load_mono_ms();
        ck_assert_int_ge(t, prev);
        prev = t;
    }
    ck_assert_int_ge(prev - t0, 20);
    ck_assert_int_lt(prev - t0, 5000);
}
END_TEST

START_TEST(each_cause_has_its_own_name)
{
    ck_assert_str_eq(load_cause_names[CAUSE_REFUSED], "refused");
    ck_assert_str_eq(load_cause_names[CAUSE_STATUS], "http_status");
    ck_assert_str_eq(load_cause_names[CAUSE_CLOSE_FRAME], "close_frame");
    ck_assert_str_eq(load_cause_names[CAUSE_UNFINISHED], "unfinished");
    for (int i = 0; i < CAUSE_MAX; i++) {
        ck_assert_ptr_nonnull(load_cause_names[i]);
        ck_assert_uint_gt(strlen(load_cause_names[i]), 0);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(load_cause_names[i], load_cause_names[j]);
    }
}
END_TEST

static Suite *load_suite(void)
{
    Suite *s = suite_create("load");
    TCase *t = tcase_create("shared");
    tcase_add_test(t, wall_clock_is_the_realtime_clock_in_microseconds);
    tcase_add_test(t, monotonic_clock_counts_milliseconds_and_never_goes_back);
    tcase_add_test(t, each_cause_has_its_own_name);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(load_suite)
