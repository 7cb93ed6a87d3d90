/* stats: the counters of /stats and /metrics (PROTOCOL.md §5) — one worker's
 * as JSON, and every worker's (this one fresh, the others as they last wrote
 * themselves to Redis) merged by metrics.h into totals or Prometheus text.
 * Runs on the worker's loop; json_t and char * results belong to the caller. */
#ifndef CP_STATS_H
#define CP_STATS_H

#include <jansson.h>

struct gateway;

/* This worker's counters: identity (instance, worker, pid), connections by
 * transport, messages and bytes, rates, subscriptions per symbol, fan-out
 * latency histogram and percentiles, RSS and uptime.  A new object. */
json_t *stats_worker(const struct gateway *gw);

#endif
