/* reply: the bytes of a CGI response (RFC 3875 §6: a Status header, other
 * headers, a blank line, the body) with a JSON body.  Pure, any thread.
 * reply_format and reply_error_body return malloc'd memory the caller frees. */
#ifndef CP_REPLY_H
#define CP_REPLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Compact, with 15 significant digits so 0.4 is not printed as 0.40000000000000002. */
#define REPLY_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Reason phrase of an HTTP status code ("Service Unavailable"). */
const char *reply_reason(int status);

/* Status, Content-Type: application/json, Cache-Control: no-store,
 * Content-Length and (when allow is not NULL) Allow, then the body unless
 * head (a HEAD request gets the same headers without the body).  body is
 * borrowed.  Stores the size in bytes in *len; never returns NULL. */
char *reply_format(int status, const char *allow, const char *body, bool head, size_t *len);

/* The same for a 200 or 304 answer caches may keep: Cache-Control
 * cache_control (reply_format()'s is no-store) and, when etag is not NULL,
 * ETag etag (a quoted entity tag, etag.h); no Allow.  A 304 gets neither
 * Content-Type nor Content-Length nor body (RFC 9110 §15.4.5). */
char *reply_format_cached(int status, const char *body, size_t body_len, const char *cache_control,
                          const char *etag, bool head, size_t *len);

/* Encode obj (borrowed) as a compact JSON body; NULL if obj is NULL or
 * holds something jansson cannot encode. */
char *reply_json(const json_t *obj);

/* {"error":code,"message":message} for 404, 405 and 500 answers. */
char *reply_error_body(const char *code, const char *message);

#endif
