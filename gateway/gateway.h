/* gateway: the context of one gateway process — configuration, event base,
 * listener, hub, Redis link, static files and the list of connections.  Built
 * in main(), lives on that process's event loop; gateway_free() releases it. */
#ifndef CP_GATEWAY_H
#define CP_GATEWAY_H

#include <event2/event.h>
#include <event2/listener.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "keys.h"
#include "hub.h"
#include "rdb.h"
#include "www.h"

struct conn;

/* Counters of connections; the hub counts messages. */
struct gateway_stats {
    size_t ws_current, sse_current, ws_peak, sse_peak;
    uint64_t ws_total, sse_total, http_requests;
    uint64_t ws_deflate; /* WebSocket clients that negotiated deflate */
    uint64_t messages_in, bytes_in;
    uint64_t rate_limited, rejected;
    double messages_per_second; /* messages queued per second over the last stats period */
    uint64_t messages_out_then; /* messages_out at the start of that period */
};

struct gateway {
    const struct cp_conf *conf; /* borrowed, read-only */
    struct event_base *base;
    struct evconnlistener *listener;
    struct evconnlistener *tls_listener; /* NULL unless TLS_PORT is set */
    struct ssl_ctx_st *tls;              /* OpenSSL's SSL_CTX for it */
    struct hub *hub;
    struct deflate_ctx *deflate; /* compresses broadcast frames (RFC 7692) */
    uint8_t *inflated;           /* MAX_MESSAGE_BYTES: an inflated client message */
    struct rdb *rdb;
    struct www *www;     /* NULL when WWW_ROOT is empty */
    struct peers *peers; /* connections per client address */
    struct conn *conns;  /* every open connection */
    size_t n_conns;
    struct conn *closing; /* closed, freed on the next loop turn */
    struct event *reaper;
    struct event *keepalive; /* SSE keep-alive comments */
    struct event *refresh;   /* re-reads the feed's symbol list */
    struct event *sig_term, *sig_int;
    int64_t started_ms;
    int worker;                  /* worker number, 0 when alone */
    char instance[CONF_STR_MAX]; /* INSTANCE_ID, or host name and port */
    char stats_key[KEYS_MAX];    /* this worker's counters in Redis */
    struct event *stats_timer;
    json_t *sources; /* the live feed's exchanges, as the feeder wrote
                      * them (README "Live prices"), or NULL */
    bool clustered;
    struct gateway_stats stats;
};

/* Start listening on HOST:PORT and connect to Redis.  worker: this process's
 * worker number (0 when alone); clustered: share the port with the other
 * workers (SO_REUSEPORT).  Returns NULL after logging why (e.g. the port is
 * taken). */
struct gateway *gateway_new(struct event_base *base, const struct cp_conf *conf, int worker,
                            bool clustered);
void gateway_free(struct gateway *gw); /* closes every connection; NULL is a no-op */

/* How long a worker's counters stay in Redis: a few STATS_INTERVAL_MS, so a
 * stopped worker drops out of /stats by itself. */
int gateway_stats_ttl_ms(const struct gateway *gw);

#endif
