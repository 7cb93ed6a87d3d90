#include "config.h"

#include "metrics.h"

#include "latency.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson refuses a real that is not finite (json_real gives NULL, and the
 * field would vanish from /stats): such a figure is null instead. */
static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* A worker's real figure for a sum: null (written for a figure that was not
 * finite) is NaN, so that the total stays null; absent is 0. */
static double real_in(const json_t *v)
{
    return json_is_null(v) ? NAN : json_number_value(v);
}

json_t *metrics_latency_json(const struct latency_hist *h)
{
    json_t *buckets = json_array();
    for (size_t i = 0; i <= LATENCY_BUCKETS; i++)
        json_array_append_new(buckets, json_integer((json_int_t)h->buckets[i]));
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:I, s:o, s:o}", "p50", real_or_null(latency_quantile(h, 0.50)),
        "p95", real_or_null(latency_quantile(h, 0.95)), "p99",
        real_or_null(latency_quantile(h, 0.99)), "max_ms", real_or_null(h->max_ms), "count",
        (json_int_t)h->count, "sum_ms", real_or_null(h->sum_ms), "buckets", buckets);
}

/* ---- merging ------------------------------------------------------------ */

int metrics_ttl_ms(int interval_ms)
{
    return 3 * interval_ms + 1000;
}

json_t *metrics_workers(const char *const *texts, const size_t *lens, size_t n)
{
    json_t *workers = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *w = texts[i] ? json_loadb(texts[i], lens[i], 0, NULL) : NULL;
        if (json_is_object(w))
            json_array_append(workers, w);
        json_decref(w);
    }
    return workers;
}

static bool is_identity(const char *key)
{
    return strcmp(key, "instance") == 0 || strcmp(key, "worker") == 0 || strcmp(key, "pid") == 0;
}

static void add_latency(const json_t *from, struct latency_hist *h)
{
    const json_t *buckets = json_object_get(from, "buckets");
    for (size_t i = 0; i <= LATENCY_BUCKETS && i < json_array_size(buckets); i++) {
        json_int_t n = json_integer_value(json_array_get(buckets, i));
        h->buckets[i] += (uint64_t)n;
        h->count += (uint64_t)n;
    }
    h->sum_ms += real_in(json_object_get(from, "sum_ms"));
    double max = real_in(json_object_get(from, "max_ms"));
    if (isnan(max) || max > h->max_ms) /* once NaN, no comparison replaces it */
        h->max_ms = max;
}

/* Figures every worker sees alike rather than its share: the total is the
 * largest, not the sum.  ticks: each worker fans out every tick, so the
 * largest count is the feeder's tick count (docs/PROTOCOL.md §5). */
static bool is_shared(const char *key)
{
    return strcmp(key, "uptime_ms") == 0 || strcmp(key, "ticks") == 0;
}

/* Add every number of from into into, recursively (is_shared ones: max). */
static void add_numbers(json_t *into, const json_t *from, struct latency_hist *h)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)from, key, v)
    {
        json_t *have = json_object_get(into, key);
        if (is_identity(key)) {
            continue;
        } else if (strcmp(key, "latency_ms") == 0) {
            add_latency(v, h);
        } else if (json_is_object(v)) {
            if (!have) {
                have = json_object();
                json_object_set_new(into, key, have);
            }
            add_numbers(have, v, h);
        } else if (json_is_integer(v)) {
            json_int_t a = json_integer_value(have), b = json_integer_value(v);
            json_object_set_new(into, key, json_integer(is_shared(key) ? (a > b ? a : b) : a + b));
        } else if (json_is_real(v) || json_is_null(v)) {
            json_object_set_new(into, key, real_or_null(real_in(have) + real_in(v)));
        }
    }
}

json_t *metrics_merge(const json_t *workers)
{
    json_t *total = json_object(), *instances = json_object();
    struct latency_hist h = {0};
    size_t i;
    json_t *w;
    json_array_foreach((json_t *)workers, i, w)
    {
        add_numbers(total, w, &h);
        const char *inst = json_string_value(json_object_get(w, "instance"));
        json_object_set_new(instances, inst ? inst : "?", json_true());
    }
    json_object_set_new(total, "latency_ms", metrics_latency_json(&h));
    json_object_set_new(total, "instances", json_integer((json_int_t)json_object_size(instances)));
    json_object_set_new(total, "workers", json_deep_copy(workers));
    json_decref(instances);
    return total;
}

/* ---- Prometheus --------------------------------------------------------- */

struct metrics_text {
    char *p;
    size_t len, cap;
};

static void put(struct metrics_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct metrics_text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + (size_t)(n > 0 ? n : 0) + 1;
        t->p = realloc(t->p, t->cap);
        if (!t->p)
            abort();
    }
}

/* One metric family whose value for a worker is at path ("a" or "a.b"). */
struct metrics_metric {
    const char *name, *type, *help, *path, *labels;
};

static const struct metrics_metric metrics_table[] = {
    {"cryptopulse_connections", "gauge", "Open client connections.", "websocket.current",
     "transport=\"websocket\""},
    {"cryptopulse_connections", NULL, NULL, "sse.current", "transport=\"sse\""},
    {"cryptopulse_connections", NULL, NULL, "socketio.current", "transport=\"socketio\""},
    {"cryptopulse_connections_peak", "gauge", "Most client connections open at once.",
     "websocket.peak", "transport=\"websocket\""},
    {"cryptopulse_connections_peak", NULL, NULL, "sse.peak", "transport=\"sse\""},
    {"cryptopulse_connections_peak", NULL, NULL, "socketio.peak", "transport=\"socketio\""},
    {"cryptopulse_connections_opened_total", "counter", "Client connections opened.",
     "websocket.total", "transport=\"websocket\""},
    {"cryptopulse_connections_opened_total", NULL, NULL, "sse.total", "transport=\"sse\""},
    {"cryptopulse_connections_opened_total", NULL, NULL, "socketio.total",
     "transport=\"socketio\""},
    {"cryptopulse_websocket_deflate_total", "counter",
     "WebSocket clients that negotiated permessage-deflate.", "websocket.deflate", NULL},
    {"cryptopulse_socketio_upgraded_total", "counter",
     "Socket.IO sessions moved onto WebSocket or opened there.", "socketio.upgraded", NULL},
    {"cryptopulse_messages_in_total", "counter", "Client messages received.", "messages_in", NULL},
    {"cryptopulse_bytes_in_total", "counter", "Client message bytes received.", "bytes_in", NULL},
    {"cryptopulse_messages_out_total", "counter", "Messages queued to clients.", "messages_out",
     NULL},
    {"cryptopulse_bytes_out_total", "counter", "Bytes queued to clients.", "bytes_out", NULL},
    {"cryptopulse_ticks_total", "counter", "Ticks fanned out.", "ticks", NULL},
    {"cryptopulse_bad_ticks_total", "counter", "Ticks rejected as malformed or out of order.",
     "bad_ticks", NULL},
    {"cryptopulse_dropped_clients_total", "counter", "Slow clients disconnected.", "dropped", NULL},
    {"cryptopulse_conflations_total", "counter", "Times a slow client started conflating.",
     "conflations", NULL},
    {"cryptopulse_conflated_messages_total", "counter",
     "Messages not queued to a conflating client.", "conflated", NULL},
    {"cryptopulse_rate_limited_total", "counter", "Client messages refused by the rate limit.",
     "rate_limited", NULL},
    {"cryptopulse_connections_refused_total", "counter",
     "Connections closed at their accept: MAX_CONNECTIONS or MAX_CONNECTIONS_PER_IP reached.",
     "refused", NULL},
    {"cryptopulse_resident_memory_bytes", "gauge", "Resident set size of the worker.", "rss_bytes",
     NULL},
};

/* A worker's figure at path: NaN for null (a figure that was not finite),
 * 0 when absent (a worker of an older version). */
static double value_at(const json_t *w, const char *path)
{
    char head[64];
    const char *dot = strchr(path, '.');
    const json_t *v;
    if (!dot) {
        v = json_object_get(w, path);
    } else {
        snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
        v = json_object_get(json_object_get(w, head), dot + 1);
    }
    return json_is_null(v) ? NAN : json_number_value(v);
}

/* A sample value, NaN as the exposition format spells it (JSON numbers are
 * finite: no infinity comes this way). */
static void put_value(struct metrics_text *t, double v)
{
    if (isnan(v))
        put(t, " NaN\n");
    else
        put(t, " %.15g\n", v);
}

/* A label value, escaped as the text exposition format requires: backslash,
 * double quote and line feed as \\, \" and \n. */
static void put_label_value(struct metrics_text *t, const char *s)
{
    while (*s) {
        size_t plain = strcspn(s, "\\\"\n");
        put(t, "%.*s", (int)plain, s);
        s += plain;
        if (*s) {
            put(t, "\\%c", *s == '\n' ? 'n' : *s);
            s++;
        }
    }
}

/* A worker's labels, without the closing brace. */
static void labels_open(struct metrics_text *t, const json_t *w)
{
    const char *instance = json_string_value(json_object_get(w, "instance"));
    /* "gateway", not "instance": Prometheus gives every scraped series its own
     * instance label (the scrape target), which would rename ours. */
    put(t, "{gateway=\"");
    put_label_value(t, instance ? instance : "");
    put(t, "\",worker=\"%d\"", (int)json_integer_value(json_object_get(w, "worker")));
}

static void labels(struct metrics_text *t, const json_t *w, const char *extra)
{
    labels_open(t, w);
    put(t, "%s%s}", extra ? "," : "", extra ? extra : "");
}

/* Subscribers per channel: one series per worker and symbol ("*" too). */
static void subscribers(struct metrics_text *t, const json_t *workers)
{
    put(t, "# HELP cryptopulse_subscribers Subscribers of a channel (symbol \"*\": every "
           "symbol).\n"
           "# TYPE cryptopulse_subscribers gauge\n");
    size_t i;
    json_t *w, *n;
    const char *symbol;
    json_array_foreach((json_t *)workers, i, w)
    {
        json_object_foreach(json_object_get(w, "subscriptions"), symbol, n)
        {
            put(t, "cryptopulse_subscribers");
            labels_open(t, w);
            put(t, ",symbol=\"");
            put_label_value(t, symbol);
            put(t, "\"}");
            put_value(t, json_is_null(n) ? NAN : json_number_value(n));
        }
    }
}

static void histogram(struct metrics_text *t, const json_t *workers)
{
    put(t, "# HELP cryptopulse_fanout_latency_seconds Tick ts to written to every subscriber, "
           "seconds.\n"
           "# TYPE cryptopulse_fanout_latency_seconds histogram\n");
    const double *bounds = latency_bounds();
    size_t i;
    json_t *w;
    json_array_foreach((json_t *)workers, i, w)
    {
        const json_t *lat = json_object_get(w, "latency_ms");
        const json_t *buckets = json_object_get(lat, "buckets");
        json_int_t cumulative = 0;
        for (size_t b = 0; b <= LATENCY_BUCKETS; b++) {
            char le[48];
            cumulative += json_integer_value(json_array_get(buckets, b));
            if (b < LATENCY_BUCKETS)
                snprintf(le, sizeof le, "le=\"%g\"", bounds[b] / 1000.0);
            else
                snprintf(le, sizeof le, "le=\"+Inf\"");
            put(t, "cryptopulse_fanout_latency_seconds_bucket");
            labels(t, w, le);
            put(t, " %lld\n", (long long)cumulative);
        }
        put(t, "cryptopulse_fanout_latency_seconds_sum");
        labels(t, w, NULL);
        put_value(t, value_at(lat, "sum_ms") / 1000.0);
        put(t, "cryptopulse_fanout_latency_seconds_count");
        labels(t, w, NULL);
        put(t, " %lld\n", (long long)cumulative);
    }
}

char *metrics_prometheus(const json_t *workers)
{
    struct metrics_text t = {malloc(4096), 0, 4096};
    if (!t.p)
        abort();
    t.p[0] = '\0';
    for (size_t m = 0; m < sizeof metrics_table / sizeof metrics_table[0]; m++) {
        const struct metrics_metric *sm = &metrics_table[m];
        if (sm->help)
            put(&t, "# HELP %s %s\n# TYPE %s %s\n", sm->name, sm->help, sm->name, sm->type);
        size_t i;
        json_t *w;
        json_array_foreach((json_t *)workers, i, w)
        {
            put(&t, "%s", sm->name);
            labels(&t, w, sm->labels);
            put_value(&t, value_at(w, sm->path));
        }
    }
    subscribers(&t, workers);
    histogram(&t, workers);
    return t.p;
}
