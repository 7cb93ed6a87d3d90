/* rdb_sentinel: asks the Sentinels of REDIS_SENTINELS, one at a time and
 * without blocking the loop, where REDIS_MASTER_NAME is, and reports the
 * answer through its callbacks; it knows nothing of who connects there.
 * Private to rdb (an rdb_link owns one); runs on the worker's event base;
 * rdb_sentinel_free() is never called from inside a hiredis callback. */
#ifndef CP_RDB_SENTINEL_H
#define CP_RDB_SENTINEL_H

#include <event2/event.h>
#include <hiredis/async.h>

#include "conf.h"

struct rdb_sentinel {
    struct event_base *base;
    const struct cp_conf *conf; /* borrowed: REDIS_SENTINELS, _MASTER_NAME, _TIMEOUT_MS */
    const char *name;           /* for the log: the link's name */
    redisAsyncContext *ac;      /* the question out, or NULL */
    int index;                  /* the Sentinel being asked, in REDIS_SENTINELS */
    struct event *timeout;      /* REDIS_TIMEOUT_MS for each Sentinel */
    void (*on_master)(void *arg, const char *host, int port); /* a Sentinel answered */
    void (*on_none)(void *arg);                               /* none did: every one was asked */
    void *arg;
};

/* Set up s (caller's memory) on base with conf (borrowed). */
void rdb_sentinel_init(struct rdb_sentinel *s, struct event_base *base, const struct cp_conf *conf,
                       const char *name, void (*on_master)(void *arg, const char *host, int port),
                       void (*on_none)(void *arg), void *arg);

/* Ask the Sentinels again from the first: exactly one of on_master (the
 * first that names the master) or on_none (past the last one; a Sentinel
 * that cannot be reached or does not answer within REDIS_TIMEOUT_MS is
 * skipped) follows, on the loop — or during the call, when no Sentinel can
 * even be tried. */
void rdb_sentinel_ask(struct rdb_sentinel *s);

/* Drop a question still out and free the timer. */
void rdb_sentinel_free(struct rdb_sentinel *s);

#endif
