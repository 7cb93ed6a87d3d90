/* wsclient: one outgoing WebSocket connection (RFC 6455 client side) over
 * plain TCP (ws://) or TLS (wss://, OpenSSL through bufferevent_openssl,
 * certificate and host name verified, SNI sent: wsclient_tls.h), on the
 * caller's libevent loop.  It answers pings, reassembles messages and
 * reports them; it never reconnects by itself: the owner decides (feeder/source.c).  The owner
 * frees it with wsclient_free(); callbacks never run inside a wsclient_*()
 * call, and on_close comes on a loop turn of its own, so the owner may free
 * or reconnect the client from on_close (freeing from on_open or on_message
 * is deferred until the callback returns).  Writes to a socket the server
 * closed raise SIGPIPE: the program ignores it (feeder_main does). */
#ifndef CP_WSCLIENT_H
#define CP_WSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct ssl_ctx_st; /* a TLS context: wsclient_tls.h */

struct wsclient_callbacks {
    /* The handshake completed (101 checked, RFC 6455 §4.1): send subscriptions. */
    void (*on_open)(void *arg);
    /* A complete text message, fragments reassembled (borrowed, valid
     * during the call; len bytes followed by a NUL, UTF-8 checked).  Binary
     * messages are refused with close 1003, invalid UTF-8 with 1007. */
    void (*on_message)(const char *text, size_t len, void *arg);
    /* The connection is over, for good: why is a short human reason
     * (borrowed, valid during the call: "TLS: certificate verify failed:
     * ...", "closed by the server: 1001 going away", "connect timeout (5000
     * ms)", "handshake: HTTP 404", "message over 65536 bytes: closed with
     * 1009"); code is the peer's close code, or 0 when there was none.
     * Called once per wsclient_connect() that returned 0, on a later loop
     * turn; wsclient_free() before it cancels it. */
    void (*on_close)(int code, const char *why, void *arg);
};

struct wsclient;

/* A client on base (borrowed, must outlive it) calling cb (copied; a NULL
 * member is not called) with arg.  tls (borrowed, may be NULL: then wss://
 * fails with on_close) serves wss:// URLs.  max_message: the largest
 * message accepted after reassembly, bytes (larger: close 1009, refused as
 * soon as a frame header announces it).  Aborts on out-of-memory. */
struct wsclient *wsclient_new(struct event_base *base, struct ssl_ctx_st *tls,
                              const struct wsclient_callbacks *cb, void *arg, size_t max_message);
void wsclient_free(struct wsclient *c); /* NULL is a no-op; closes without callbacks */

/* Connect to url ("ws://host[:port]/path?query" or "wss://...", see
 * wsc_url_parse()) and send the opening handshake (RFC 6455 §4.1, no
 * extension offered).  An IP address is used as is; a host name is resolved
 * with evdns (/etc/hosts, then /etc/resolv.conf's servers) and its first
 * IPv4 address, else its first one, is tried.  timeout_ms bounds lookup,
 * connect, TLS handshake and 101 together (0 or less: unbounded).  Returns 0
 * (on_open or on_close follows); CP_EINVAL for a URL that is not a valid
 * ws:// or wss:// one, CP_EIO while a connection is under way, open, or its
 * on_close not yet delivered (then nothing follows). */
int wsclient_connect(struct wsclient *c, const char *url, int timeout_ms);

/* Queue a text message (text: len bytes of UTF-8, not checked; copied) as
 * one frame, masked with a fresh random key (RFC 6455 §5.3).  Returns 0, or
 * CP_EIO when not open (CP_ETOOBIG over 2 GiB, CP_ENOMEM). */
int wsclient_send(struct wsclient *c, const char *text, size_t len);

/* Start the closing handshake with code and reason (may be NULL; cut to
 * fit the 125-byte frame), RFC 6455 §7.1.2; a code that may not be sent
 * (§7.4.1, e.g. 0 or 1005) sends a Close without a status.  on_close follows
 * once the server answers, or after 2 s.  Before the handshake completed it
 * abandons the attempt (on_close follows); when closed or closing, a
 * no-op. */
void wsclient_close(struct wsclient *c, uint16_t code, const char *reason);

/* True from on_open until the closing handshake starts (wsclient_close(),
 * the server's Close or a fault of the server's). */
bool wsclient_is_open(const struct wsclient *c);

#endif
