/* websocket: the WebSocket side of a connection (RFC 6455, RFC 7692) — the
 * opening handshake, reading frames and control frames, inflating client
 * messages, and the application protocol (proto.h) on top, which reaches
 * the connection through this module's operations table.  Runs on the
 * gateway's loop; the connection owns its parser and inflater. */
#ifndef CP_WEBSOCKET_H
#define CP_WEBSOCKET_H

#include <event2/buffer.h>
#include <stdbool.h>

#include "conn.h"

/* Check c's request as a WebSocket opening handshake (RFC 6455 §4.2.1) and
 * answer 101 (§4.2.2), with permessage-deflate when offered and
 * deflate_allowed (RFC 7692 §5): c becomes CONN_WS with its frame parser,
 * and true is returned; the caller gives it its application (c->ws_text,
 * or the native one).  Else the error is answered (400, 403, 405, 426) and
 * false returned. */
bool websocket_handshake(struct conn *c, bool deflate_allowed);

/* GET /ws: check the handshake (RFC 6455 §4.2.1), answer 101 (§4.2.2) with
 * permessage-deflate when offered (RFC 7692 §5), make c a hub subscriber
 * and send the welcome; or answer the error (400, 403, 405, 426). */
void websocket_upgrade(struct conn *c);

/* Parse and handle the frames in in (consumed), closing c with the RFC's
 * code on a protocol error (§7.4.1). */
void websocket_read(struct conn *c, struct evbuffer *in);

/* c was silent for WS_PING_INTERVAL_MS: ping it (§5.5.2); silent again
 * for WS_PONG_TIMEOUT_MS: close it with 1001. */
void websocket_idle(struct conn *c);

#endif
