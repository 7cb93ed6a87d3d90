/* conn_private: the registry's structure, shared by the files of the conn
 * module only (conn.c: the registry, closing, responses; conn_io.c: the bare
 * socket I/O of streams).  Same loop and ownership as conn.h; no other
 * module includes it. */
#ifndef CP_CONN_PRIVATE_H
#define CP_CONN_PRIVATE_H

#include "conn.h"

#define CONN_COMMON_TIMEOUTS 8 /* durations given a queue of their own */

struct conn_registry {
    struct conn *conns; /* every open connection */
    size_t n_conns, max_conns;
    unsigned per_ip;
    struct peers *peers;  /* connections per client address */
    struct conn *closing; /* closed, freed on the next loop turn */
    struct event *reaper;
    struct event_base *base;
    const struct conn_io *io; /* bare connections' callbacks (conn_go_bare()) */
    size_t low_water;         /* bare output at or below this is drained */
    struct conn *flushing;    /* bare connections with output queued this turn */
    struct event *flusher;    /* writes them at the end of the loop turn */
    /* What a bare connection with no input waiting reads into: read_buf,
     * given to the reader as shared_in (a reference, not a copy) without
     * an input buffer of its own; only what the reader leaves is copied
     * into one (conn_io.c bare_read()).  shared_in is NULL without memory. */
    struct evbuffer *shared_in;
    char *read_buf; /* CONN_READ_BYTES */
    /* Bare connections' timeouts as libevent common timeouts (a queue per
     * duration instead of the timer heap: O(1) to add and remove, and every
     * connection has one); at most CONN_COMMON_TIMEOUTS durations. */
    struct {
        int ms;
        const struct timeval *tv;
    } timeouts[CONN_COMMON_TIMEOUTS];
    int n_timeouts;
};

/* Arrange for the reaper to run on the next loop turn. */
void conn_schedule_reap(struct conn_registry *reg);

/* Bare I/O (conn_io.c): set up and free the registry's part, and free a
 * bare connection's socket, event and buffers. */
void conn_io_registry_init(struct conn_registry *reg);
void conn_io_registry_free(struct conn_registry *reg);
void conn_io_free(struct conn *c);

/* Give c (not yet registered) its socket's event on fd and an output
 * buffer, served by io with output drained at low_water bytes.  Returns
 * false (out of memory) with nothing allocated. */
bool conn_io_attach(struct conn *c, evutil_socket_t fd, const struct conn_io *io, size_t low_water);

/* An HTTP request was answered after waiting for Redis: read on, the
 * requests already read behind it first. */
void conn_resume_reading(struct conn *c);

/* A bare connection stops reading and waits only for its output to be
 * written, within timeout_ms (then BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING). */
void conn_io_flush_then(struct conn *c, int timeout_ms);

#endif
