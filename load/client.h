/* client: one load client — its TCP connection (a bufferevent on its
 * worker's loop, from a 127.0.0.x source address when asked), the
 * WebSocket, SSE or Socket.IO handshake, the subscription, and reading
 * frames or events: every price message is counted once per tick and gives
 * one latency sample per price.  The counters go to the worker's struct
 * client_ctx.  One worker's loop only; the worker owns the clients (an
 * array of slots) and the context. */
#ifndef CP_LOAD_CLIENT_H
#define CP_LOAD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load.h"
#include "tickid.h"
#include "wsc.h"

struct event_base;
struct bufferevent;
struct evbuffer;
struct deflate_inflater;
struct ticktab;

/* What the clients of one worker share. */
struct client_ctx {
    const struct load_opts *o; /* borrowed */
    struct event_base *base;   /* borrowed: the worker's loop */
    struct load_report r;      /* the counts the worker reports */
    int64_t open, pending;     /* open: handshake done; pending: in progress */
    uint64_t rng;              /* xorshift64* state: masks, nonces, picks */
    struct deflate_inflater *inflater;
    uint8_t *inflated; /* inflater output, inflated_cap bytes */
    size_t inflated_cap;
    char *scratch;         /* joined SSE data lines, 1 MiB */
    struct ticktab *ticks; /* --ticks-file: clients per tick; NULL without */
};

/* C_RETRY (--storm only): closed, waiting for its backoff to reconnect. */
enum client_state { C_IDLE, C_CONNECTING, C_HANDSHAKE, C_OPEN, C_DONE, C_RETRY };

/* One slot.  A zeroed slot is C_IDLE; client_start() may reuse a C_DONE one. */
struct client {
    struct client_ctx *cx;
    struct bufferevent *bev;
    uint32_t global; /* index over all workers: picks the source address */
    uint8_t state;   /* enum client_state */
    bool ready, live, deflate;
    bool upgraded;    /* WebSocket handshake done (101) */
    bool sio_connect; /* Socket.IO: "40" sent, waiting for the server's */
    char key[WSC_KEY_LEN + 1];
    int64_t started_us;
    struct tickid last;    /* newest tick seen */
    uint32_t ticks;        /* live ticks received */
    struct evbuffer *frag; /* a fragmented message being reassembled */
    bool frag_rsv1;
    /* --storm: reconnects since the last successful one (the backoff's
     * attempt), whether this connection is a reconnect, and when the live
     * connection was lost (wall ms; 0 while live). */
    uint8_t attempt;
    bool resuming;
    int64_t down_ms;
};

/* Set up cx for worker index of o on base: counters zeroed, the random
 * state seeded from o->seed and index, the inflater (server window, no
 * context takeover) and buffers allocated, a tick table if o->ticks_file. */
void client_ctx_init(struct client_ctx *cx, const struct load_opts *o, struct event_base *base,
                     int index);

/* Free what client_ctx_init() allocated (not the clients). */
void client_ctx_free(struct client_ctx *cx);

/* Open slot c (its global index kept, the rest reset): socket, source
 * address, connect to o->dst with --connect-timeout for connect and
 * handshake.  Counts an attempt; a failure ends the slot at once with its
 * cause. */
void client_start(struct client_ctx *cx, struct client *c);

/* Close c as the plan asks: an open client politely (a WebSocket close
 * frame), counted closed_by_us; one still connecting or shaking hands
 * ends with CAUSE_UNFINISHED. */
void client_close(struct client *c);

/* End c now: cause (enum load_cause) is counted unless it is -1; its
 * connection is freed (safe inside its own callbacks) and c is C_DONE.
 * With --storm a cause other than -1 and CAUSE_UNFINISHED instead leaves c
 * C_RETRY and schedules its reconnect (client_backoff_ms); transport causes
 * (refused, EOF, reset, timeout, close, HTTP status) then count as failed
 * reconnect attempts, not as errors. */
void client_end(struct client *c, int cause);

/* The dashboard's reconnect delay (www/cryptopulse-connection.js backoffDelay), ms: 500 ms
 * doubling per attempt up to 10 s, "equal jitter" (half fixed, half
 * random); r is any random number. */
int64_t client_backoff_ms(unsigned attempt, uint64_t r);

#endif
