/* Unit tests of load/worker.c: load_worker_run() in a child process follows
 * a whole phase plan against a tiny scripted server (tiny_server.h) run by
 * the test, and its reports come back through a real pipe. */
#include "config.h"

#include "check_main.h"
#include "load.h"
#include "reports.h"
#include "tiny_server.h"

#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct load_opts o;

static void plan(enum ts_mode mode, int port, int64_t clients, int workers)
{
    memset(&o, 0, sizeof o);
    o.transport = mode == TS_SSE ? LOAD_SSE : LOAD_WS;
    snprintf(o.host, sizeof o.host, "127.0.0.1");
    o.port = port;
    snprintf(o.path, sizeof o.path, mode == TS_SSE ? "/events" : "/ws");
    o.dst.sin_family = AF_INET;
    o.dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    o.dst.sin_port = htons((uint16_t)port);
    o.snapshot = true;
    o.sub = LOAD_SUB_ALL;
    o.clients = clients;
    o.workers = workers;
    o.connect_timeout_ms = 2000;
    o.max_pending = 100;
    o.seed = 1;
}

struct run {
    struct tiny_server srv;
    struct reports *reports;
    int fd;
    bool eof;
    int64_t next_tick_ms;
    int seq;
};

static void on_pipe(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    if (!reports_read(r->reports, 0, fd))
        r->eof = true;
}

/* Run worker index of o in a child against a server in mode, sending a
 * tick every 50 ms, until the worker closes its pipe; *m: its last report. */
static void run_worker(enum ts_mode mode, int index, struct load_report *m, const char *ticks_path)
{
    struct event_base *base = event_base_new();
    struct run r = {.reports = reports_new(1)};
    ts_start(&r.srv, base, mode);
    o.port = r.srv.port;
    o.dst.sin_port = htons((uint16_t)r.srv.port);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    int64_t start = load_mono_ms() + 50;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        _exit(load_worker_run(&o, index, fds[1], start));
    }
    close(fds[1]);
    struct event *ev = event_new(base, fds[0], EV_READ | EV_PERSIST, on_pipe, &r);
    event_add(ev, NULL);
    int64_t until = load_mono_ms() + 20000;
    r.next_tick_ms = start;
    while (!r.eof && load_mono_ms() < until) {
        struct timeval tv = {0, 5000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
        int64_t now = load_mono_ms();
        if (now >= r.next_tick_ms) {
            r.next_tick_ms += 50;
            r.seq++;
            ts_send_price(&r.srv, 1000000 + r.seq, 0, load_wall_us() / 1000);
        }
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert(r.eof);
    reports_merge(r.reports, m);
    if (ticks_path)
        ck_assert_int_eq(reports_write_ticks(r.reports, ticks_path), 0);
    event_free(ev);
    close(fds[0]);
    reports_free(r.reports);
    ts_stop(&r.srv);
    event_base_free(base);
}

START_TEST(a_worker_follows_the_plan_and_reports_its_share)
{
    /* 20 clients over 2 workers; this is worker 1: its 10. */
    plan(TS_WS, 0, 20, 2);
    phase_plan_build(&o.plan, 20, 0, 0, 200, 0, 0, 800, 200);
    snprintf(o.ticks_file, sizeof o.ticks_file, "-");
    struct load_report m;
    char path[] = "/tmp/check_worker_XXXXXX";
    close(mkstemp(path));
    run_worker(TS_WS, 1, &m, path);
    ck_assert_uint_eq(m.attempted, 10);
    ck_assert_uint_eq(m.connected, 10);
    ck_assert_uint_eq(m.ready, 10);
    ck_assert_uint_eq(reports_errors(&m), 0);
    ck_assert_uint_eq(m.closed_by_us, 10); /* the cool-down closed them all */
    ck_assert_uint_eq(m.open, 0);
    ck_assert_uint_eq(m.clients_at_end, 10);
    ck_assert_uint_ge(m.min_ticks, 8); /* 800 ms of sustain at a tick per 50 ms */
    ck_assert_uint_le(m.min_ticks, m.max_ticks);
    ck_assert_uint_eq(m.latency_us.count, m.prices);
    ck_assert_uint_eq(m.prices, 2 * m.ticks);
    ck_assert_uint_gt(m.sustain_messages, 0);
    ck_assert_uint_lt(m.sustain_messages, m.messages);
    ck_assert_uint_eq(m.connect_us.count, 10);
    /* Ticks of the sustain phase reached all 10 clients. */
    FILE *f = fopen(path, "r");
    char id[64];
    unsigned long long n;
    int full = 0;
    while (fscanf(f, "%63s %llu", id, &n) == 2) {
        ck_assert_uint_le(n, 10);
        full += n == 10;
    }
    fclose(f);
    unlink(path);
    ck_assert_int_ge(full, 8);
}
END_TEST

START_TEST(sse_clients_follow_the_plan_too)
{
    plan(TS_SSE, 0, 5, 1);
    phase_plan_build(&o.plan, 5, 0, 0, 100, 0, 0, 500, 0);
    struct load_report m;
    run_worker(TS_SSE, 0, &m, NULL);
    ck_assert_uint_eq(m.attempted, 5);
    ck_assert_uint_eq(m.connected, 5);
    ck_assert_uint_eq(m.clients_at_end, 5);
    ck_assert_uint_ge(m.min_ticks, 4);
    ck_assert_uint_eq(m.closed_by_us, 5); /* the end of the plan closes the rest */
    ck_assert_uint_eq(reports_errors(&m), 0);
}
END_TEST

START_TEST(the_rate_limit_spreads_new_connections)
{
    /* 10 per second over every worker: about 8 in 800 ms, not all 40. */
    plan(TS_WS, 0, 40, 1);
    o.rate = 10;
    phase_plan_build(&o.plan, 40, 0, 0, 0, 0, 0, 800, 0);
    struct load_report m;
    run_worker(TS_WS, 0, &m, NULL);
    ck_assert_msg(m.attempted >= 5 && m.attempted <= 11, "%llu attempted",
                  (unsigned long long)m.attempted);
    ck_assert_uint_eq(m.connected, m.attempted);
}
END_TEST

START_TEST(a_server_that_never_answers_leaves_unfinished_clients)
{
    plan(TS_SILENT, 0, 4, 1);
    phase_plan_build(&o.plan, 4, 0, 0, 0, 0, 0, 300, 0);
    struct load_report m;
    run_worker(TS_SILENT, 0, &m, NULL);
    ck_assert_uint_eq(m.attempted, 4);
    ck_assert_uint_eq(m.connected, 0);
    ck_assert_uint_eq(m.cause[CAUSE_UNFINISHED], 4);
}
END_TEST

static Suite *worker_suite(void)
{
    Suite *s = suite_create("worker");
    TCase *tc = tcase_create("plan");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_worker_follows_the_plan_and_reports_its_share);
    tcase_add_test(tc, sse_clients_follow_the_plan_too);
    tcase_add_test(tc, the_rate_limit_spreads_new_connections);
    tcase_add_test(tc, a_server_that_never_answers_leaves_unfinished_clients);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(worker_suite)
