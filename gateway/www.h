/* www: serves the dashboard's static files from WWW_ROOT, refusing any path
 * that leaves it.  Runs on the worker's loop; www_new()/www_free() own an
 * in-memory cache of each file with its ETag, Last-Modified and a gzip copy
 * made once when the file is loaded (at start, or again when it changes on
 * disk).  Responses are appended to the caller's output buffer; their bodies
 * are shared by reference, so a file replaced meanwhile stays valid until
 * every buffer holding it has been written. */
#ifndef CP_WWW_H
#define CP_WWW_H

#include <event2/buffer.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct www;

/* Files larger than this are not served (the dashboard is a few dozen KB). */
#define WWW_FILE_MAX (8 * 1024 * 1024)

/* NULL when root is empty (static files switched off) or does not exist
 * (logged).  Loads and compresses every file below root now, so that the
 * first requests cost no disk read or compression. */
struct www *www_new(const char *root);
void www_free(struct www *w); /* NULL is a no-op */

/* Content-Type for a file name by its extension. */
const char *www_mime_type(const char *name);

/* One static-file request: the decoded path and the request headers that
 * matter (NULL when absent), all borrowed for the call. */
struct www_request {
    const char *path;              /* a folder ("/", "/a/") means its index.html */
    const char *if_none_match;     /* RFC 9110 §13.1.2 */
    const char *if_modified_since; /* RFC 9110 §13.1.3, ignored with If-None-Match */
    const char *accept_encoding;   /* RFC 9110 §12.5.3: gzip is used when accepted */
    bool head;                     /* HEAD: headers only */
    bool keep_alive;               /* false adds "Connection: close" */
    bool http10;                   /* HTTP/1.0: keep_alive adds "Connection: keep-alive" */
    const char *extra;             /* more header lines, each ending "\r\n" (CORS); NULL: none */
};

/* Append the whole response for req to out: 200 with the file (gzip when the
 * client accepts it and it is smaller), or 304 when the client's copy is
 * current.  Returns the status (200 or 304), or CP_ENOENT, appending nothing,
 * when there is no such file or the path escapes the root (answer 404). */
int www_respond(struct www *w, const struct www_request *req, struct evbuffer *out);

/* Helpers of www_respond, exported for the unit test. */
/* True when the Accept-Encoding value accepts gzip (q > 0, or via "*"). */
bool www_accepts_gzip(const char *accept_encoding);
/* Parse an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into *t; false when
 * malformed. */
bool www_parse_http_date(const char *s, time_t *t);

#endif
