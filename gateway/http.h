/* http: the HTTP/1.1 request head (RFC 9112) parsed with Joyent's
 * http-parser, plus the few helpers the gateway's routes need.  No I/O.  A
 * struct http_request belongs to one connection until its head is handled;
 * http_request_new()/http_request_free() own it. */
#ifndef CP_HTTP_H
#define CP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_URL_MAX 2048

/* Request headers the gateway acts on; others are counted and skipped. */
enum http_header {
    HTTP_H_HOST,
    HTTP_H_UPGRADE,
    HTTP_H_CONNECTION,
    HTTP_H_WS_KEY,
    HTTP_H_WS_VERSION,
    HTTP_H_WS_EXTENSIONS,
    HTTP_H_ORIGIN,
    HTTP_H_LAST_EVENT_ID,
    HTTP_H_IF_NONE_MATCH,
    HTTP_H_IF_MODIFIED_SINCE,
    HTTP_H_ACCEPT_ENCODING,
    HTTP_H_COUNT
};

struct http_request;

/* New request parser; max_head: bytes allowed for the request line and
 * headers (MAX_HEAD_BYTES), max_headers: header lines (MAX_HEADERS); beyond
 * either, feeding fails with CP_ETOOBIG. */
struct http_request *http_request_new(size_t max_head, unsigned max_headers);
void http_request_free(struct http_request *r); /* NULL is a no-op */
/* Forget the last request to parse the next one on a keep-alive connection. */
void http_request_reset(struct http_request *r);

/* Feed bytes of the request head.  *consumed: bytes used.  Returns CP_OK when
 * the request is complete (bytes after it, e.g. the first WebSocket frames,
 * are left unconsumed), CP_EAGAIN for more, CP_EPROTO for a malformed request
 * (answer 400 with http_request_error()), CP_ETOOBIG for a head, URL or
 * header count over the limits (answer 431, or 414 when
 * http_request_url_too_long()).  Malformed includes what RFC 9112 says
 * a server must refuse: an HTTP/1.1 request without Host, any with two or
 * an invalid one (§3.2), whitespace before a colon (§5.1); and obs-fold,
 * which it may refuse (§5.2). */
int http_request_feed(struct http_request *r, const char *data, size_t len, size_t *consumed);
/* Why the last feed returned CP_EPROTO, as static text for the 400's
 * message ("malformed HTTP request" when http-parser alone knows). */
const char *http_request_error(const struct http_request *r);

const char *http_request_method(const struct http_request *r); /* "GET" */
bool http_request_is_get(const struct http_request *r);
bool http_request_is_head(const struct http_request *r);
bool http_request_is_options(const struct http_request *r);
const char *http_request_path(const struct http_request *r);  /* undecoded, no query */
const char *http_request_query(const struct http_request *r); /* "" when none */
/* The header's value (several lines joined with ", "), without leading or
 * trailing OWS (RFC 9110 §5.5), or NULL if absent. */
const char *http_request_header(const struct http_request *r, enum http_header h);
bool http_request_keep_alive(const struct http_request *r);
/* The request's HTTP major version (1 for HTTP/1.x). */
int http_request_major(const struct http_request *r);
/* 0 for HTTP/1.0, 1 for HTTP/1.1. */
int http_request_minor(const struct http_request *r);
bool http_request_url_too_long(const struct http_request *r);
/* After CP_EPROTO: true when what failed is the method of an otherwise
 * well-formed request line ("BREW / HTTP/1.1"; methods are case-sensitive,
 * so "get" too), which RFC 9110 §9.1 answers 501; any other malformed head,
 * or one whose request line came in pieces, is 400. */
bool http_request_method_unknown(const struct http_request *r);

/* Read request bodies of up to max_body bytes (a chunked body counts its
 * data, not its framing); 0, the default: bodies are skipped, within the
 * head's max_head.  Feeding a larger one
 * fails with CP_ETOOBIG and http_request_body_too_large() (answer 413).
 * Kept across http_request_reset(). */
void http_request_set_max_body(struct http_request *r, size_t max_body);
/* The complete request's body (NUL-terminated, owned by r until the next
 * reset; "" when none) and its length in *len. */
const char *http_request_body(const struct http_request *r, size_t *len);
bool http_request_body_too_large(const struct http_request *r);
bool http_request_is_post(const struct http_request *r);

/* Keep a copy of each request's bytes as fed (head and body), for passing
 * the connection on (handoff.h); kept across resets. */
void http_request_keep_raw(struct http_request *r, bool keep);
/* The current request's bytes so far (owned by r until the next reset). */
const char *http_request_raw(const struct http_request *r, size_t *len);
/* True once any byte of the current request has been fed (false for NULL:
 * a connection makes its request state at its first byte). */
bool http_request_started(const struct http_request *r);

/* True when the comma-separated header value list holds token,
 * case-insensitively (RFC 9110 §5.6.1; "keep-alive, Upgrade" has "upgrade"). */
bool http_token_list_has(const char *list, const char *token);

/* Reason phrase of a status code ("Not Found"). */
const char *http_status_text(int status);

#endif
