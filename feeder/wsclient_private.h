/* wsclient_private: the state of a wsclient, shared by its two halves —
 * wsclient.c (life cycle, DNS, connecting, the opening handshake, the socket's
 * events) and wsclient_frames.c (frames in and out, closing).  Not for other
 * modules: they use wsclient.h.  Same loop and ownership as wsclient.h. */
#ifndef CP_WSCLIENT_PRIVATE_H
#define CP_WSCLIENT_PRIVATE_H

#include "wsclient.h"

#include "ws.h"
#include "wsc.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define WHY_MAX 200 /* bytes of an on_close reason, with the NUL */

enum state {
    ST_IDLE,       /* nothing under way; on_close, if any, delivered */
    ST_RESOLVING,  /* DNS lookup of the host name */
    ST_CONNECTING, /* TCP connect, then the TLS handshake for wss:// */
    ST_HANDSHAKE,  /* opening request sent, waiting for the 101 */
    ST_OPEN,
    ST_CLOSING, /* a Close sent or being answered: waiting for the server */
    ST_DONE,    /* torn down; on_close comes on the next loop turn */
};

/* The resolver of a client, made at its first host name.  evdns calls a
 * lookup's callback even after evdns_getaddrinfo_cancel(), maybe after the
 * client was freed, and that callback still needs the resolver: the client
 * and each lookup under way hold a reference, and the last one frees it. */
struct dns {
    struct evdns_base *evdns;
    struct event_base *base;
    int refs;
};

/* One lookup under way; c is NULL once it is cancelled. */
struct lookup {
    struct wsclient *c;
    struct dns *dns;
    struct evdns_getaddrinfo_request *req;
};

struct wsclient {
    struct event_base *base;
    SSL_CTX *tls;
    struct wsclient_callbacks cb;
    void *arg;
    size_t max_message;

    enum state state;
    struct wsc_url url;
    int timeout_ms;
    char key[WSC_KEY_LEN + 1];
    struct bufferevent *bev;
    struct event *timer; /* the connect + handshake deadline, then the closing one */
    struct event *done;  /* delivers on_close */
    struct dns *dns;
    struct lookup *lookup;

    /* The data message being reassembled (RFC 6455 §5.4). */
    uint8_t *msg;
    size_t msg_len, msg_cap;
    bool in_msg;
    struct ws_utf8 utf8;

    /* What on_close will say. */
    bool got_close;     /* the server's Close arrived */
    uint16_t peer_code; /* its status code; 0 for none */
    char why[WHY_MAX];

    bool frame_checked; /* the header of the frame at the input's head passed data_frame_ok() */

    int busy;    /* inside on_read: wsclient_free() leaves the struct to it */
    bool doomed; /* wsclient_free() was called from on_open or on_message */
};

/* Queue one frame of opcode op with len bytes of payload (copied), masked
 * with a fresh random key (RFC 6455 §5.3).  Returns 0, CP_ETOOBIG (over
 * INT_MAX), CP_EIO (no random bytes) or CP_ENOMEM. */
int wsclient_frames_send(struct wsclient *c, enum ws_opcode op, const uint8_t *payload, size_t len);

/* Send a Close with code and reason (may be NULL) and wait for the server's,
 * at most 2 s: state ST_CLOSING; a message being reassembled is dropped. */
void wsclient_frames_close(struct wsclient *c, unsigned code, const char *reason);

/* Fail the connection (RFC 6455 §7.1.7) for a fault of the server's: the
 * reason "<what>: closed with <code>", then wsclient_frames_close(). */
void wsclient_frames_fail(struct wsclient *c, unsigned code, const char *what);

/* What wsclient_frames_read() leaves for wsclient.c to do.  The frames half
 * never tears a connection down itself: it says so, and wsclient.c, which
 * owns the socket and the timers, finishes it. */
enum wsclient_frames_result {
    WSCLIENT_FRAMES_WAIT, /* more bytes needed, or a Close of ours under way */
    WSCLIENT_FRAMES_NEXT, /* a frame was used; another may follow */
    WSCLIENT_FRAMES_OVER, /* the connection is over (the server answered our
                             Close, or broke the protocol while closing):
                             finish it, with c->peer_code and c->why */
};

/* Use the frame at the head of in (state ST_OPEN or ST_CLOSING): a data
 * frame joins the message (on_message with the last), a control frame is
 * answered.  Returns one of enum wsclient_frames_result. */
enum wsclient_frames_result wsclient_frames_read(struct wsclient *c, struct evbuffer *in);

#endif
