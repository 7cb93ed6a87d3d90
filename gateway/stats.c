#include "config.h"

#include "stats.h"

#include "gateway.h"
#include "latency.h"
#include "price.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_int_t rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (json_int_t)resident * sysconf(_SC_PAGESIZE);
}

static json_t *latency_json(const struct latency_hist *h)
{
    json_t *buckets = json_array();
    for (size_t i = 0; i <= LATENCY_BUCKETS; i++)
        json_array_append_new(buckets, json_integer((json_int_t)h->buckets[i]));
    return json_pack("{s:f, s:f, s:f, s:I, s:f, s:o}", "p50", latency_quantile(h, 0.50), "p95",
                     latency_quantile(h, 0.95), "p99", latency_quantile(h, 0.99), "count",
                     (json_int_t)h->count, "sum_ms", h->sum_ms, "buckets", buckets);
}

json_t *stats_worker(const struct gateway *gw)
{
    const struct gateway_stats *s = &gw->stats;
    const struct hub_stats *h = hub_get_stats(gw->hub);
    json_t *j = json_pack(
        "{s:s, s:i, s:i, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:I, s:I, s:I, s:I}",
        "instance", gw->instance, "worker", gw->worker, "pid", (int)getpid(), "uptime_ms",
        (json_int_t)(price_now_ms() - gw->started_ms), "rss_bytes", rss_bytes(), "websocket",
        "current", (json_int_t)s->ws_current, "peak", (json_int_t)s->ws_peak, "total",
        (json_int_t)s->ws_total, "deflate", (json_int_t)s->ws_deflate, "sse", "current",
        (json_int_t)s->sse_current, "peak", (json_int_t)s->sse_peak, "total",
        (json_int_t)s->sse_total, "messages_in", (json_int_t)s->messages_in, "bytes_in",
        (json_int_t)s->bytes_in, "messages_out", (json_int_t)h->messages_out, "bytes_out",
        (json_int_t)h->bytes_out);
    json_object_set_new(j, "messages_per_second", json_real(s->messages_per_second));
    json_object_set_new(j, "ticks", json_integer((json_int_t)h->ticks));
    json_object_set_new(j, "bad_ticks", json_integer((json_int_t)h->bad_ticks));
    json_object_set_new(j, "dropped", json_integer((json_int_t)h->overflows));
    json_object_set_new(j, "conflations", json_integer((json_int_t)h->conflations));
    json_object_set_new(j, "conflated", json_integer((json_int_t)h->conflated));
    json_object_set_new(j, "rate_limited", json_integer((json_int_t)s->rate_limited));
    json_object_set_new(j, "subscriptions", hub_subscriptions(gw->hub));
    json_object_set_new(j, "latency_ms", latency_json(&h->latency));
    return j;
}

/* ---- merging ------------------------------------------------------------ */

static bool is_identity(const char *key)
{
    return strcmp(key, "instance") == 0 || strcmp(key, "worker") == 0 ||
           strcmp(key, "pid") == 0;
}

static void add_latency(const json_t *from, struct latency_hist *h)
{
    const json_t *buckets = json_object_get(from, "buckets");
    for (size_t i = 0; i <= LATENCY_BUCKETS && i < json_array_size(buckets); i++) {
        json_int_t n = json_integer_value(json_array_get(buckets, i));
        h->buckets[i] += (uint64_t)n;
        h->count += (uint64_t)n;
    }
    h->sum_ms += json_number_value(json_object_get(from, "sum_ms"));
}

/* Add every number of from into into, recursively; uptime_ms takes the max. */
static void add_numbers(json_t *into, const json_t *from, struct latency_hist *h)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)from, key, v) {
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
            json_object_set_new(into, key,
                                json_integer(strcmp(key, "uptime_ms") == 0 ? (a > b ? a : b)
                                                                           : a + b));
        } else if (json_is_real(v)) {
            json_object_set_new(into, key, json_real(json_number_value(have) + json_real_value(v)));
        }
    }
}

json_t *stats_merge(const json_t *workers)
{
    json_t *total = json_object(), *instances = json_object();
    struct latency_hist h = {0};
    size_t i;
    json_t *w;
    json_array_foreach((json_t *)workers, i, w) {
        add_numbers(total, w, &h);
        const char *inst = json_string_value(json_object_get(w, "instance"));
        json_object_set_new(instances, inst ? inst : "?", json_true());
    }
    json_object_set_new(total, "latency_ms", latency_json(&h));
    json_object_set_new(total, "instances", json_integer((json_int_t)json_object_size(instances)));
    json_object_set_new(total, "workers", json_deep_copy(workers));
    json_decref(instances);
    return total;
}

/* ---- Prometheus --------------------------------------------------------- */

struct stats_text {
    char *p;
    size_t len, cap;
};

static void put(struct stats_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct stats_text *t, const char *fmt, ...)
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
struct stats_metric {
    const char *name, *type, *help, *path, *labels;
};

static const struct stats_metric stats_metrics[] = {
    {"cryptopulse_connections", "gauge", "Open client connections.", "websocket.current",
     "transport=\"websocket\""},
    {"cryptopulse_connections", NULL, NULL, "sse.current", "transport=\"sse\""},
    {"cryptopulse_connections_opened_total", "counter", "Client connections opened.",
     "websocket.total", "transport=\"websocket\""},
    {"cryptopulse_connections_opened_total", NULL, NULL, "sse.total", "transport=\"sse\""},
    {"cryptopulse_messages_in_total", "counter", "Client messages received.", "messages_in", NULL},
    {"cryptopulse_bytes_in_total", "counter", "Client message bytes received.", "bytes_in", NULL},
    {"cryptopulse_messages_out_total", "counter", "Messages queued to clients.", "messages_out",
     NULL},
    {"cryptopulse_bytes_out_total", "counter", "Bytes queued to clients.", "bytes_out", NULL},
    {"cryptopulse_ticks_total", "counter", "Ticks fanned out.", "ticks", NULL},
    {"cryptopulse_bad_ticks_total", "counter", "Ticks rejected as malformed or out of order.",
     "bad_ticks", NULL},
    {"cryptopulse_dropped_clients_total", "counter", "Slow clients disconnected.", "dropped",
     NULL},
    {"cryptopulse_conflations_total", "counter", "Times a slow client started conflating.",
     "conflations", NULL},
    {"cryptopulse_rate_limited_total", "counter", "Client messages refused by the rate limit.",
     "rate_limited", NULL},
    {"cryptopulse_resident_memory_bytes", "gauge", "Resident set size of the worker.",
     "rss_bytes", NULL},
};

static double value_at(const json_t *w, const char *path)
{
    char head[64];
    const char *dot = strchr(path, '.');
    if (!dot)
        return json_number_value(json_object_get(w, path));
    snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
    return json_number_value(json_object_get(json_object_get(w, head), dot + 1));
}

static void labels(struct stats_text *t, const json_t *w, const char *extra)
{
    const char *instance = json_string_value(json_object_get(w, "instance"));
    put(t, "{instance=\"%s\",worker=\"%d\"%s%s}", instance ? instance : "",
        (int)json_integer_value(json_object_get(w, "worker")), extra ? "," : "",
        extra ? extra : "");
}

static void histogram(struct stats_text *t, const json_t *workers)
{
    put(t, "# HELP cryptopulse_fanout_latency_ms Tick ts to written to every subscriber, ms.\n"
           "# TYPE cryptopulse_fanout_latency_ms histogram\n");
    const double *bounds = latency_bounds();
    size_t i;
    json_t *w;
    json_array_foreach((json_t *)workers, i, w) {
        const json_t *lat = json_object_get(w, "latency_ms");
        const json_t *buckets = json_object_get(lat, "buckets");
        json_int_t cumulative = 0;
        for (size_t b = 0; b <= LATENCY_BUCKETS; b++) {
            char le[48];
            cumulative += json_integer_value(json_array_get(buckets, b));
            if (b < LATENCY_BUCKETS)
                snprintf(le, sizeof le, "le=\"%g\"", bounds[b]);
            else
                snprintf(le, sizeof le, "le=\"+Inf\"");
            put(t, "cryptopulse_fanout_latency_ms_bucket");
            labels(t, w, le);
            put(t, " %lld\n", (long long)cumulative);
        }
        put(t, "cryptopulse_fanout_latency_ms_sum");
        labels(t, w, NULL);
        put(t, " %.3f\ncryptopulse_fanout_latency_ms_count",
            json_number_value(json_object_get(lat, "sum_ms")));
        labels(t, w, NULL);
        put(t, " %lld\n", (long long)cumulative);
    }
}

char *stats_prometheus(const json_t *workers)
{
    struct stats_text t = {malloc(4096), 0, 4096};
    if (!t.p)
        abort();
    t.p[0] = '\0';
    for (size_t m = 0; m < sizeof stats_metrics / sizeof stats_metrics[0]; m++) {
        const struct stats_metric *sm = &stats_metrics[m];
        if (sm->help)
            put(&t, "# HELP %s %s\n# TYPE %s %s\n", sm->name, sm->help, sm->name, sm->type);
        size_t i;
        json_t *w;
        json_array_foreach((json_t *)workers, i, w) {
            put(&t, "%s", sm->name);
            labels(&t, w, sm->labels);
            put(&t, " %.15g\n", value_at(w, sm->path));
        }
    }
    histogram(&t, workers);
    return t.p;
}
