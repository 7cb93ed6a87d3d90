/* stats: the counters of /stats and /metrics (PROTOCOL.md §5) — one worker's
 * as JSON, and every worker's (this one fresh, the others as they last wrote
 * themselves to Redis) merged into totals or rendered as Prometheus text.
 * Runs on the worker's loop; json_t and char * results belong to the caller. */
#ifndef CP_STATS_H
#define CP_STATS_H

#include <jansson.h>

struct gateway;

/* This worker's counters: identity (instance, worker, pid), connections by
 * transport, messages and bytes, rates, subscriptions per symbol, fan-out
 * latency histogram and percentiles, RSS and uptime.  A new object. */
json_t *stats_worker(const struct gateway *gw);

/* Totals over workers (an array of stats_worker() objects, borrowed): every
 * number summed (uptime_ms: the largest), latency buckets merged and its
 * percentiles computed again; plus "workers" (copies) and "instances" (how
 * many distinct instances).  A new object. */
json_t *stats_merge(const json_t *workers);

/* Prometheus text exposition format 0.0.4 of workers, each series labelled
 * with instance and worker.  malloc'd text. */
char *stats_prometheus(const json_t *workers);

#endif
