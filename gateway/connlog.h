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

/* What the log needs of one connection, allocated only while
 * LOG_CONNECTIONS is on (struct conn's log, else NULL): a few stores per
 * connection, nothing per tick, no memory when the log is off. */
struct connlog {
    int64_t opened_ms;        /* loop clock at accept */
    unsigned requests;        /* HTTP requests routed on the connection */
    uint16_t ws_close_code;   /* first WebSocket Close sent or received, 0 = none */
    bool ws_close_by_client;  /* ... and who sent it */
    char ws_close_reason[64]; /* its reason, cut */
    char peer_name[56];       /* "ip:port" */
};

/* A connection on socket fd was accepted at now_ms (loop clock): when on
 * (LOG_CONNECTIONS), a new record (caller frees with connlog_close) with the
 * peer's address (the peer may be gone by the end), logged at debug; else
 * NULL, and the connection is not logged. */
struct connlog *connlog_open(bool on, int fd, int64_t now_ms);

/* The connection is about to be freed, its socket fd still open: log one
 * line at info with transport ("http", "websocket", "sse"), the duration to
 * now_ms, bytes_in/bytes_out (what TCP received and what the peer
 * acknowledged, TLS records included; -1 if the kernel will not tell), the
 * requests and the first WebSocket Close; then free l.  NULL is a no-op. */
void connlog_close(struct connlog *l, int fd, const char *transport, int64_t now_ms);

/* Remember the first WebSocket Close: code (RFC 6455 §7.4) and reason (len
 * bytes, copied, cut at 63), by_client when the client sent it.  NULL is a
 * no-op. */
void connlog_ws_close(struct connlog *l, uint16_t code, const char *reason, size_t len,
                      bool by_client);

#endif
