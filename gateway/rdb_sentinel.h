/* rdb_sentinel: asks the Sentinels of REDIS_SENTINELS, one at a time and
 * without blocking the loop, where REDIS_MASTER_NAME is, then connects an
 * rdb_link there.  Private to rdb; runs on the worker's event base; the
 * question's context lives in link->sentinel_ac. */
#ifndef CP_RDB_SENTINEL_H
#define CP_RDB_SENTINEL_H

#include <stdbool.h>

#include "rdb_link.h"

/* Ask Sentinel number link->sentinel (0 for the first); on an answer,
 * rdb_link_connect_to(); past the last Sentinel, rdb_link_retry(). */
void rdb_sentinel_ask(struct rdb_link *link);

/* The link's connect timer fired: when a Sentinel question was out, give up
 * on that Sentinel, ask the next and return true; else return false.  Runs
 * from a timer, so freeing the context is safe. */
bool rdb_sentinel_timed_out(struct rdb_link *link);

/* Drop a question still out (the link is going away). */
void rdb_sentinel_cancel(struct rdb_link *link);

#endif
