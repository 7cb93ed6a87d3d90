/* Unit tests of load/summary.c: the verdict, the table and the JSON line
 * printed for a merged report, and the progress line. */
#include "config.h"

#include "check_main.h"
#include "summary.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct load_opts o;
static struct load_report m;
static struct summary_run run;
static char *text;
static size_t text_len;

/* 100 clients wanted over ramp 1 s and sustain 2 s; 99 connected, 1
 * refused; latencies of 2 ms; 300 messages in sustain. */
static void setup(void)
{
    memset(&o, 0, sizeof o);
    memset(&m, 0, sizeof m);
    memset(&run, 0, sizeof run);
    o.clients = 100;
    o.workers = 2;
    phase_plan_build(&o.plan, 100, 0, 0, 1000, 0, 0, 2000, 0);
    o.min_connected_pct = 99;
    o.max_error_pct = 1;
    o.max_avg_latency_ms = 100;
    lstats_hist_init(&m.latency_us);
    lstats_hist_init(&m.connect_us);
    m.attempted = 100;
    m.connected = 99;
    m.cause[CAUSE_REFUSED] = 1;
    m.clients_at_end = 99;
    m.min_ticks = 5;
    m.max_ticks = 6;
    m.sustain_messages = 300;
    m.sustain_bytes = 3000000;
    for (int i = 0; i < 10; i++)
        lstats_hist_add(&m.latency_us, 2000);
    lstats_hist_add(&m.connect_us, 1500);
    run.sus_start_wall = 1000;
    run.sus_end_wall = 3000;
}

static int print(bool quiet, json_t **j)
{
    struct summary_args a = {&o, "ws://127.0.0.1:1/ws", "*", quiet};
    FILE *f = open_memstream(&text, &text_len);
    int rc = summary_print(f, &a, &m, &run);
    fclose(f);
    /* The JSON line is the last line. */
    char *nl = text + text_len - 1;
    ck_assert_int_eq(*nl, '\n');
    char *start = nl;
    while (start > text && start[-1] != '\n')
        start--;
    *j = json_loadb(start, (size_t)(nl - start), 0, NULL);
    ck_assert_ptr_nonnull(*j);
    return rc;
}

START_TEST(a_run_within_the_criteria_passes)
{
    json_t *j;
    ck_assert_int_eq(print(false, &j), 0);
    ck_assert(json_is_true(json_object_get(j, "pass")));
    ck_assert_int_eq(json_array_size(json_object_get(j, "failed")), 0);
    ck_assert_double_eq_tol(json_real_value(json_object_get(j, "connected_pct")), 99.0, 1e-9);
    ck_assert_double_eq_tol(json_real_value(json_object_get(j, "error_pct")), 1.0, 1e-9);
    ck_assert_double_eq_tol(json_real_value(json_object_get(j, "messages_per_s")), 150.0, 1e-9);
    ck_assert_double_eq_tol(
        json_real_value(json_object_get(json_object_get(j, "latency_ms"), "avg")), 2.0, 1e-9);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "causes"), "refused")),
                     1);
    ck_assert_str_eq(json_string_value(json_object_get(j, "transport")), "websocket");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "sustain_end_ms")), 3000);
    ck_assert_ptr_null(json_object_get(j, "server")); /* no --pid */
    ck_assert_ptr_nonnull(strstr(text, "cryptopulse-load: ws://127.0.0.1:1/ws (websocket), 100 "
                                       "clients, subscribe *, 2 workers\n"));
    ck_assert_ptr_nonnull(strstr(text, "errors <= 1 %: PASS\n"));
    ck_assert_ptr_nonnull(strstr(text, "refused 1"));
    json_decref(j);
    free(text);
}
END_TEST

START_TEST(each_failed_criterion_is_named_in_bit_order)
{
    m.connected = 90;
    m.cause[CAUSE_TIMEOUT] = 9;
    o.max_p99_latency_ms = 1;
    json_t *j;
    ck_assert_int_eq(print(true, &j), 1);
    ck_assert(json_is_false(json_object_get(j, "pass")));
    json_t *failed = json_object_get(j, "failed");
    ck_assert_int_eq(json_array_size(failed), 3);
    ck_assert_str_eq(json_string_value(json_array_get(failed, 0)), "connected");
    ck_assert_str_eq(json_string_value(json_array_get(failed, 1)), "p99_latency");
    ck_assert_str_eq(json_string_value(json_array_get(failed, 2)), "errors");
    ck_assert_ptr_eq(strchr(text, '\n'), text + text_len - 1); /* quiet: the JSON line alone */
    json_decref(j);
    free(text);
}
END_TEST

START_TEST(server_figures_come_with_pids)
{
    snprintf(o.pids, sizeof o.pids, "1");
    long hz = sysconf(_SC_CLK_TCK);
    run.p_start = (struct procstat){.rss_kb = 10000, .cpu_ticks = 5 * hz, .ok = 1};
    run.p_sus_start = (struct procstat){.rss_kb = 10050, .cpu_ticks = 7 * hz, .ok = 1};
    run.p_sus_end = (struct procstat){.rss_kb = 10000 + 99, .cpu_ticks = 10 * hz, .ok = 1};
    run.rss_peak_kb = 20000;
    json_t *j;
    ck_assert_int_eq(print(false, &j), 0);
    json_t *srv = json_object_get(j, "server");
    ck_assert_ptr_nonnull(srv);
    ck_assert_int_eq(json_integer_value(json_object_get(srv, "rss_peak_kb")), 20000);
    ck_assert_double_eq_tol(json_real_value(json_object_get(srv, "rss_per_conn_bytes")), 1024.0,
                            1e-9);
    /* CPU-seconds: 2 from the start to the sustain (set-up), 3 in it. */
    ck_assert_double_eq_tol(json_real_value(json_object_get(srv, "cpu_s_setup")), 2.0, 1e-9);
    ck_assert_double_eq_tol(json_real_value(json_object_get(srv, "cpu_s_sustain")), 3.0, 1e-9);
    ck_assert_ptr_nonnull(strstr(text, "1024 bytes per client"));
    json_decref(j);
    free(text);
}
END_TEST

START_TEST(no_server_figures_once_a_process_is_gone)
{
    /* A storm restarts the server: the pid read at the start is gone by
     * the end of the sustain, and differences with it would be nonsense. */
    snprintf(o.pids, sizeof o.pids, "1");
    run.p_start = (struct procstat){.rss_kb = 10000, .cpu_ticks = 500, .ok = 1};
    run.p_sus_start = (struct procstat){.rss_kb = 10050, .cpu_ticks = 700, .ok = 1};
    run.p_sus_end = (struct procstat){.ok = 0};
    json_t *j;
    ck_assert_int_eq(print(false, &j), 0);
    ck_assert_ptr_null(json_object_get(j, "server"));
    ck_assert_ptr_null(strstr(text, "bytes per client"));
    json_decref(j);
    free(text);
}
END_TEST

START_TEST(sustain_samples_are_taken_once_at_its_edges)
{
    summary_sample(&run, &o, 999);
    ck_assert(!run.have_sus_start);
    summary_sample(&run, &o, 1000);
    ck_assert(run.have_sus_start && !run.have_sus_end);
    int64_t first = run.sus_start_wall;
    summary_sample(&run, &o, 2000);
    ck_assert_int_eq(run.sus_start_wall, first);
    summary_sample(&run, &o, 3000);
    ck_assert(run.have_sus_end);
    ck_assert_int_ge(run.sus_end_wall, first);
}
END_TEST

START_TEST(progress_line_names_the_phase_and_the_target)
{
    m.open = 40;
    m.messages = 500;
    uint64_t last = 200;
    FILE *f = open_memstream(&text, &text_len);
    summary_progress(f, &o, &m, 500, &last);
    fclose(f);
    ck_assert_uint_eq(last, 500);
    ck_assert_ptr_nonnull(strstr(text, "ramp"));
    ck_assert_ptr_nonnull(strstr(text, "open 40/50"));
    ck_assert_ptr_nonnull(strstr(text, "failed 1"));
    ck_assert_ptr_nonnull(strstr(text, "msg/s 300"));
    ck_assert_ptr_nonnull(strstr(text, "p99 2.0 ms"));
    free(text);
}
END_TEST

static Suite *summary_suite(void)
{
    Suite *s = suite_create("summary");
    TCase *tc = tcase_create("output");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, a_run_within_the_criteria_passes);
    tcase_add_test(tc, each_failed_criterion_is_named_in_bit_order);
    tcase_add_test(tc, server_figures_come_with_pids);
    tcase_add_test(tc, no_server_figures_once_a_process_is_gone);
    tcase_add_test(tc, sustain_samples_are_taken_once_at_its_edges);
    tcase_add_test(tc, progress_line_names_the_phase_and_the_target);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(summary_suite)
