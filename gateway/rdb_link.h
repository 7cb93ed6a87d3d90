/* rdb_link: one Redis connection of the rdb module that keeps itself up —
 * connect (to REDIS_HOST:PORT or where Sentinel says), AUTH and SELECT (or a
 * PING), REDIS_TIMEOUT_MS for the connect and for the set-up's replies,
 * reconnects with backoff.  Private to rdb; runs on the
 * worker's event base; rdb_link_free() is never called from inside a hiredis
 * callback. */
#ifndef CP_RDB_LINK_H
#define CP_RDB_LINK_H

#include <event2/event.h>
#include <hiredis/async.h>
#include <stdbool.h>

#include "conf.h"
#include "outage.h"
#include "rdb_sentinel.h"

struct rdb_link {
    struct event_base *base;
    const struct cp_conf *conf;
    const char *name;      /* for the log: "pub/sub", "command" */
    redisAsyncContext *ac; /* NULL while disconnected */
    bool connected;
    int backoff_ms;
    struct event *retry; /* reconnect timer */
    struct event *connect_timeout;
    void (*on_connected)(struct rdb_link *link); /* the link is up: send what it is for */
    void (*on_lost)(struct rdb_link *link);      /* a connection went away, or never came */
    void *owner;                                 /* for the two hooks */
    /* Reachability for the log: outage points at own unless links that
     * share a server share one (rdb: one warning, not one per link). */
    struct outage own, *outage;
    char what[CONF_STR_MAX + 16]; /* "redis host:port" of the last attempt */
    unsigned setup_pending;       /* AUTH, SELECT (or PING) replies still to come */
    bool setup_failed;            /* set-up refused: this connection is going */
    struct rdb_sentinel sentinel; /* REDIS_SENTINELS: where the master is */
};

/* Set up link (caller's memory) and start connecting per conf (borrowed,
 * must outlive the link).  The hooks run on the loop, never during this
 * call. */
void rdb_link_init(struct rdb_link *link, struct event_base *base, const struct cp_conf *conf,
                   const char *name, void (*on_connected)(struct rdb_link *),
                   void (*on_lost)(struct rdb_link *), void *owner);

/* Drop the connection without reconnecting and free the timers. */
void rdb_link_free(struct rdb_link *link);

/* Try again after the backoff: at most half a tick interval, so that
 * clients get ticks again within two intervals of Redis coming back. */
void rdb_link_retry(struct rdb_link *link);

/* Drop link's connection (it must be connected) as lost for why (static
 * or copied text, for the log and the outage): every command still
 * waiting for its reply gets its callback with a NULL reply, and the link
 * reconnects with its backoff.  Not from inside a hiredis callback of this
 * link (hiredis frees the context there itself): from a timer. */
void rdb_link_drop(struct rdb_link *link, const char *why);

#endif
