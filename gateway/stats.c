#include "config.h"

#include "stats.h"

#include "keys.h"
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

json_t *stats_worker(const struct ctx *ctx)
{
    const struct ctx_counters *s = &ctx->counters;
    const struct hub_stats *h = hub_get_stats(ctx->hub);
    json_t *j = json_pack(
        "{s:s, s:i, s:i, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:I, s:I, s:I, s:I}",
        "instance", ctx->instance, "worker", ctx->worker, "pid", (int)getpid(), "uptime_ms",
        (json_int_t)(price_now_ms() - ctx->started_ms), "rss_bytes", rss_bytes(), "websocket",
        "current", (json_int_t)s->ws_current, "peak", (json_int_t)s->ws_peak, "total",
        (json_int_t)s->ws_total, "deflate", (json_int_t)s->ws_deflate, "sse", "current",
        (json_int_t)s->sse_current, "peak", (json_int_t)s->sse_peak, "total",
        (json_int_t)s->sse_total, "messages_in", (json_int_t)s->messages_in, "bytes_in",
        (json_int_t)s->bytes_in, "messages_out", (json_int_t)h->messages_out, "bytes_out",
        (json_int_t)h->bytes_out);
    json_object_set_new(j, "socketio",
                        json_pack("{s:I, s:I, s:I, s:I}", "current", (json_int_t)s->sio_current,
                                  "peak", (json_int_t)s->sio_peak, "total",
                                  (json_int_t)s->sio_total, "upgraded",
                                  (json_int_t)s->sio_websocket));
    json_object_set_new(j, "messages_per_second", json_real(s->messages_per_second));
    json_object_set_new(j, "ticks", json_integer((json_int_t)h->ticks));
    json_object_set_new(j, "bad_ticks", json_integer((json_int_t)h->bad_ticks));
    json_object_set_new(j, "dropped", json_integer((json_int_t)h->overflows));
    json_object_set_new(j, "conflations", json_integer((json_int_t)h->conflations));
    json_object_set_new(j, "conflated", json_integer((json_int_t)h->conflated));
    json_object_set_new(j, "rate_limited", json_integer((json_int_t)s->rate_limited));
    json_object_set_new(j, "subscriptions", hub_subscriptions(ctx->hub));
    json_object_set_new(j, "latency_ms", metrics_latency_json(&h->latency));
    return j;
}

int stats_ttl_ms(const struct cp_conf *conf)
{
    return metrics_ttl_ms(conf->stats_interval_ms);
}

void stats_publish(struct ctx *ctx)
{
    struct ctx_counters *s = &ctx->counters;
    uint64_t out = hub_get_stats(ctx->hub)->messages_out;
    s->messages_per_second =
        (double)(out - s->messages_out_then) * 1000.0 / ctx->conf->stats_interval_ms;
    s->messages_out_then = out;
    json_t *j = stats_worker(ctx);
    char *text = json_dumps(j, JSON_COMPACT);
    char index[KEYS_MAX];
    keys_format(index, sizeof index, ctx->conf->redis_prefix, KEYS_STATS_INDEX, NULL);
    rdb_stats_write(ctx->rdb, ctx->stats_key, index, text, stats_ttl_ms(ctx->conf), price_now_ms());
    free(text);
    json_decref(j);
}
