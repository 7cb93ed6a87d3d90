/* Unit tests of load/spawn.c: real worker processes (bodies written here)
 * reporting through their pipes, overrunning the deadline, and stopped by a
 * signal to the parent. */
#include "config.h"

#include "check_main.h"
#include "spawn.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct load_opts o;

static void setup(void)
{
    memset(&o, 0, sizeof o);
    o.workers = 3;
}

/* A worker that reports index + 1 clients attempted, waited for the start. */
static int body_reports(const struct load_opts *opts, int index, int fd, int64_t start)
{
    while (load_mono_ms() < start)
        usleep(1000);
    struct load_report r;
    memset(&r, 0, sizeof r);
    lstats_hist_init(&r.latency_us);
    lstats_hist_init(&r.connect_us);
    r.attempted = (uint64_t)index + 1;
    r.final = 1;
    reports_send(fd, LOAD_MSG_REPORT, &r, sizeof r);
    return 0;
}

static int calls;
static void count(void *ctx, int64_t now)
{
    calls++;
}

START_TEST(every_worker_reports_through_its_pipe)
{
    struct reports *r = reports_new(o.workers);
    int64_t t0 = load_mono_ms();
    struct spawn *s = spawn_start(&o, t0 + 100, body_reports);
    spawn_collect(s, r, t0 + 10000, count, NULL);
    spawn_free(s);
    ck_assert_int_lt(load_mono_ms() - t0, 5000); /* ended with the workers, not the deadline */
    ck_assert_int_gt(calls, 0);
    struct load_report m;
    reports_merge(r, &m);
    ck_assert_uint_eq(m.attempted, 1 + 2 + 3);
    reports_free(r);
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1); /* every worker reaped */
}
END_TEST

/* A worker that never ends: killed at the deadline. */
static int body_hangs(const struct load_opts *opts, int index, int fd, int64_t start)
{
    while (getppid() != 1)
        pause();
    return 0;
}

START_TEST(workers_past_the_deadline_are_killed)
{
    struct reports *r = reports_new(o.workers);
    int64_t t0 = load_mono_ms();
    struct spawn *s = spawn_start(&o, t0, body_hangs);
    spawn_collect(s, r, t0 + 300, NULL, NULL);
    spawn_free(s);
    int64_t took = load_mono_ms() - t0;
    ck_assert_msg(took >= 300 && took < 3000, "%lld ms", (long long)took);
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    reports_free(r);
}
END_TEST

/* A stop signal to the parent stops the collection and the workers. */
static void stop_soon(void *ctx, int64_t now)
{
    if (now >= *(int64_t *)ctx)
        raise(SIGTERM);
}

START_TEST(a_stop_signal_stops_the_workers)
{
    spawn_catch_stop_signals();
    ck_assert_int_eq(spawn_stop_signal(), 0);
    struct reports *r = reports_new(o.workers);
    int64_t t0 = load_mono_ms(), at = t0 + 200;
    struct spawn *s = spawn_start(&o, t0, body_hangs);
    spawn_collect(s, r, t0 + 20000, stop_soon, &at);
    spawn_free(s);
    ck_assert_int_eq(spawn_stop_signal(), SIGTERM);
    ck_assert_int_lt(load_mono_ms() - t0, 5000);
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    reports_free(r);
}
END_TEST

static Suite *spawn_suite(void)
{
    Suite *s = suite_create("spawn");
    TCase *tc = tcase_create("workers");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, every_worker_reports_through_its_pipe);
    tcase_add_test(tc, workers_past_the_deadline_are_killed);
    tcase_add_test(tc, a_stop_signal_stops_the_workers);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(spawn_suite)
