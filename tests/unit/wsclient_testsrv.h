/* wsclient_testsrv: real WebSocket servers on 127.0.0.1 for the wsclient
 * tests, started inside each test on an ephemeral port on the test's loop:
 * libevent and the project's own server core (ws_accept_key,
 * ws_frame_header, ws_parser), plain and over TLS with a CA and certificates
 * made by make_certs() with the openssl command.  Each server plays a script.
 * Also the client's side: a struct run records what the callbacks saw.  One
 * thread; each test frees what it set up with cleanup(). */
#ifndef CP_WSCLIENT_TESTSRV_H
#define CP_WSCLIENT_TESTSRV_H

#include "ws.h"
#include "wsclient.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#define WATCHDOG_S 15 /* a test that hangs fails instead; valgrind is slow */

enum script {
    S_NONE,       /* no server */
    S_ECHO,       /* echo each text */
    S_FRAGMENTS,  /* "Hello, world" in three frames, a ping between them */
    S_PING,       /* a ping; close once the pong is in */
    S_CLOSE,      /* close 1001 "going away" */
    S_BIG,        /* a 1200-byte text in two frames */
    S_HUGE,       /* the header of a 1 MB text, then only 100 bytes */
    S_BINARY,     /* a binary message */
    S_BAD_UTF8,   /* a text that is not UTF-8 */
    S_404,        /* HTTP 404 instead of 101 */
    S_BAD_ACCEPT, /* a 101 with a wrong Sec-WebSocket-Accept */
    S_SILENT,     /* read the request, answer nothing */
    S_SAY,        /* send the text say once the 101 is out, then answer nothing */
};

struct server {
    struct event_base *base;
    struct evconnlistener *lis;
    SSL_CTX *tls; /* NULL: plain TCP */
    int port;
    enum script script;
    const char *say;         /* S_SAY: the text to send (borrowed) */
    int accepts;             /* connections taken */
    struct bufferevent *bev; /* the one connection */
    struct ws_parser *parser;
    bool upgraded, sent_close;
    char head[4096]; /* the client's request */
    char sni[64];    /* the name the client sent in SNI */
    /* what the client sent */
    int texts;
    char text[256];
    int pongs;
    char pong[128];
    int closes;
    unsigned close_code;
    int parse_error;
    bool boundary; /* the input starts with a frame */
    int frames, unmasked;
};

struct run {
    struct event_base *base;
    struct wsclient *c;
    const char *send_on_open; /* a text to send from on_open */
    bool close_after_message; /* wsclient_close(1000, "bye") from on_message */
    bool free_in_message;     /* wsclient_free() from on_message */
    int reconnects;           /* wsclient_connect() again from on_close, this often */
    char url[128];
    int opens, messages, closes;
    char msg[256];
    size_t msg_len;
    int code;
    char why[256];
};

/* A CA, and two server certificates it signs: "good" for localhost and
 * 127.0.0.1, "wrong" for wrong.example only; in a temporary folder that
 * remove_certs() removes.  A Check unchecked fixture. */
void make_certs(void);
void remove_certs(void);
/* The path of the file name (e.g. "ca.pem") of that folder, into out. */
void cert_path(char *out, size_t cap, const char *name);

/* A server playing script on 127.0.0.1 and an ephemeral port (s->port) of
 * base; cert names the certificate ("good", "wrong") for TLS, NULL for plain
 * TCP.  Freed with server_free(). */
struct server *server_new(struct event_base *base, enum script script, const char *cert);
void server_free(struct server *s);

/* A client TLS context (wsclient_tls_new()) trusting the test CA or not. */
SSL_CTX *client_tls(bool trust_test_ca);

/* r->url from fmt; returns it. */
const char *url(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Connect r->c to u and run the loop until on_close or the watchdog, then
 * until the server s (may be NULL) has seen the end of its connection too. */
void run(struct run *r, struct server *s, const char *u, int timeout_ms);

/* A loop, a server playing script (cert: see server_new; none for S_NONE)
 * and a client with max_message bytes and tls (may be NULL). */
struct server *setup(struct run *r, enum script script, const char *cert, SSL_CTX *tls,
                     size_t max_message);
/* Free the client, the server s (may be NULL), the loop and tls. */
void cleanup(struct run *r, struct server *s, SSL_CTX *tls);

/* SIGPIPE ignored: a peer that closes first must not kill the test
 * (feeder_main ignores it too).  A Check unchecked fixture. */
void ignore_sigpipe(void);

#endif
