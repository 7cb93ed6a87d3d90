/* sio_session: one Socket.IO client's Engine.IO session (docs/PROTOCOL.md
 * §7) — its id, its hub subscription (proto.h, the same fan-out and limits
 * as /ws), its transport (long-polling with a queue of packets, or a
 * WebSocket connection), the Engine.IO heartbeat and the Socket.IO packets
 * it receives — and the table of sessions of one worker.  Private to
 * socketio.c and sio_session.c; runs on the gateway's loop.  The table owns
 * its sessions; a session borrows its connections and lets go of them
 * before they are freed (conn.h on_close, conn_await). */
#ifndef CP_SIO_SESSION_H
#define CP_SIO_SESSION_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "ctx.h"
#include "peers.h"
#include "proto.h"

/* A session id: two hex digits naming the worker, 18 base64url characters
 * of random bytes, then "." and the route (SOCKETIO_ROUTE, or the PORT). */
#define SIO_SID_LEN 20
#define SIO_SID_MAX (SIO_SID_LEN + 1 + 32)

struct sio_table;

struct sio_session {
    struct sio_table *table;
    struct ctx *ctx; /* the table's */
    char sid[SIO_SID_MAX + 1];
    struct peers_key peer;
    struct proto_client pc;         /* hub membership, rate limit; ops write Socket.IO events */
    struct evbuffer *queue;         /* polling: packets queued, each after EIO_SEPARATOR */
    struct conn *poll;              /* polling: the GET waiting for packets (conn_await), or NULL */
    struct conn *ws;                /* the WebSocket transport, once there is one */
    struct conn *probe;             /* a WebSocket probed for the upgrade (2probe), or NULL */
    bool connected;                 /* Socket.IO: the default namespace is connected */
    bool default_all;               /* on "*" since connecting, until the first subscribe */
    bool ping_outstanding;          /* a ping was sent, no pong yet */
    bool closed;                    /* out of the table; freed once Redis answers (pending) */
    bool flush_scheduled;           /* the waiting poll is answered on the next loop turn */
    unsigned pending;               /* Redis requests (history) whose answer will come to it */
    long long ack_id;               /* the event being handled wants this acknowledgement, or -1 */
    const char *ack_event;          /* ...with the data of this reply event */
    char *ack_error;                /* or of this error event, if no reply comes (owned) */
    long long history_ack;          /* a history reply owes this acknowledgement, or -1 */
    struct event *heartbeat;        /* pingInterval, then pingTimeout */
    struct sio_session *flush_next; /* the table's list of polls to answer */
    struct sio_session *next;       /* the table's chain */
};

/* The table of sessions, at most max (MAX_CONNECTIONS), per_ip from one
 * address (MAX_CONNECTIONS_PER_IP, 0: no limit). */
struct sio_table *sio_table_new(struct ctx *ctx);
void sio_table_free(struct sio_table *t); /* closes every session; NULL is a no-op */
size_t sio_table_count(const struct sio_table *t);

/* A new session for peer on long-polling (ws NULL) or on the WebSocket ws,
 * its heartbeat started, its protocol state still to set up
 * (sio_events_init); NULL when over the caps. */
struct sio_session *sio_session_open(struct sio_table *t, const struct peers_key *peer,
                                     struct conn *ws);
struct sio_session *sio_session_find(struct sio_table *t, const char *sid);

/* The worker whose session sid is (its first two hex digits), or -1 when
 * sid cannot be one of ours. */
int sio_sid_worker(const char *sid);

/* The open packet (Engine.IO "0{...}") of s, with "upgrades" when polling.
 * Caller frees. */
char *sio_session_open_packet(const struct sio_session *s);

/* Close s: the waiting poll gets a close packet, the WebSocket closes
 * (with code, RFC 6455 §7.4), it leaves the hub and the table; reason is
 * logged at debug. */
void sio_session_close(struct sio_session *s, uint16_t code, const char *reason);

/* Send one Engine.IO packet (text of len bytes, type digit first) on s's
 * transport. */
void sio_session_send(struct sio_session *s, const char *text, size_t len);

/* The client answered the heartbeat's ping (Engine.IO "3"). */
void sio_session_pong(struct sio_session *s);

/* Move s onto the WebSocket ws (the "5" upgrade packet, or a direct
 * connection): its queued packets are sent there as frames and the hub
 * writes to ws from now on. */
void sio_session_use_ws(struct sio_session *s, struct conn *ws);

/* Take the WebSocket c, opened with s's sid, as a probe for the upgrade. */
void sio_session_probe(struct sio_session *s, struct conn *c);

/* Answer the waiting GET poll, if any, with a noop packet (during an upgrade). */
void sio_session_send_poll_noop(struct sio_session *s);

/* A Redis answer to s came (one counted in s->pending): true when s is
 * still open and may be used, false when it closed meanwhile. */
bool sio_session_answer_arrived(struct sio_session *s);

/* Hold the GET poll c until packets are queued or the heartbeat sends one. */
void sio_session_hold_poll(struct sio_session *s, struct conn *c);

#endif
