/* ssec: the client side of Server-Sent Events for the load tool — splits a
 * stream into events (WHATWG HTML §9.2.6 "Interpreting an event stream").
 * No I/O, no allocation: results point into the caller's buffer or scratch.
 * Any thread. */
#ifndef CP_LOAD_SSEC_H
#define CP_LOAD_SSEC_H

#include <stdbool.h>
#include <stddef.h>

/* One event block.  Pointers are into the buffer given to ssec_parse(), or
 * into its scratch when the data spans several lines; valid until either
 * changes.  A block of comments only (": keep-alive") or only "retry:" has
 * no fields set. */
struct ssec_event {
    const char *id; /* NULL when the block has no id field */
    size_t id_len;
    const char *event; /* NULL: the default type, "message" */
    size_t event_len;
    const char *data; /* NULL when the block has no data field */
    size_t data_len;  /* data lines joined with LF, no final LF */
    long retry;       /* -1 unless a valid retry field came */
};

/* Parse the first event block of buf (len bytes): lines ended by CRLF, LF or
 * CR, up to an empty line.  Data of several lines is joined into scratch
 * (cap bytes).  Returns the number of bytes the block used (drop them and
 * call again), CP_EAGAIN when buf holds no complete block (call again with
 * more bytes), or CP_ETOOBIG when joined data passes cap. */
int ssec_parse(const char *buf, size_t len, struct ssec_event *ev, char *scratch, size_t cap);

#endif
