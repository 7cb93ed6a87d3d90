/* handoff: passing a client's TCP connection to another worker of the same
 * gateway (SCM_RIGHTS over a Unix datagram socket, unix(7)), with the bytes
 * already read from it.  Socket.IO's long-polling requests must reach the
 * worker that holds their session (socketio.h); the kernel spreads a
 * clustered gateway's connections over its workers (SO_REUSEPORT), so a
 * worker that gets another's request hands the connection over, as
 * @socket.io/sticky does for Node's cluster.  Each worker listens at an
 * abstract socket named after the gateway's HOST:PORT and its number.
 * Runs on the worker's loop. */
#ifndef CP_HANDOFF_H
#define CP_HANDOFF_H

#include <event2/event.h>
#include <stddef.h>

#define HANDOFF_MAX_BYTES 65536 /* bytes of request passed with a connection */

/* A connection handed to us: fd (ownership passes) and the len bytes the
 * other worker had read from it (borrowed, for the call), to be read again. */
typedef void (*handoff_cb)(int fd, const char *bytes, size_t len, void *arg);

struct handoff;

/* Listen for connections handed to worker number worker of the gateway at
 * host:port.  Returns NULL (logged) when the socket cannot be made. */
struct handoff *handoff_new(struct event_base *base, const char *host, int port, int worker,
                            handoff_cb cb, void *arg);
void handoff_free(struct handoff *h); /* NULL is a no-op */

/* Pass fd (a connected socket; the caller still closes its own copy) and
 * len (≤ HANDOFF_MAX_BYTES) bytes read from it to worker to: now, or, while
 * that worker's queue is full (it holds net.unix.max_dgram_qlen messages),
 * once it has room, in order, keeping a copy of fd meanwhile (at most 4,096
 * waiting per worker).  Returns 0, or -1 (errno set, logged) when that
 * worker is not listening or too many wait. */
int handoff_send(struct handoff *h, int to, int fd, const void *bytes, size_t len);

#endif
