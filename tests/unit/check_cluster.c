/* check_cluster: gateway/cluster.c — a real supervisor process forking real
 * workers: it starts them, restarts one that died (with backoff), forwards
 * SIGHUP, and stops them on SIGTERM, killing one that outstays the drain
 * time.  Workers report on a pipe; every process is bounded in time (an
 * alarm on the supervisor, a parent-death signal on its children). */
#include "config.h"

#include "check_main.h"
#include "cluster.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SUPERVISOR_LIFE_S 20 /* backstop: no test process outlives this */

enum behaviour { STAY, EXIT_AT_ONCE, IGNORE_SIGTERM };

struct worker_cfg {
    int report; /* pipe write end */
    enum behaviour how;
};

static int report_fd = -1;

static void say(const char *what, int index)
{
    char line[64];
    int n = snprintf(line, sizeof line, "%s %d %d\n", what, index, (int)getpid());
    if (write(report_fd, line, (size_t)n) < 0)
        _exit(9);
}

static int hup_index;
static void on_hup(int sig)
{
    say("hup", hup_index);
}

static int worker(int index, void *arg)
{
    const struct worker_cfg *cfg = arg;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    report_fd = cfg->report;
    hup_index = index;
    signal(SIGHUP, on_hup);
    if (cfg->how == IGNORE_SIGTERM)
        signal(SIGTERM, SIG_IGN);
    say("start", index); /* after the handlers: a test may signal at once */
    if (cfg->how == EXIT_AT_ONCE)
        return 3;
    for (;;)
        pause();
}

struct supervisor {
    pid_t pid;
    int fd; /* pipe read end */
    char buf[4096];
    size_t len;
};

static void supervisor_start(struct supervisor *s, int n, int drain_ms, enum behaviour how)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    memset(s, 0, sizeof *s);
    s->pid = fork();
    ck_assert_int_ge(s->pid, 0);
    if (s->pid == 0) {
        close(p[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* Check's forked test process handles SIGTERM and SIGALRM by
         * signalling its process group; the supervisor and its workers must
         * have the defaults, as they do in the gateway. */
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGALRM, SIG_DFL);
        alarm(SUPERVISOR_LIFE_S);
        log_init("check_cluster", LOG_ERROR);
        struct worker_cfg cfg = {p[1], how};
        _exit(cluster_run(n, drain_ms, worker, NULL, &cfg));
    }
    close(p[1]);
    s->fd = p[0];
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The next report line ("start <index> <pid>"), waiting up to timeout_ms.
 * Returns false on timeout or end of file. */
static bool next_report(struct supervisor *s, char *what, int *index, int *pid, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        char *nl = memchr(s->buf, '\n', s->len);
        if (nl) {
            *nl = '\0';
            ck_assert_int_eq(sscanf(s->buf, "%15s %d %d", what, index, pid), 3);
            s->len -= (size_t)(nl + 1 - s->buf);
            memmove(s->buf, nl + 1, s->len);
            return true;
        }
        int left = (int)(deadline - mono_ms());
        struct pollfd pfd = {s->fd, POLLIN, 0};
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            return false;
        ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len - 1);
        if (n <= 0)
            return false;
        s->len += (size_t)n;
    }
}

/* Read the first start of each of n workers; their pids into pids[]. */
static void expect_starts(struct supervisor *s, int n, int *pids)
{
    char what[16];
    int index, pid;
    for (int i = 0; i < n; i++)
        pids[i] = 0;
    for (int i = 0; i < n; i++) {
        ck_assert_msg(next_report(s, what, &index, &pid, 5000), "worker %d of %d not started", i,
                      n);
        ck_assert_str_eq(what, "start");
        ck_assert_int_lt(index, n);
        ck_assert_int_eq(pids[index], 0); /* each index once */
        pids[index] = pid;
    }
}

/* SIGTERM the supervisor and wait (up to timeout_ms) for its exit status. */
static int supervisor_stop(struct supervisor *s, int timeout_ms)
{
    kill(s->pid, SIGTERM);
    int64_t deadline = mono_ms() + timeout_ms;
    int status;
    pid_t r;
    while ((r = waitpid(s->pid, &status, WNOHANG)) == 0 && mono_ms() < deadline)
        usleep(10000);
    close(s->fd);
    if (r != s->pid) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
        ck_abort_msg("supervisor still running after %d ms", timeout_ms);
    }
    ck_assert_msg(WIFEXITED(status), "supervisor died of signal %d", WTERMSIG(status));
    return WEXITSTATUS(status);
}

static bool gone(int pid)
{
    return kill(pid, 0) != 0 && errno == ESRCH;
}

START_TEST(starts_every_worker_and_stops_them_on_sigterm)
{
    struct supervisor s;
    int pids[3];
    supervisor_start(&s, 3, 2000, STAY);
    expect_starts(&s, 3, pids);
    ck_assert(pids[0] != pids[1] && pids[1] != pids[2] && pids[0] != pids[2]);
    ck_assert_int_eq(supervisor_stop(&s, 5000), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(gone(pids[i]), "worker %d (pid %d) outlived the supervisor", i, pids[i]);
}
END_TEST

START_TEST(worker_that_died_is_started_again)
{
    struct supervisor s;
    int pids[2];
    supervisor_start(&s, 2, 2000, STAY);
    expect_starts(&s, 2, pids);
    kill(pids[1], SIGKILL);
    char what[16];
    int index, pid;
    ck_assert_msg(next_report(&s, what, &index, &pid, 3000), "worker 1 not restarted");
    ck_assert_str_eq(what, "start");
    ck_assert_int_eq(index, 1);
    ck_assert_int_ne(pid, pids[1]);
    ck_assert(!gone(pids[0])); /* the other one was left alone */
    ck_assert_int_eq(supervisor_stop(&s, 5000), 0);
    ck_assert(gone(pid) && gone(pids[0]));
}
END_TEST

/* A worker that keeps dying at once is restarted after 100, 200, 400 ms...:
 * in 1.5 s that is about 5 starts, not the ~15 of a fixed 100 ms. */
START_TEST(worker_that_keeps_dying_is_restarted_with_backoff)
{
    struct supervisor s;
    supervisor_start(&s, 1, 2000, EXIT_AT_ONCE);
    char what[16];
    int index, pid, starts = 0;
    int64_t end = mono_ms() + 1500;
    while (mono_ms() < end && next_report(&s, what, &index, &pid, (int)(end - mono_ms())))
        starts += strcmp(what, "start") == 0 && index == 0;
    ck_assert_msg(starts >= 3 && starts <= 7, "%d starts in 1.5 s", starts);
    ck_assert_int_eq(supervisor_stop(&s, 5000), 0);
}
END_TEST

START_TEST(sighup_is_forwarded_to_every_worker)
{
    struct supervisor s;
    int pids[2];
    supervisor_start(&s, 2, 2000, STAY);
    expect_starts(&s, 2, pids);
    kill(s.pid, SIGHUP);
    bool hup[2] = {false, false};
    char what[16];
    int index, pid;
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(next_report(&s, what, &index, &pid, 3000), "SIGHUP not forwarded");
        ck_assert_str_eq(what, "hup");
        ck_assert_int_eq(pid, pids[index]); /* the same worker, not a restart */
        hup[index] = true;
    }
    ck_assert(hup[0] && hup[1]);
    ck_assert_int_eq(supervisor_stop(&s, 5000), 0);
}
END_TEST

/* Graceful drain has a bound: a worker still there after drain_ms is killed. */
START_TEST(worker_outstaying_the_drain_is_killed)
{
    struct supervisor s;
    int pids[1];
    supervisor_start(&s, 1, 400, IGNORE_SIGTERM);
    expect_starts(&s, 1, pids);
    int64_t t0 = mono_ms();
    ck_assert_int_eq(supervisor_stop(&s, 5000), 0);
    int64_t took = mono_ms() - t0;
    ck_assert_msg(took >= 350, "stopped after %lld ms, before the drain time", (long long)took);
    ck_assert(gone(pids[0]));
}
END_TEST

START_TEST(default_workers_cover_the_cores_and_the_connections)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int want = cores < 1 ? 1 : cores > 256 ? 256 : (int)cores;
    ck_assert_int_eq(cluster_default_workers(0), want);
    ck_assert_int_eq(cluster_default_workers(1), want);
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    long per = rl.rlim_max != RLIM_INFINITY ? (long)rl.rlim_max - 100 : 1000000;
    if (per > 0 && cores + 1 <= 256)
        ck_assert_int_eq(cluster_default_workers(per * (cores + 1)), (int)cores + 1);
    ck_assert_int_eq(cluster_default_workers(per > 0 ? per * 1000 : 1L << 40), 256);
}
END_TEST

static Suite *cluster_suite(void)
{
    Suite *s = suite_create("cluster");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, starts_every_worker_and_stops_them_on_sigterm);
    tcase_add_test(tc, worker_that_died_is_started_again);
    tcase_add_test(tc, worker_that_keeps_dying_is_restarted_with_backoff);
    tcase_add_test(tc, sighup_is_forwarded_to_every_worker);
    tcase_add_test(tc, worker_outstaying_the_drain_is_killed);
    tcase_add_test(tc, default_workers_cover_the_cores_and_the_connections);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(cluster_suite)
