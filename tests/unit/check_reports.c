/* Unit tests of load/reports.c: the workers' pipe messages, written with
 * reports_send() into real pipes, read back, merged, and the ticks file. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "reports.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct load_report report(uint64_t attempted, uint64_t at_end, uint64_t min_ticks,
                                 uint64_t max_ticks, uint64_t latency_us)
{
    struct load_report r;
    memset(&r, 0, sizeof r);
    r.magic = LOAD_REPORT_MAGIC;
    lstats_hist_init(&r.latency_us);
    lstats_hist_init(&r.connect_us);
    r.attempted = r.connected = attempted;
    r.messages = attempted * 10;
    r.cause[CAUSE_REFUSED] = 1;
    r.clients_at_end = at_end;
    r.min_ticks = min_ticks;
    r.max_ticks = max_ticks;
    r.last_ready_ms = (int64_t)attempted;
    lstats_hist_add(&r.latency_us, latency_us);
    return r;
}

/* A pipe that holds several reports (about 37 KB each) unread. */
static void big_pipe(int fds[2])
{
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_ge(fcntl(fds[1], F_SETPIPE_SZ, 1 << 20), 1 << 18);
}

/* Everything written to a pipe, read back by reports_read(). */
static void pass_through(struct reports *rs, int index, int fds[2])
{
    close(fds[1]);
    while (reports_read(rs, index, fds[0]))
        ;
    close(fds[0]);
}

START_TEST(latest_reports_of_every_worker_are_merged)
{
    struct reports *rs = reports_new(3);
    int a[2], b[2];
    big_pipe(a);
    big_pipe(b);
    struct load_report r = report(5, 0, 0, 0, 1000);
    reports_send(a[1], LOAD_MSG_REPORT, &r, sizeof r); /* superseded by the next */
    r = report(10, 4, 7, 9, 2000);
    reports_send(a[1], LOAD_MSG_REPORT, &r, sizeof r);
    r = report(20, 5, 3, 12, 4000);
    reports_send(b[1], LOAD_MSG_REPORT, &r, sizeof r);
    pass_through(rs, 0, a);
    pass_through(rs, 2, b); /* worker 1 sent nothing */
    struct load_report m;
    reports_merge(rs, &m);
    ck_assert_uint_eq(m.attempted, 30);
    ck_assert_uint_eq(m.messages, 300);
    ck_assert_uint_eq(m.clients_at_end, 9);
    ck_assert_uint_eq(m.min_ticks, 3);
    ck_assert_uint_eq(m.max_ticks, 12);
    ck_assert_int_eq(m.last_ready_ms, 20);
    ck_assert_uint_eq(m.latency_us.count, 2);
    ck_assert_uint_eq(m.latency_us.max, 4000);
    ck_assert_uint_eq(reports_errors(&m), 2);
    reports_free(rs);
    reports_free(NULL);
}
END_TEST

START_TEST(no_report_merges_to_zero)
{
    struct reports *rs = reports_new(2);
    struct load_report m;
    reports_merge(rs, &m);
    ck_assert_uint_eq(m.attempted, 0);
    ck_assert_uint_eq(m.min_ticks, 0);
    ck_assert_uint_eq(reports_errors(&m), 0);
    reports_free(rs);
}
END_TEST

/* A worker's writes arrive in pieces: a message split anywhere waits for
 * its rest. */
START_TEST(messages_split_across_reads_are_reassembled)
{
    struct reports *rs = reports_new(1);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    struct load_report r = report(42, 1, 1, 1, 10);
    uint32_t head[2] = {LOAD_MSG_REPORT, sizeof r};
    char bytes[sizeof head + sizeof r];
    memcpy(bytes, head, sizeof head);
    memcpy(bytes + sizeof head, &r, sizeof r);
    struct load_report m;
    for (size_t cut = 0, step = 3; cut < sizeof bytes; cut += step, step *= 7) {
        size_t n = cut + step > sizeof bytes ? sizeof bytes - cut : step;
        ck_assert_int_eq(write(p[1], bytes + cut, n), (ssize_t)n);
        ck_assert(reports_read(rs, 0, p[0]));
        reports_merge(rs, &m);
        ck_assert_uint_eq(m.attempted, cut + n == sizeof bytes ? 42 : 0);
    }
    close(p[1]);
    ck_assert(!reports_read(rs, 0, p[0])); /* end of file */
    close(p[0]);
    reports_free(rs);
}
END_TEST

START_TEST(a_report_of_the_wrong_size_is_ignored)
{
    struct reports *rs = reports_new(1);
    int p[2];
    big_pipe(p);
    struct load_report r = report(9, 0, 0, 0, 1);
    reports_send(p[1], LOAD_MSG_REPORT, &r, sizeof r - 1);
    reports_send(p[1], 99, &r, sizeof r);
    pass_through(rs, 0, p);
    struct load_report m;
    reports_merge(rs, &m);
    ck_assert_uint_eq(m.attempted, 0);
    reports_free(rs);
}
END_TEST

START_TEST(ticks_of_every_worker_are_summed_oldest_first)
{
    struct reports *rs = reports_new(2);
    int a[2], b[2];
    big_pipe(a);
    big_pipe(b);
    struct load_tick ta[] = {{2000, 0, 3}, {1000, 1, 3}, {1000, 0, 2}};
    struct load_tick tb[] = {{1000, 1, 4}, {3000, 0, 1}};
    reports_send(a[1], LOAD_MSG_TICKS, ta, sizeof ta);
    reports_send(b[1], LOAD_MSG_TICKS, tb, sizeof tb);
    pass_through(rs, 0, a);
    pass_through(rs, 1, b);
    char path[] = "/tmp/check_reports_XXXXXX";
    close(mkstemp(path));
    ck_assert_int_eq(reports_write_ticks(rs, path), CP_OK);
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(path);
    ck_assert_str_eq(buf, "1000-0 2\n1000-1 7\n2000-0 3\n3000-0 1\n");
    ck_assert_int_eq(reports_write_ticks(rs, "/nonexistent/dir/ticks"), CP_EIO);
    reports_free(rs);
}
END_TEST

START_TEST(send_to_a_closed_pipe_returns)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    struct load_report r = report(1, 0, 0, 0, 1);
    reports_send(p[1], LOAD_MSG_REPORT, &r, sizeof r); /* EPIPE: no hang, no crash */
    close(p[1]);
}
END_TEST

static Suite *reports_suite(void)
{
    Suite *s = suite_create("reports");
    TCase *tc = tcase_create("pipe");
    tcase_add_test(tc, latest_reports_of_every_worker_are_merged);
    tcase_add_test(tc, no_report_merges_to_zero);
    tcase_add_test(tc, messages_split_across_reads_are_reassembled);
    tcase_add_test(tc, a_report_of_the_wrong_size_is_ignored);
    tcase_add_test(tc, ticks_of_every_worker_are_summed_oldest_first);
    tcase_add_test(tc, send_to_a_closed_pipe_returns);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(reports_suite)
