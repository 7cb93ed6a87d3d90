/* gateway: one gateway process — its listeners (plain and TLS), timers,
 * signals and Redis callbacks, and the context (ctx.h) it builds for the
 * connection layer.  Built in main(), lives on that process's event loop;
 * gateway_free() releases it.  struct gateway is private to gateway.c. */
#ifndef CP_GATEWAY_H
#define CP_GATEWAY_H

#include <event2/event.h>
#include <stdbool.h>

#include "conf.h"

struct gateway;

/* The event loop a gateway runs on: libevent's, with the priorities of
 * conn.h (CONN_PRIORITIES), and looking for new events after every
 * GATEWAY_CALLBACKS_PER_POLL callbacks, so that new clients' heads are
 * answered before streams' work that waits, and a loop exit (SIGTERM) is
 * seen however busy the clients keep it
 * (event_config_set_max_dispatch_interval()).  NULL when out of memory;
 * the caller frees it (event_base_free()). */
struct event_base *gateway_base_new(void);

/* Start listening on HOST:PORT and connect to Redis, on base (from
 * gateway_base_new()).  worker: this process's
 * worker number (0 when alone); clustered: share the port with the other
 * workers (SO_REUSEPORT).  Returns NULL after logging why (e.g. the port is
 * taken). */
struct gateway *gateway_new(struct event_base *base, const struct cp_conf *conf, int worker,
                            bool clustered);
void gateway_free(struct gateway *gw); /* closes every connection; NULL is a no-op */

#endif
