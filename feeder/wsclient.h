/* wsclient: one outgoing WebSocket connection (RFC 6455 client side) over
 * plain TCP (ws://) or TLS (wss://, OpenSSL through bufferevent_openssl,
 * certificate and host name verified, SNI sent), on the caller's libevent
 * loop.  It answers pings, reassembles messages and reports them; it never
 * reconnects by itself: the owner decides (feeder/source.c).  The owner
 * frees it with wsclient_free(), never from inside one of its callbacks
 * (defer to the loop). */
#ifndef CP_WSCLIENT_H
#define CP_WSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct ssl_ctx_st;

/* A TLS context for wss://: the system's CAs (OpenSSL's default paths) and,
 * when ca_file is not empty, the PEM certificates in it too (FEED_CA_FILE,
 * e.g. a test CA); peer verification on.  Returns NULL with the reason in err. */
struct ssl_ctx_st *wsclient_tls_new(const char *ca_file, char *err, size_t errlen);
void wsclient_tls_free(struct ssl_ctx_st *tls); /* NULL is a no-op */

struct wsclient_callbacks {
    /* The handshake completed (101 checked, RFC 6455 §4.1): send subscriptions. */
    void (*on_open)(void *arg);
    /* A complete text message (borrowed, valid during the call; len bytes,
     * UTF-8 checked).  Binary messages are refused with close 1003. */
    void (*on_message)(const char *text, size_t len, void *arg);
    /* The connection is over, for good: why is a short human reason ("TLS:
     * certificate verify failed", "closed by the server: 1001 going away",
     * "connect timeout", "handshake: HTTP 404"); code is the peer's close
     * code, or 0 when there was none.  Called once per wsclient_connect(). */
    void (*on_close)(int code, const char *why, void *arg);
};

struct wsclient;

/* A client on base (borrowed, must outlive it) calling cb (copied) with arg.
 * tls (borrowed, may be NULL: then wss:// fails with on_close) serves wss://
 * URLs.  max_message: the largest message accepted, bytes (larger: close
 * 1009). */
struct wsclient *wsclient_new(struct event_base *base, struct ssl_ctx_st *tls,
                              const struct wsclient_callbacks *cb, void *arg, size_t max_message);
void wsclient_free(struct wsclient *c); /* NULL is a no-op; closes without callbacks */

/* Connect to url ("ws://host[:port]/path?query" or "wss://..."; host names
 * resolved with evdns or getaddrinfo) with the connect and handshake bounded
 * by timeout_ms.  Returns 0 (on_open or on_close follows), or CP_EINVAL for a
 * URL that is not ws:// or wss:// (nothing follows). */
int wsclient_connect(struct wsclient *c, const char *url, int timeout_ms);

/* Send a text message (masked, RFC 6455 §5.3).  Returns 0, or CP_EIO when
 * not open. */
int wsclient_send(struct wsclient *c, const char *text, size_t len);

/* Start the closing handshake with code (RFC 6455 §7.1.2); on_close follows
 * once the server answers or after a short timeout. */
void wsclient_close(struct wsclient *c, uint16_t code, const char *reason);

/* True between on_open and on_close. */
bool wsclient_is_open(const struct wsclient *c);

#endif
