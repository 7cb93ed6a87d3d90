/* metrics: the counters of every gateway worker (JSON objects as
 * stats_worker() writes them to Redis) merged into the totals of /stats, or
 * rendered as Prometheus text for /metrics.  Pure functions, any thread; the
 * gateway and the FastCGI handler share them.  Results belong to the caller. */
#ifndef CP_METRICS_H
#define CP_METRICS_H

#include <jansson.h>

#include "latency.h"

/* A latency histogram as JSON: p50, p95, p99 (ms, latency_quantile()'s
 * bucket bounds), max_ms, count, sum_ms, buckets. */
json_t *metrics_latency_json(const struct latency_hist *h);

/* Totals over workers (an array of per-worker objects, borrowed): every
 * number summed (uptime_ms: the largest), latency buckets merged (max_ms:
 * the largest) and its percentiles computed again; plus "workers" (copies)
 * and "instances" (how many distinct instances).  A new object. */
json_t *metrics_merge(const json_t *workers);

/* How long a worker's counters stay in Redis, and how far back readers look
 * in the stats index, for workers writing every interval_ms: three
 * intervals and a second, so one late write does not drop a worker. */
int metrics_ttl_ms(int interval_ms);

/* The per-worker objects among n JSON texts as read from Redis (texts[i] is
 * lens[i] bytes; a NULL text, an expired key, is skipped, and so is one that
 * is not a JSON object).  A new array, for metrics_merge. */
json_t *metrics_workers(const char *const *texts, const size_t *lens, size_t n);

/* Prometheus text exposition format 0.0.4 of workers, each series labelled
 * with gateway (the instance) and worker; latency in seconds.  malloc'd text. */
char *metrics_prometheus(const json_t *workers);

#endif
