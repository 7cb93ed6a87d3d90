/* proto: the application protocol spoken over WebSocket (PROTOCOL.md §2) —
 * welcome, subscribe/unsubscribe, ping/pong and errors — on top of conn and
 * hub.  Runs on the gateway's loop; borrows everything it is given. */
#ifndef CP_PROTO_H
#define CP_PROTO_H

#include <stddef.h>

#include "hub.h"

struct gateway;
struct conn;

/* Per-connection state of the protocol: its hub subscription and rate limit. */
struct proto_client {
    struct hub_client sub;
    int64_t window_start_ms;  /* start of the current one-second rate window */
    int window_count;         /* messages in that window */
    int strikes;              /* consecutive windows over the limit */
};

/* Text of the welcome message's data (caller frees). */
char *proto_welcome(const struct gateway *gw);

/* Handle one complete text message of len bytes from c.  Returns 0, or
 * CP_EPROTO when the client must be closed for exceeding the rate limit after
 * being told (close 1008). */
int proto_handle(struct gateway *gw, struct conn *c, struct proto_client *pc, const char *text,
                 size_t len);

#endif
