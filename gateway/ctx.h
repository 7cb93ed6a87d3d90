/* ctx: what the connection layer and its request handlers may see of one
 * gateway process — configuration, hub, Redis link, static files, the
 * connection registry, counters and identity.  Built and owned by gateway.c
 * (gateway_new); everything here lives as long as that gateway, on its loop.
 * Nothing below gateway.c sees struct gateway itself. */
#ifndef CP_CTX_H
#define CP_CTX_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "hub.h"
#include "keys.h"
#include "rdb.h"
#include "www.h"

struct conn_registry;
struct socketio;
struct handoff;
struct resume_cache;

/* Counters of connections and client messages; the hub counts ticks and
 * messages out (docs/PROTOCOL.md §5, /stats). */
struct ctx_counters {
    size_t ws_current, sse_current, ws_peak, sse_peak;
    uint64_t ws_total, sse_total, http_requests;
    uint64_t ws_deflate; /* WebSocket clients that negotiated deflate */
    uint64_t messages_in, bytes_in;
    uint64_t rate_limited;
    uint64_t refused; /* connections closed at their accept: MAX_CONNECTIONS(_PER_IP) reached */
    size_t sio_current, sio_peak;      /* Socket.IO sessions (socketio.h) */
    uint64_t sio_total, sio_websocket; /* ...opened, and moved onto WebSocket */
    double messages_per_second;        /* messages queued per second over the last stats period */
    uint64_t messages_out_then;        /* messages_out at the start of that period */
};

/* The welcome message's data, built once and sent to every client until
 * what it says changes: the feed's symbol list (hub_symbols_gen()) or the
 * settings it names, which a SIGHUP reload may change (proto_welcome_shared()). */
struct ctx_welcome {
    char *text; /* owned; NULL until first asked for */
    uint64_t symbols_gen;
    int interval_ms, max_messages_per_second, max_message_bytes;
};

struct ctx {
    const struct cp_conf *conf; /* borrowed, read-only */
    struct event_base *base;
    struct hub *hub;
    struct rdb *rdb;
    struct www *www;             /* NULL when WWW_ROOT is empty */
    struct conn_registry *conns; /* every open connection (conn.h) */
    struct socketio *socketio;   /* the Socket.IO endpoint, NULL when off (socketio.h) */
    struct handoff *handoff;     /* clustered: connections to and from the other workers */
    uint8_t *inflated;           /* MAX_MESSAGE_BYTES: an inflated client message */
    json_t *sources;             /* the live feed's exchanges, as the feeder wrote
                                  * them (README "Live prices"), or NULL */
    int64_t started_ms;          /* wall clock, ms */
    int worker;                  /* worker number, 0 when alone */
    char instance[CONF_STR_MAX]; /* INSTANCE_ID, or host name and port */
    /* This worker's counters in Redis: REDIS_PREFIX + "stats:" + INSTANCE_ID
     * + "/<worker>", longer than KEYS_MAX when both are near their limit. */
    char stats_key[KEYS_MAX + CONF_STR_MAX + 16];
    bool stats_mine;                  /* the key last held what this worker wrote */
    int64_t stats_conflict_warned_ms; /* another writer of the key last logged, 0: never */
    struct ctx_counters counters;
    struct ctx_welcome welcome; /* freed by gateway_free() */
    /* History entries decoded for resumes (resume.c), made on the first
     * resume; freed by resume_cache_free(). */
    struct resume_cache *resume_cache;
};

/* The loop's cached wall clock in ms (event_base_gettimeofday_cached). */
static inline int64_t ctx_now_ms(const struct ctx *ctx)
{
    struct timeval tv;
    event_base_gettimeofday_cached(ctx->base, &tv);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

#endif
