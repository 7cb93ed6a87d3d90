/* socketio: the Socket.IO endpoint (docs/PROTOCOL.md §7) — Engine.IO v4's
 * handshake, HTTP long-polling (GET waits for packets, POST delivers them)
 * and WebSocket transports, the upgrade from one to the other, and its
 * error answers, for socket.io-client 4.x at SOCKETIO_PATH.  The sessions
 * (sio_session.h) live in the worker that opened them: behind a balancer
 * polling needs sticky sessions.  Runs on the gateway's loop. */
#ifndef CP_SOCKETIO_H
#define CP_SOCKETIO_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"
#include "ctx.h"

/* Longest SOCKETIO_ROUTE: the balancer route that ends each session id
 * after a dot (".3000"), where Apache's stickysession=...|sid looks for it. */
#define SOCKETIO_ROUTE_MAX 32

struct socketio;

/* The endpoint of one worker, for ctx (borrowed; outlives it).
 * socketio_free() closes every session (NULL is a no-op). */
struct socketio *socketio_new(struct ctx *ctx);
void socketio_free(struct socketio *sio);

/* Whether path (decoded, no query) is SOCKETIO_PATH, with or without its
 * trailing slash. */
bool socketio_path(const struct cp_conf *conf, const char *path);

/* Answer c's request for SOCKETIO_PATH: a handshake, a poll, a POST of
 * packets, or a WebSocket (direct or an upgrade probe); or the Engine.IO
 * error (400 with codes 0, 1, 2, 3, 5; 403 with 4; 413). */
void socketio_handle(struct socketio *sio, struct conn *c);

/* c POSTed a body over SOCKETIO_MAX_PAYLOAD_BYTES: 413, and its session
 * (?sid=) is closed. */
void socketio_body_too_large(struct socketio *sio, struct conn *c);

/* Sessions open. */
size_t socketio_sessions(const struct socketio *sio);

#endif
