/* sse: the Server-Sent Events wire format (WHATWG HTML §9.2 "Server-sent
 * events", event stream interpretation).  No I/O: encoders return new buffers
 * the caller frees with free().  Any thread. */
#ifndef CP_SSE_H
#define CP_SSE_H

#include <stddef.h>

/* Encode one event: "id: ID\n" (if id), "event: NAME\n" (if event), one
 * "data: " line per line of data (split at CRLF, LF or CR, since a raw line
 * break would end the field), then a blank line.  data is len bytes.
 * Returns a malloc'd buffer and its length in *out_len. */
char *sse_event_new(const char *id, const char *event, const char *data, size_t len,
                    size_t *out_len);

/* True when id may be sent in an "id:" field: no CR, LF or NUL, which would
 * split or end the field. */
int sse_id_valid(const char *id);

#endif
