/* serve: a connection's life on the loop — adopting an accepted socket
 * (plain or TLS), reading request heads and handing each to routes.h,
 * stream input, output drained (conflation catch-up, resume pages, close
 * after flush), timeouts (slow heads, idle WebSocket clients) and lingering
 * close.  Runs on the gateway's loop. */
#ifndef CP_SERVE_H
#define CP_SERVE_H

#include <event2/util.h>

#include "conn.h"

struct ssl_ctx_st;

/* Serve an accepted socket fd (ownership passes) from peer, admitted by
 * conn_registry_admit(); tls (OpenSSL's SSL_CTX, borrowed): TLS first, then
 * HTTP, WebSocket and SSE as on a plain connection; NULL: plain TCP.
 * Returns NULL (fd closed, peer uncounted) when it cannot. */
struct conn *serve_accepted(struct ctx *ctx, evutil_socket_t fd, const struct peers_key *peer,
                            struct ssl_ctx_st *tls);

/* c came from another worker (handoff.h), which had read len bytes of it:
 * read them as if they had just arrived. */
void serve_handed_over(struct conn *c, const char *bytes, size_t len);

#endif
