#include "config.h"

#include "stats.h"

#include "cp_error.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "price.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* This host's name, read once: with the pid it tells gateways apart. */
static const char *host_name(void)
{
    static char name[256];
    if (!name[0] && gethostname(name, sizeof name - 1) != 0)
        strcpy(name, "?");
    return name;
}

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
    json_object_set_new(j, "host", json_string(host_name()));
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
    json_object_set_new(j, "refused", json_integer((json_int_t)s->refused));
    json_object_set_new(j, "subscriptions", hub_subscriptions(ctx->hub));
    json_object_set_new(j, "latency_ms", metrics_latency_json(&h->latency));
    return j;
}

int stats_ttl_ms(const struct cp_conf *conf)
{
    return metrics_ttl_ms(conf->stats_interval_ms);
}

#define STATS_CONFLICT_WARN_MS 60000 /* another writer of our key: logged at most this often */

/* What our stats key held just before this period's write.  Once it has held
 * ours, anything else there was written meanwhile by another gateway with
 * the same INSTANCE_ID (the first read may find a predecessor's: a restart). */
static void on_previous(bool ok, const char *const *texts, const size_t *lens, size_t n, void *arg)
{
    struct ctx *ctx = arg;
    if (!ok)
        return;
    json_t *old = n ? json_loadb(texts[0], lens[0], 0, NULL) : NULL;
    json_int_t pid = json_integer_value(json_object_get(old, "pid"));
    const char *host = json_string_value(json_object_get(old, "host"));
    bool foreign = old && (pid != getpid() || (host && strcmp(host, host_name()) != 0));
    int64_t now = price_now_ms();
    if (foreign && ctx->stats_mine &&
        (!ctx->stats_conflict_warned_ms ||
         now - ctx->stats_conflict_warned_ms >= STATS_CONFLICT_WARN_MS)) {
        log_warn("INSTANCE_ID %s: another gateway (host %s, pid %lld) writes the same counters "
                 "(%s), so /stats shows one of the two at a time; give each gateway its own "
                 "INSTANCE_ID",
                 ctx->instance, host ? host : "?", (long long)pid, ctx->stats_key);
        ctx->stats_conflict_warned_ms = now;
    }
    ctx->stats_mine = true;
    json_decref(old);
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
    if (rdb_get(ctx->rdb, ctx->stats_key, on_previous, ctx) == CP_OK)
        rdb_stats_write(ctx->rdb, ctx->stats_key, index, text, stats_ttl_ms(ctx->conf),
                        price_now_ms());
    free(text);
    json_decref(j);
}
