/* sse: the Server-Sent Events wire format (WHATWG HTML §9.2 "Server-sent
 * events", event stream interpretation).  No I/O: encoders return new buffers
 * the caller frees with free().  Any thread. */
#ifndef CP_SSE_H
#define CP_SSE_H

#include <stddef.h>

#include "price.h"

/* Encode one event: "id: ID\n" (if id), "event: NAME\n" (if event), one
 * "data: " line per line of data (split at CRLF, LF or CR, since a raw line
 * break would end the field), then a blank line.  data is len bytes.
 * Returns a malloc'd buffer and its length in *out_len. */
char *sse_event_new(const char *id, const char *event, const char *data, size_t len,
                    size_t *out_len);

/* Encode an id-only block, "id: ID\n\n": it sets the browser's last event
 * id without dispatching an event (WHATWG HTML §9.2.6, "dispatch the event"
 * step 1, then step 2 returns on the empty data buffer).  Sent after the
 * events of a tick that carry no id (docs/PROTOCOL.md §3, ids and whole ticks).
 * Returns a malloc'd buffer and its length in *out_len. */
char *sse_id_block_new(const char *id, size_t *out_len);

/* True when id may be sent in an "id:" field: no CR, LF or NUL, which would
 * split or end the field. */
int sse_id_valid(const char *id);

/* Parse the decoded value of ?symbols= (docs/PROTOCOL.md §3): "*", or a comma
 * list of 1 to max distinct symbols, into out (max entries).  Returns the
 * count (0 for "*"), or CP_EINVAL with the reason, naming the offending
 * entry, in err: an empty entry, a malformed symbol, a duplicate, more than
 * max, or "*" mixed with symbols. */
int sse_parse_symbols(const char *list, char (*out)[PRICE_SYMBOL_MAX], int max, char *err,
                      size_t errlen);

/* Read ?symbols= from query (the part after '?', at most HTTP_URL_MAX
 * bytes, as the request parser keeps it) and parse it as above, an empty
 * value meaning "*".  Returns the count (0 for "*"), CP_ENOENT when the
 * query names no symbols, or CP_EINVAL with the reason in err (also for a
 * bad %-escape or a decoded NUL). */
int sse_query_symbols(const char *query, char (*out)[PRICE_SYMBOL_MAX], int max, char *err,
                      size_t errlen);

#endif
