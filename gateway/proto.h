/* proto: the application protocol spoken over WebSocket (PROTOCOL.md §2) —
 * welcome, subscribe/unsubscribe, ping/pong and errors — on top of conn and
 * hub.  Runs on the gateway's loop; borrows everything it is given. */
#ifndef CP_PROTO_H
#define CP_PROTO_H

#include <stddef.h>

#include "hub.h"
#include "ratelimit.h"

struct gateway;
struct conn;

/* Per-connection state of the protocol: its hub subscription and rate limit. */
struct proto_client {
    struct hub_client sub;
    struct ratelimit rate;
};

/* Prepare pc for a new WebSocket client at now_ms. */
void proto_client_init(struct proto_client *pc, const struct gateway *gw, int64_t now_ms);

/* Text of the welcome message's data (caller frees). */
char *proto_welcome(const struct gateway *gw);

/* Handle one complete text message of len bytes from c at now_ms.  Over the
 * rate limit the message is refused and the client told once (rate_limited);
 * returns CP_EPROTO when it has kept on for another second's worth of
 * messages, and must be closed with 1008; else 0. */
int proto_handle(struct gateway *gw, struct conn *c, struct proto_client *pc, const char *text,
                 size_t len, int64_t now_ms);

#endif
