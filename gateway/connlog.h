/* connlog: the opt-in connection log (LOG_CONNECTIONS) — a line at info when
 * a connection ends with its peer, transport, duration, bytes, HTTP requests
 * and WebSocket close, and one at debug when it opens.  Bytes are the
 * kernel's TCP counters, read once at the end, so the tick fan-out counts
 * nothing.  Runs on the gateway's loop; keeps nothing. */
#ifndef CP_CONNLOG_H
#define CP_CONNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;

/* c was accepted: with LOG_CONNECTIONS keep its peer's address (the peer
 * may be gone by the end) and log it at debug. */
void connlog_open(struct conn *c);

/* c is about to be freed, its socket still open: log it when
 * LOG_CONNECTIONS is on.  bytes_in/bytes_out are what TCP received and what
 * the peer acknowledged (TLS records included), -1 if the kernel will not
 * tell. */
void connlog_close(const struct conn *c);

/* Remember the first WebSocket Close of c: code (RFC 6455 §7.4) and reason
 * (len bytes, copied, cut at 63), by_client when the client sent it. */
void connlog_ws_close(struct conn *c, uint16_t code, const char *reason, size_t len,
                      bool by_client);

#endif
