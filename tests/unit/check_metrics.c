#include "config.h"

#include "check_main.h"
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A worker's counters with b0 latencies ≤ 1 ms, b3 in (5, 10] and b_inf past
 * 10 s, the largest max_ms. */
static json_t *worker_inf(const char *instance, int n, int ws, int b0, int b3, int b_inf,
                          double max_ms)
{
    return json_pack("{s:s, s:i, s:i, s:i, s:i, s:{s:i, s:i}, s:{s:i}, s:i, s:f, s:{s:i}, "
                     "s:{s:f, s:f, s:[i, i, i, i, i, i, i, i, i, i, i, i, i, i]}}",
                     "instance", instance, "worker", n, "pid", 100 + n, "uptime_ms", 1000 * n,
                     "ticks", 40 + n, "websocket", "current", ws, "total", ws * 2, "sse", "current",
                     1, "messages_out", 10, "messages_per_second", 2.5, "subscriptions", "BTC", ws,
                     "latency_ms", "sum_ms", 3.0, "max_ms", max_ms, "buckets", b0, 0, 0, b3, 0, 0,
                     0, 0, 0, 0, 0, 0, 0, b_inf);
}

static json_t *worker(const char *instance, int n, int ws, int b0, int b3)
{
    return worker_inf(instance, n, ws, b0, b3, 0, b3 ? 6.0 + n : 0.5);
}

START_TEST(merge_sums_counters_and_keeps_each_worker)
{
    json_t *ws = json_pack("[o, o, o]", worker("a:1", 0, 3, 1, 0), worker("a:1", 1, 4, 0, 1),
                           worker("b:2", 0, 5, 0, 2));
    json_t *t = metrics_merge(ws);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(t, "websocket"), "current")), 12);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(t, "sse"), "current")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "messages_out")), 30);
    ck_assert_double_eq_tol(json_real_value(json_object_get(t, "messages_per_second")), 7.5, 1e-9);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(t, "subscriptions"), "BTC")), 12);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "uptime_ms")), 1000); /* the largest */
    ck_assert_int_eq(json_integer_value(json_object_get(t, "ticks")), 41); /* the feeder's count */
    ck_assert_int_eq(json_integer_value(json_object_get(t, "instances")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(t, "workers")), 3);
    ck_assert_ptr_null(json_object_get(t, "pid"));
    json_t *lat = json_object_get(t, "latency_ms");
    ck_assert_int_eq(json_integer_value(json_object_get(lat, "count")), 4);
    /* rank ceil(3.96) = 4 of 4, and rank 2 for p50, lie in (5, 10]: not a
     * point inside the bucket, but its bound or, lower, the largest latency
     * any worker saw (7) */
    ck_assert_double_eq(json_real_value(json_object_get(lat, "p50")), 7);
    ck_assert_double_eq(json_real_value(json_object_get(lat, "p99")), 7);
    ck_assert_double_eq(json_real_value(json_object_get(lat, "max_ms")), 7); /* the largest */
    json_decref(t);
    json_decref(ws);
}
END_TEST

/* Past the last bucket the quantile is the largest observation: that of the
 * worker which saw it, whichever order the workers come in. */
START_TEST(merge_takes_the_largest_max_for_the_inf_bucket)
{
    json_t *ws = json_pack("[o, o, o]", worker_inf("a:1", 0, 1, 1, 0, 1, 15000),
                           worker_inf("a:1", 1, 1, 0, 0, 1, 20000.5), worker("b:2", 0, 1, 1, 0));
    json_t *t = metrics_merge(ws);
    json_t *lat = json_object_get(t, "latency_ms");
    ck_assert_int_eq(json_integer_value(json_object_get(lat, "count")), 4);
    ck_assert_double_eq(json_real_value(json_object_get(lat, "p50")), 1);       /* rank 2 */
    ck_assert_double_eq(json_real_value(json_object_get(lat, "p95")), 20000.5); /* rank 4 */
    ck_assert_double_eq(json_real_value(json_object_get(lat, "max_ms")), 20000.5);
    json_t *w0 = json_object_get(json_array_get(json_object_get(t, "workers"), 0), "latency_ms");
    ck_assert_double_eq(json_real_value(json_object_get(w0, "max_ms")), 15000);
    json_decref(t);
    json_decref(ws);
}
END_TEST

/* One histogram written by the gateway's own code reads back the same. */
START_TEST(latency_json_reports_bounds_and_max)
{
    struct latency_hist h = {0};
    latency_observe(&h, 0.3);
    latency_observe(&h, 0.3);
    latency_observe(&h, 0.3);
    json_t *j = metrics_latency_json(&h);
    ck_assert_double_eq_tol(json_real_value(json_object_get(j, "p50")), 0.3, 1e-12);
    ck_assert_double_eq_tol(json_real_value(json_object_get(j, "p95")), 0.3, 1e-12);
    ck_assert_double_eq_tol(json_real_value(json_object_get(j, "p99")), 0.3, 1e-12);
    ck_assert_double_eq_tol(json_real_value(json_object_get(j, "max_ms")), 0.3, 1e-12);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 3);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "buckets")), LATENCY_BUCKETS + 1);
    json_decref(j);
}
END_TEST

/* A worker whose real figures are huge: summed, they overflow to inf. */
static json_t *worker_huge(const char *instance, int n, double rate, double sum_ms)
{
    json_t *w = worker(instance, n, 1, 1, 0);
    json_object_set_new(w, "messages_per_second", json_real(rate));
    json_object_set_new(json_object_get(w, "latency_ms"), "sum_ms", json_real(sum_ms));
    return w;
}

/* jansson refuses reals that are not finite: such a total is null, never a
 * missing field, and stays null whatever is added after it. */
START_TEST(merged_reals_past_the_double_range_are_null)
{
    json_t *ws = json_pack("[o, o, o]", worker_huge("a:1", 0, 1e308, 1e308),
                           worker_huge("a:1", 1, 1e308, 1e308), worker_huge("a:1", 2, -1e308, 1));
    json_t *t = metrics_merge(ws);
    json_t *rate = json_object_get(t, "messages_per_second");
    ck_assert_msg(rate != NULL, "messages_per_second left out");
    ck_assert_msg(json_is_null(rate), "messages_per_second %g, not null", json_number_value(rate));
    json_t *lat = json_object_get(t, "latency_ms");
    ck_assert_msg(json_is_object(lat), "latency_ms left out");
    ck_assert(json_is_null(json_object_get(lat, "sum_ms")));
    ck_assert_int_eq(json_integer_value(json_object_get(lat, "count")), 3);
    ck_assert(json_real_value(json_object_get(lat, "p99")) == 0.5); /* max_ms, under 1 */
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(t, "websocket"), "current")), 3);
    /* A worker that wrote null (its own figure was not finite) keeps the
     * total null: it is unknown, not 0. */
    json_t *w = worker_huge("b:1", 0, 1, 1);
    json_object_set_new(w, "messages_per_second", json_null());
    json_object_set_new(json_object_get(w, "latency_ms"), "sum_ms", json_null());
    json_t *ws2 = json_pack("[O, o]", w, worker_huge("b:1", 1, 2, 2));
    json_t *t2 = metrics_merge(ws2);
    ck_assert(json_is_null(json_object_get(t2, "messages_per_second")));
    ck_assert(json_is_null(json_object_get(json_object_get(t2, "latency_ms"), "sum_ms")));
    json_decref(t2);
    json_decref(ws2);
    /* The same order with null last. */
    ws2 = json_pack("[o, o]", worker_huge("b:1", 1, 2, 2), w);
    t2 = metrics_merge(ws2);
    ck_assert(json_is_null(json_object_get(t2, "messages_per_second")));
    ck_assert(json_is_null(json_object_get(json_object_get(t2, "latency_ms"), "sum_ms")));
    json_decref(t2);
    json_decref(ws2);
    json_decref(t);
    json_decref(ws);
}
END_TEST

START_TEST(latency_json_of_a_sum_past_the_double_range_is_null)
{
    struct latency_hist h = {0};
    latency_observe(&h, 3);
    h.sum_ms = INFINITY;
    json_t *j = metrics_latency_json(&h);
    ck_assert_msg(json_is_object(j), "no latency object");
    ck_assert(json_is_null(json_object_get(j, "sum_ms")));
    ck_assert(json_real_value(json_object_get(j, "max_ms")) == 3.0);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 1);
    json_decref(j);
}
END_TEST

START_TEST(prometheus_labels_every_series_by_worker)
{
    json_t *ws = json_pack("[o, o]", worker("a:1", 0, 3, 1, 0), worker("a:1", 1, 4, 0, 1));
    char *text = metrics_prometheus(ws);
    ck_assert_ptr_nonnull(strstr(text, "# TYPE cryptopulse_connections gauge\n"));
    ck_assert_ptr_nonnull(strstr(
        text, "cryptopulse_connections{gateway=\"a:1\",worker=\"1\",transport=\"websocket\"} 4\n"));
    ck_assert_ptr_nonnull(strstr(text, "cryptopulse_fanout_latency_seconds_bucket{gateway=\"a:1\","
                                       "worker=\"0\",le=\"0.001\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(
        text,
        "cryptopulse_fanout_latency_seconds_bucket{gateway=\"a:1\",worker=\"1\",le=\"+Inf\"} 1\n"));
    ck_assert_ptr_nonnull(
        strstr(text, "cryptopulse_fanout_latency_seconds_count{gateway=\"a:1\",worker=\"1\"} 1\n"));
    /* One HELP/TYPE per family, even when a family has several series. */
    ck_assert_ptr_null(strstr(strstr(text, "# TYPE cryptopulse_connections gauge") + 1,
                              "# TYPE cryptopulse_connections gauge"));
    free(text);
    json_decref(ws);
}
END_TEST

START_TEST(prometheus_escapes_labels_and_spells_null_as_nan)
{
    json_t *w = worker("gw \"east\"\\1\n", 0, 3, 1, 0);
    /* A figure that was not finite is null in /stats (real_or_null()). */
    json_object_set_new(w, "rss_bytes", json_null());
    json_object_set_new(json_object_get(w, "latency_ms"), "sum_ms", json_null());
    json_t *ws = json_pack("[o]", w);
    char *text = metrics_prometheus(ws);
    ck_assert_ptr_nonnull(strstr(text,
                                 "cryptopulse_connections{gateway=\"gw \\\"east\\\"\\\\1\\n\","
                                 "worker=\"0\",transport=\"websocket\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "cryptopulse_resident_memory_bytes{gateway=\"gw "
                                       "\\\"east\\\"\\\\1\\n\",worker=\"0\"} NaN\n"));
    ck_assert_ptr_nonnull(strstr(text, "cryptopulse_fanout_latency_seconds_sum{gateway=\"gw "
                                       "\\\"east\\\"\\\\1\\n\",worker=\"0\"} NaN\n"));
    /* No raw line feed inside a label: every line is a comment or a sample. */
    for (const char *line = text; *line; line = strchr(line, '\n') + 1)
        ck_assert(line[0] == '#' || strncmp(line, "cryptopulse_", 12) == 0);
    free(text);
    json_decref(ws);
}
END_TEST

/* What /stats has beyond the basic counters is in /metrics too: peaks,
 * conflated messages, deflate and upgraded counts, subscribers per channel
 * (label escaped as any other). */
START_TEST(prometheus_carries_peaks_conflation_and_subscribers)
{
    json_t *w = worker("a:1", 0, 3, 1, 0);
    json_object_set_new(json_object_get(w, "websocket"), "peak", json_integer(7));
    json_object_set_new(json_object_get(w, "websocket"), "deflate", json_integer(2));
    json_object_set_new(w, "socketio", json_pack("{s:i, s:i}", "peak", 5, "upgraded", 4));
    json_object_set_new(w, "conflated", json_integer(11));
    json_object_set_new(w, "refused", json_integer(6));
    json_object_set_new(json_object_get(w, "subscriptions"), "*", json_integer(9));
    json_object_set_new(json_object_get(w, "subscriptions"), "X\"Y", json_integer(1));
    json_t *ws = json_pack("[o]", w);
    char *text = metrics_prometheus(ws);
    static const char *const want[] = {
        "cryptopulse_connections_peak{gateway=\"a:1\",worker=\"0\",transport=\"websocket\"} 7\n",
        "cryptopulse_connections_peak{gateway=\"a:1\",worker=\"0\",transport=\"socketio\"} 5\n",
        "cryptopulse_websocket_deflate_total{gateway=\"a:1\",worker=\"0\"} 2\n",
        "cryptopulse_socketio_upgraded_total{gateway=\"a:1\",worker=\"0\"} 4\n",
        "cryptopulse_conflated_messages_total{gateway=\"a:1\",worker=\"0\"} 11\n",
        "cryptopulse_connections_refused_total{gateway=\"a:1\",worker=\"0\"} 6\n",
        "# TYPE cryptopulse_subscribers gauge\n",
        "cryptopulse_subscribers{gateway=\"a:1\",worker=\"0\",symbol=\"BTC\"} 3\n",
        "cryptopulse_subscribers{gateway=\"a:1\",worker=\"0\",symbol=\"*\"} 9\n",
        "cryptopulse_subscribers{gateway=\"a:1\",worker=\"0\",symbol=\"X\\\"Y\"} 1\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(text, want[i]), "missing: %s", want[i]);
    free(text);
    json_decref(ws);
}
END_TEST

START_TEST(workers_skip_expired_and_malformed_texts)
{
    const char *texts[] = {"{\"instance\":\"a\",\"worker\":0}", NULL, "[1]", "not json",
                           "{\"instance\":\"b\",\"worker\":1}"};
    size_t lens[5];
    for (int i = 0; i < 5; i++)
        lens[i] = texts[i] ? strlen(texts[i]) : 0;
    json_t *w = metrics_workers(texts, lens, 5);
    ck_assert_uint_eq(json_array_size(w), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(w, 1), "instance")), "b");
    json_decref(w);
    w = metrics_workers(NULL, NULL, 0);
    ck_assert_uint_eq(json_array_size(w), 0);
    json_decref(w);
    ck_assert_int_eq(metrics_ttl_ms(200), 1600);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("merge");
    tcase_add_test(tc, merge_sums_counters_and_keeps_each_worker);
    tcase_add_test(tc, merge_takes_the_largest_max_for_the_inf_bucket);
    tcase_add_test(tc, latency_json_reports_bounds_and_max);
    tcase_add_test(tc, merged_reals_past_the_double_range_are_null);
    tcase_add_test(tc, latency_json_of_a_sum_past_the_double_range_is_null);
    tcase_add_test(tc, prometheus_labels_every_series_by_worker);
    tcase_add_test(tc, prometheus_escapes_labels_and_spells_null_as_nan);
    tcase_add_test(tc, prometheus_carries_peaks_conflation_and_subscribers);
    tcase_add_test(tc, workers_skip_expired_and_malformed_texts);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(metrics_suite)
