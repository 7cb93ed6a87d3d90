#include "config.h"

#include "stats.h"

#include "gateway.h"
#include "metrics.h"
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
    json_object_set_new(j, "latency_ms", metrics_latency_json(&h->latency));
    return j;
}
