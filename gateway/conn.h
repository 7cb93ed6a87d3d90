/* conn: one client connection — its HTTP request head, then its WebSocket or
 * SSE stream, and its place in the hub.  Runs on the gateway's loop.  The
 * gateway owns every conn; conn_close() only marks it, and conn_reap() frees
 * closed ones on the next loop turn, never inside their own callbacks. */
#ifndef CP_CONN_H
#define CP_CONN_H

#include <event2/util.h>
#include <stdbool.h>
#include <stdint.h>

struct gateway;
struct conn;

struct peers_key;
/* Adopt an accepted socket fd (ownership passes to the conn) from peer,
 * already counted in gw->peers (the conn uncounts it when freed). */
struct conn *conn_new(struct gateway *gw, evutil_socket_t fd, const struct peers_key *peer);

struct ssl_ctx_st;
/* The same over TLS (libevent's OpenSSL bufferevent) with the context tls
 * (borrowed): the handshake runs first, then HTTP, WebSocket and SSE as on a
 * plain connection. */
struct conn *conn_new_tls(struct gateway *gw, evutil_socket_t fd, const struct peers_key *peer,
                          struct ssl_ctx_st *tls);

/* Close now: output not yet written is discarded. */
void conn_close(struct conn *c);

/* Send a WebSocket close frame with code (RFC 6455 §7.4) and reason, then
 * close once it is written. */
void conn_close_ws(struct conn *c, uint16_t code, const char *reason);

/* Close every connection; going_away: WebSocket clients first get close
 * 1001 (RFC 6455 §7.4.1) and are closed once it is written. */
void conn_close_all(struct gateway *gw, bool going_away);

/* Free every conn closed since the last call. */
void conn_reap(struct gateway *gw);

/* Queue an SSE keep-alive comment on every SSE stream (PROTOCOL.md §3). */
void conn_sse_keepalive(struct gateway *gw);

/* Answer a history request for symbol (checked by the caller) with up to
 * limit points from Redis: a WebSocket "history" message, or the response to
 * GET /history.  The connection waits for the answer; one closed meanwhile is
 * freed once it arrives. */
void conn_history(struct conn *c, const char *symbol, int limit);

/* Resume c from last_id (PROTOCOL.md §3): live ticks are held off while
 * every tick after last_id still in the history stream is replayed, in order
 * and without duplicates, then delivery goes live.  An id that is malformed,
 * unknown or older than history gets a price-update-bulk snapshot instead. */
void conn_resume(struct conn *c, const char *last_id);

/* WebSocket: send {"event":event,"data":data} (data: JSON text). */
void conn_ws_send(struct conn *c, const char *event, const char *data);

#endif
