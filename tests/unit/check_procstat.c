/* Unit tests of load/procstat.c: RSS and CPU from /proc, of this very
 * process and of a child that burns CPU. */
#include "config.h"

#include "check_main.h"
#include "load.h"
#include "procstat.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

START_TEST(reads_the_rss_of_a_live_process)
{
    char pids[32];
    snprintf(pids, sizeof pids, "%d", (int)getpid());
    struct procstat s = procstat_sample(pids);
    ck_assert_int_eq(s.ok, 1);
    ck_assert_int_gt(s.rss_kb, 100);
    ck_assert_int_ge(s.cpu_ticks, 0);
    ck_assert_int_le(s.mono_ms, load_mono_ms());
    /* Twice the same pid counts twice. */
    snprintf(pids, sizeof pids, "%d,%d", (int)getpid(), (int)getpid());
    struct procstat two = procstat_sample(pids);
    ck_assert_int_eq(two.ok, 2);
    ck_assert_int_ge(two.rss_kb, s.rss_kb * 2 - 1024);
}
END_TEST

START_TEST(unknown_pids_and_empty_lists_are_left_out)
{
    struct procstat s = procstat_sample("");
    ck_assert_int_eq(s.ok, 0);
    ck_assert_int_eq(s.rss_kb, 0);
    char pids[64];
    snprintf(pids, sizeof pids, "2147483646,%d", (int)getpid());
    s = procstat_sample(pids);
    ck_assert_int_eq(s.ok, 1);
}
END_TEST

START_TEST(cpu_of_a_busy_child_is_near_one_core)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        for (volatile unsigned long x = 0;; x++)
            ;
    char pids[32];
    snprintf(pids, sizeof pids, "%d", (int)pid);
    struct procstat a = procstat_sample(pids);
    usleep(600000);
    struct procstat b = procstat_sample(pids);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    double pct = procstat_cpu_pct(a, b);
    ck_assert_msg(pct > 40 && pct < 130, "%.0f %% of a core", pct);
}
END_TEST

START_TEST(cpu_pct_is_ticks_over_elapsed_time)
{
    long hz = sysconf(_SC_CLK_TCK);
    struct procstat a = {.cpu_ticks = 0, .mono_ms = 1000}, b = {.cpu_ticks = hz, .mono_ms = 3000};
    ck_assert_double_eq_tol(procstat_cpu_pct(a, b), 50.0, 1e-9);
    ck_assert_double_eq(procstat_cpu_pct(a, a), 0);
}
END_TEST

START_TEST(warns_about_each_missing_pid)
{
    char path[] = "/tmp/check_procstat_XXXXXX";
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    ck_assert_int_ge(fd, 0);
    dup2(fd, STDERR_FILENO);
    char pids[64];
    snprintf(pids, sizeof pids, "%d,2147483646", (int)getpid());
    procstat_warn_missing(pids);
    dup2(saved, STDERR_FILENO);
    char buf[512] = "";
    ck_assert_int_gt(pread(fd, buf, sizeof buf - 1, 0), 0);
    close(fd);
    unlink(path);
    ck_assert_str_eq(
        buf, "cryptopulse-load: warning: --pid 2147483646: no such process, not measured\n");
}
END_TEST

static Suite *procstat_suite(void)
{
    Suite *s = suite_create("procstat");
    TCase *tc = tcase_create("proc");
    tcase_add_test(tc, reads_the_rss_of_a_live_process);
    tcase_add_test(tc, unknown_pids_and_empty_lists_are_left_out);
    tcase_add_test(tc, cpu_of_a_busy_child_is_near_one_core);
    tcase_add_test(tc, cpu_pct_is_ticks_over_elapsed_time);
    tcase_add_test(tc, warns_about_each_missing_pid);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(procstat_suite)
