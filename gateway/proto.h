/* proto: the application protocol spoken over WebSocket (docs/PROTOCOL.md §2) —
 * welcome, subscribe/unsubscribe, ping/pong, history and errors — on top of
 * the hub.  It never sees the connection: it reaches it only through the
 * const table of operations given to proto_client_init(), as nchan's
 * subscriber transports do.  Runs on the gateway's loop; borrows everything
 * it is given. */
#ifndef CP_PROTO_H
#define CP_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "history.h"
#include "hub.h"
#include "ratelimit.h"

/* What proto asks of its connection; transport is the pointer given to
 * proto_client_init(), passed back unchanged. */
struct proto_ops {
    /* Send {"event":event,"data":data} (data: JSON text, borrowed). */
    void (*send)(void *transport, const char *event, const char *data);
    /* Replay every tick after since (a tick id, not yet checked), then go
     * live (docs/PROTOCOL.md §3, resume). */
    void (*resume)(void *transport, const char *since);
    /* Answer later with a "history" message for hq (borrowed: copy what is
     * kept). */
    void (*history)(void *transport, const struct history_query *hq);
};

/* Per-connection state of the protocol: its hub subscription, rate limit
 * and the way back to its connection. */
struct proto_client {
    struct hub_client sub;
    struct ratelimit rate;
    const struct proto_ops *ops; /* static, never NULL after init */
    void *transport;
    bool was_live; /* has subscribed to something: a later "since" is ignored */
};

/* Prepare pc for a new WebSocket client at now_ms; ops (static) and
 * transport are how proto reaches it.  pc->sub is left as it is (the
 * caller has set up its hub membership with hub_client_init). */
void proto_client_init(struct proto_client *pc, const struct ctx *ctx, const struct proto_ops *ops,
                       void *transport, int64_t now_ms);

/* Text of the welcome message's data (caller frees). */
char *proto_welcome(const struct ctx *ctx);

/* The same text, built once and kept in ctx->welcome until the feed's
 * symbol list or a setting it names changes (owned by ctx: do not free). */
const char *proto_welcome_shared(struct ctx *ctx);

/* The JSON string an error's "message" carries (new reference).  message
 * may quote a client (a symbol, a JSON parser's "near '...'", which can end
 * inside a UTF-8 sequence, a percent-decoded query): a byte that is not part
 * of valid UTF-8 becomes '?' (ws_utf8_scrub), so that the error is always
 * sent (docs/PROTOCOL.md §1, §2). */
json_t *proto_error_text(const char *message);

/* Handle one complete text message of len bytes at now_ms.  Over the rate
 * limit (MAX_MESSAGES_PER_SECOND) the message is refused and the client told
 * once (rate_limited, counted in ctx->counters); returns CP_EPROTO when it has
 * kept on for another second's worth of messages, and must be closed with
 * 1008; else CP_OK. */
int proto_handle(struct ctx *ctx, struct proto_client *pc, const char *text, size_t len,
                 int64_t now_ms);

/* The steps of proto_handle(), for a transport that frames its own events
 * (Socket.IO, socketio.h): proto_admit() takes one message from pc's rate
 * limit at now_ms — CP_OK, CP_EAGAIN (refused; the client was told) or
 * CP_EPROTO (close it, 1008) — and proto_event() handles event (a name of
 * docs/PROTOCOL.md §2) with data (borrowed, may be NULL). */
int proto_admit(struct ctx *ctx, struct proto_client *pc, int64_t now_ms);
void proto_event(struct ctx *ctx, struct proto_client *pc, const char *event, json_t *data);

/* Send pc the error event {"code":code,"message":message}. */
void proto_error(struct proto_client *pc, const char *code, const char *message);

#endif
