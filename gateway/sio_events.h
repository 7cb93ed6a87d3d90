/* sio_events: the Socket.IO v5 layer of a session (docs/PROTOCOL.md §7) —
 * connecting the default namespace, events mapped onto the native
 * protocol's (proto.h: subscribe, unsubscribe, ping, history), their
 * acknowledgements, and refusing what this server does not speak (other
 * namespaces, binary packets).  Runs on the gateway's loop. */
#ifndef CP_SIO_EVENTS_H
#define CP_SIO_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "sio_session.h"

/* Set up s's protocol state (rate limit, the way proto writes to it). */
void sio_events_init(struct sio_session *s);

/* Handle one Socket.IO packet (data of len bytes, the payload of an
 * Engine.IO message packet).  Returns false when it was malformed or the
 * client kept on past the rate limit, and s has been closed. */
bool sio_events_receive(struct sio_session *s, const char *data, size_t len);

#endif
