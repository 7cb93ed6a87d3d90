/* stats: the counters of /stats and /metrics (docs/PROTOCOL.md §5) — one worker's
 * as JSON, written to Redis every STATS_INTERVAL_MS for the other workers,
 * instances and the FastCGI /stats, and how long they stay there.  Runs on
 * the worker's loop; json_t results belong to the caller. */
#ifndef CP_STATS_H
#define CP_STATS_H

#include <jansson.h>

#include "conf.h"
#include "ctx.h"

/* This worker's counters: identity (instance, worker, pid, host), connections by
 * transport, messages and bytes, rates, subscriptions per symbol, fan-out
 * latency histogram and percentiles, RSS and uptime.  A new object. */
json_t *stats_worker(const struct ctx *ctx);

/* How long (ms) a worker's counters stay in Redis: a few STATS_INTERVAL_MS,
 * so a stopped worker drops out of /stats by itself. */
int stats_ttl_ms(const struct cp_conf *conf);

/* One stats period ended: update the message rate and write this worker's
 * counters to Redis (its key and the index, with stats_ttl_ms()).  The key's
 * value is read just before: when another gateway (another pid or host)
 * wrote it since our last write, both were given one INSTANCE_ID, and a
 * warning says so (at most once a minute). */
void stats_publish(struct ctx *ctx);

#endif
