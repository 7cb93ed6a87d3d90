/* hub_ticks: what the hub's tests share — a feeder-like tick source whose
 * ids keep rising, a hub with given limits, and an evbuffer read as a
 * string.  Included by tests/unit/check_hub*.c only. */
#ifndef CP_HUB_TICKS_H
#define CP_HUB_TICKS_H

#include "cp_error.h"
#include "hub.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char tick_format[] =
    "{\"id\":\"%d-0\",\"ts\":5,\"prices\":["
    "{\"symbol\":\"BTC\",\"price\":97123.45,\"change24h\":1,\"volume24h\":2,\"high24h\":3,"
    "\"low24h\":1,\"ts\":5,\"id\":\"%d-0\"},"
    "{\"symbol\":\"ETH\",\"price\":3100.5,\"change24h\":1,\"volume24h\":2,\"high24h\":3,"
    "\"low24h\":1,\"ts\":5,\"id\":\"%d-0\"}]}";
static char tick[512];
static int tick_seq = 4;

/* The next tick: each call's id is one higher, as the feeder's are. */
static inline const char *next_tick(void)
{
    tick_seq++;
    snprintf(tick, sizeof tick, tick_format, tick_seq, tick_seq, tick_seq);
    return tick;
}

/* Publish the next tick; returns hub_publish_tick()'s result. */
static inline int publish(struct hub *hub)
{
    char err[128];
    next_tick();
    return hub_publish_tick(hub, tick, strlen(tick), err, sizeof err);
}

static inline struct hub *new_hub(size_t high_water, size_t hard_limit, int64_t stall_ms)
{
    struct hub_limits limits = {high_water, hard_limit, stall_ms, 1 << 20};
    return hub_new(&limits, NULL);
}

/* Clear n clients c[] from hub, free their outputs out[], then the hub. */
static inline void free_clients(struct hub *hub, struct hub_client *c, struct evbuffer **out, int n)
{
    for (int i = 0; i < n; i++) {
        hub_client_clear(hub, &c[i]);
        evbuffer_free(out[i]);
    }
    hub_free(hub);
}

static inline char *contents(struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    evbuffer_copyout(b, s, n);
    s[n] = '\0';
    return s;
}

#endif
