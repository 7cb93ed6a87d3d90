/* eventsource: the Server-Sent Events side of a connection (WHATWG HTML
 * §9.2, docs/PROTOCOL.md §3) — GET /events?symbols=..., the stream's head, its
 * resume point (Last-Event-ID or ?lastEventId=) and keep-alive comments.
 * Runs on the gateway's loop. */
#ifndef CP_EVENTSOURCE_H
#define CP_EVENTSOURCE_H

#include "conn.h"

/* Start an event stream on c for ?symbols= (default "*"): 200 and
 * "retry: 2000", then a resume or the current prices; or answer the error
 * (400 unknown_symbol, 403, 405). */
void eventsource_start(struct conn *c);

/* Queue a keep-alive comment on every SSE stream of reg (docs/PROTOCOL.md §3),
 * one shared buffer for all. */
void eventsource_keepalive(struct conn_registry *reg);

#endif
