/* www: serves the dashboard's static files from WWW_ROOT, refusing any path
 * that leaves it.  Runs on the worker's loop; www_new()/www_free() own the
 * resolved root.  Responses are appended to the caller's output buffer. */
#ifndef CP_WWW_H
#define CP_WWW_H

#include <event2/buffer.h>
#include <stdbool.h>

struct www;

/* NULL when root is empty (static files switched off) or does not exist
 * (logged). */
struct www *www_new(const char *root);
void www_free(struct www *w); /* NULL is a no-op */

/* Content-Type for a file name by its extension. */
const char *www_mime_type(const char *name);

/* Resolve a decoded request path ("/" → "/index.html") to an open file.
 * Returns an fd the caller owns and its size in *size and type in *mime, or
 * -1 when there is no such file or the path escapes the root. */
int www_open(const struct www *w, const char *path, long long *size, const char **mime);

#endif
