/* Unit tests of lib/outage.c: one warning per change of reachability, a
 * reminder while down, never one line per retry. */
#include "config.h"

#include "check_main.h"
#include "stderr_capture.h"
#include "log.h"
#include "outage.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct stderr_capture cap;

static void capture_start(void)
{
    stderr_capture_start(&cap);
    log_init("t", LOG_INFO);
}

/* What was logged since capture_start (caller frees). */
static char *capture_end(void)
{
    return stderr_capture_end(&cap);
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

START_TEST(one_warning_per_outage_then_a_reminder_then_recovery)
{
    struct outage o = {0};
    capture_start();
    ck_assert(outage_fail(&o, "redis 127.0.0.1:9", "Connection refused", 1000));
    for (int64_t t = 1100; t < 1000 + OUTAGE_REMIND_MS; t += 100)
        ck_assert(!outage_fail(&o, "redis 127.0.0.1:9", "Connection refused", t));
    ck_assert(outage_fail(&o, "redis 127.0.0.1:9", "Connection refused", 1000 + OUTAGE_REMIND_MS));
    ck_assert(outage_ok(&o, "redis 127.0.0.1:9", 2500 + OUTAGE_REMIND_MS));
    ck_assert(!outage_ok(&o, "redis 127.0.0.1:9", 2600 + OUTAGE_REMIND_MS));
    ck_assert(outage_fail(&o, "redis 127.0.0.1:9", "connection lost: closed", 90000));
    char *text = capture_end();
    ck_assert_int_eq(count(text, "\n"), 4);
    ck_assert_int_eq(count(text, "t[warn] redis 127.0.0.1:9: Connection refused; unreachable, "
                                 "retrying"),
                     1);
    ck_assert_int_eq(count(text, "t[warn] redis 127.0.0.1:9: Connection refused; still "
                                 "unreachable after 60 s (601 attempts)"),
                     1);
    ck_assert_int_eq(count(text, "t[info] redis 127.0.0.1:9 connected, reachable again after "
                                 "61.5 s down (601 failed attempts)"),
                     1);
    ck_assert_int_eq(count(text, ": connection lost: closed; unreachable"), 1);
    free(text);
}
END_TEST

START_TEST(the_first_success_says_connected_once)
{
    struct outage o = {0};
    capture_start();
    ck_assert(outage_ok(&o, "redis h:1", 5));
    ck_assert(!outage_ok(&o, "redis h:1", 6));
    char *text = capture_end();
    ck_assert_int_eq(count(text, "\n"), 1);
    ck_assert_ptr_nonnull(strstr(text, "t[info] redis h:1 connected\n"));
    free(text);
}
END_TEST

static Suite *outage_suite(void)
{
    Suite *s = suite_create("outage");
    TCase *t = tcase_create("log");
    tcase_add_test(t, one_warning_per_outage_then_a_reminder_then_recovery);
    tcase_add_test(t, the_first_success_says_connected_once);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(outage_suite)
