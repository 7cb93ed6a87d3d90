/* wsclient_tls: TLS for wsclient's wss:// connections — the client context
 * (system CAs plus an optional CA file, peer verification, TLS 1.2 or
 * later), one session per connection, and why a TLS connection failed.
 * OpenSSL through bufferevent_openssl; the loop's thread.  A context is freed
 * by its creator with wsclient_tls_free() after the clients using it. */
#ifndef CP_WSCLIENT_TLS_H
#define CP_WSCLIENT_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct bufferevent;
struct ssl_ctx_st;
struct ssl_st;

/* A TLS context for wss://: the system's CAs (OpenSSL's default paths) and,
 * when ca_file is not NULL or empty, the PEM certificates in it too
 * (FEED_CA_FILE, e.g. a test CA); peer verification on, TLS 1.2 or later.
 * Returns NULL with the reason in err (errlen bytes: "TLS: CA file <path>:
 * ...").  One context serves any number of clients; it must outlive them. */
struct ssl_ctx_st *wsclient_tls_new(const char *ca_file, char *err, size_t errlen);
void wsclient_tls_free(struct ssl_ctx_st *tls); /* NULL is a no-op */

/* A session of tls (borrowed) for a connection to host (an IP address or a
 * DNS name, NUL-terminated): the certificate must name it (RFC 6125: a DNS
 * name, or an IP address in the SAN for an address), and a name goes into
 * SNI (RFC 6066 §3 forbids addresses there).  The caller owns the session
 * (SSL_free(), or a bufferevent that takes it).  NULL on failure, the reason
 * queued in OpenSSL's errors (wsclient_tls_error_text()). */
struct ssl_st *wsclient_tls_session(struct ssl_ctx_st *tls, const char *host);

/* Why the TLS layer of bev (an OpenSSL bufferevent) failed, into out (cap
 * bytes): "TLS: certificate verify failed: <reason>" or "TLS: <reason>";
 * drains bev's queued OpenSSL errors.  False, out untouched, when the failure
 * was not TLS's (e.g. the socket's, left in errno). */
bool wsclient_tls_failure(struct bufferevent *bev, char *out, size_t cap);

/* The first OpenSSL error queued on this thread, as text (static, or buf of
 * cap bytes); clears the queue.  "unknown error" when none is queued. */
const char *wsclient_tls_error_text(char *buf, size_t cap);

#endif
