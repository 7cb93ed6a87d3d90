/* routes: what each request of an HTTP connection gets (docs/PROTOCOL.md §1) —
 * /ws and /events become streams (websocket.h, eventsource.h); /health,
 * /health/live, /stats, /metrics and /history are answered; OPTIONS is a
 * CORS preflight; anything else is a static file of WWW_ROOT or 404.  Runs on
 * the gateway's loop. */
#ifndef CP_ROUTES_H
#define CP_ROUTES_H

#include "conn.h"

/* Answer c's complete request head (c->req), or turn c into a stream.  The
 * answer may wait for Redis (c->awaiting). */
void routes_handle(struct conn *c);

/* Whether c's request (its head complete, or its body too large) is for
 * Socket.IO's path, with Socket.IO enabled. */
bool routes_is_socketio(const struct conn *c);

/* c's request body passed the limit (SOCKETIO_MAX_PAYLOAD_BYTES): answer
 * 413; a Socket.IO session that sent it is closed, as engine.io does. */
void routes_body_too_large(struct conn *c);

#endif
