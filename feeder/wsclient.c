/* wsclient: one outgoing WebSocket connection on the caller's loop.  The
 * protocol itself (URL, opening request, 101 check, frame decoding and
 * masking) is wsproto/wsc.c; this module owns the socket, TLS, DNS, timers
 * and the message and closing rules of RFC 6455 §5 and §7.
 *
 * Every bufferevent callback is deferred (BEV_OPT_DEFER_CALLBACKS), so none
 * runs inside a call of the owner's, and on_close always comes from an event
 * of its own on a later loop turn: the owner may free or reconnect the
 * client from on_close, and nothing re-enters it from wsclient_connect(). */
#include "config.h"

#include "wsclient.h"

#include "cp_error.h"
#include "ws.h"
#include "wsc.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define HEAD_MAX 8192         /* bytes of the server's response head */
#define CLOSE_TIMEOUT_MS 2000 /* how long a Close of ours waits for the server's */
#define WHY_MAX 200           /* bytes of an on_close reason, with the NUL */

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

static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

/* ---- TLS ------------------------------------------------------------ */

/* The first OpenSSL error queued on this thread, as text (static or buf). */
static const char *ssl_error_text(char *buf, size_t cap)
{
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e)
        return "unknown error";
    const char *r = ERR_reason_error_string(e);
    if (r)
        return r;
    ERR_error_string_n(e, buf, cap);
    return buf;
}

struct ssl_ctx_st *wsclient_tls_new(const char *ca_file, char *err, size_t errlen)
{
    char buf[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, errlen, "TLS: %s", ssl_error_text(buf, sizeof buf));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        snprintf(err, errlen, "TLS: the system's CA certificates: %s",
                 ssl_error_text(buf, sizeof buf));
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (ca_file && *ca_file && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        snprintf(err, errlen, "TLS: CA file %s: %s", ca_file, ssl_error_text(buf, sizeof buf));
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

void wsclient_tls_free(struct ssl_ctx_st *tls)
{
    SSL_CTX_free(tls);
}

/* True when host is an IPv4 or IPv6 address rather than a name. */
static bool is_address(const char *host)
{
    struct in6_addr a;
    return evutil_inet_pton(AF_INET, host, &a) == 1 || evutil_inet_pton(AF_INET6, host, &a) == 1;
}

/* A TLS session for c->url.host: the certificate must name it (RFC 6125: a
 * DNS name, or an IP address in the SAN for an address), and a name goes
 * into SNI (RFC 6066 §3 forbids addresses there). */
static SSL *new_ssl(struct wsclient *c)
{
    SSL *ssl = SSL_new(c->tls);
    if (!ssl)
        return NULL;
    const char *host = c->url.host;
    bool ok;
    if (is_address(host)) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
    } else {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
    }
    if (!ok) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

/* Why the TLS layer of c->bev failed, into out; false when it did not. */
static bool tls_failure(struct wsclient *c, char *out, size_t cap)
{
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    if (!ssl)
        return false;
    /* libevent queues SSL_get_error()'s code (library 0) before OpenSSL's
     * own errors: skip it; SSL_ERROR_SYSCALL alone is the socket's failure,
     * for the caller to read in errno. */
    unsigned long first = 0, e;
    while ((e = bufferevent_get_openssl_error(c->bev)))
        if (!first && ERR_GET_LIB(e) != 0)
            first = e;
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
        snprintf(out, cap, "TLS: certificate verify failed: %s",
                 X509_verify_cert_error_string(verify));
        return true;
    }
    if (!first)
        return false;
    char buf[160];
    const char *r = ERR_reason_error_string(first);
    if (!r) {
        ERR_error_string_n(first, buf, sizeof buf);
        r = buf;
    }
    snprintf(out, cap, "TLS: %s", r);
    return true;
}

/* ---- life cycle ------------------------------------------------------ */

static void dns_free_cb(evutil_socket_t fd, short what, void *arg)
{
    struct dns *dns = arg;
    evdns_base_free(dns->evdns, 0);
    free(dns);
}

/* Drop a reference; the last one frees the resolver, on the next loop turn
 * when called from inside one of its callbacks. */
static void dns_unref(struct dns *dns, bool in_callback)
{
    if (!dns || --dns->refs > 0)
        return;
    struct timeval now = {0, 0};
    if (in_callback && event_base_once(dns->base, -1, EV_TIMEOUT, dns_free_cb, dns, &now) == 0)
        return;
    dns_free_cb(-1, 0, dns);
}

/* Close the connection and forget the message under way; no callback. */
static void teardown(struct wsclient *c)
{
    if (c->lookup) {
        c->lookup->c = NULL;
        evdns_getaddrinfo_cancel(c->lookup->req);
        c->lookup = NULL;
    }
    if (c->bev) {
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
    event_del(c->timer);
    if (!c->busy) { /* on_message's text stays valid until it returns */
        free(c->msg);
        c->msg = NULL;
        c->msg_cap = 0;
    }
    c->msg_len = 0;
    c->in_msg = false;
    c->frame_checked = false;
}

/* The connection is over: tear it down now, tell the owner on the next loop
 * turn, with c->peer_code and c->why. */
static void finish(struct wsclient *c)
{
    teardown(c);
    c->state = ST_DONE;
    event_active(c->done, EV_TIMEOUT, 1);
}

/* finish() with the reason fmt. */
static void fail(struct wsclient *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct wsclient *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof c->why, fmt, ap);
    va_end(ap);
    finish(c);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    struct wsclient *c = arg;
    char why[WHY_MAX];
    memcpy(why, c->why, sizeof why); /* the owner may reconnect, rewriting c->why */
    c->state = ST_IDLE;
    if (c->cb.on_close)
        c->cb.on_close(c->peer_code, why, c->arg);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct wsclient *c = arg;
    switch (c->state) {
    case ST_RESOLVING:
    case ST_CONNECTING: fail(c, "connect timeout (%d ms)", c->timeout_ms); break;
    case ST_HANDSHAKE: fail(c, "handshake timeout (%d ms)", c->timeout_ms); break;
    case ST_CLOSING: finish(c); break; /* the server never answered our Close */
    default: break;
    }
}

static void arm_timer(struct wsclient *c, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(c->timer, &tv);
}

struct wsclient *wsclient_new(struct event_base *base, struct ssl_ctx_st *tls,
                              const struct wsclient_callbacks *cb, void *arg, size_t max_message)
{
    struct wsclient *c = xcalloc(1, sizeof *c);
    c->base = base;
    c->tls = tls;
    c->cb = *cb;
    c->arg = arg;
    /* the reassembly buffer holds max_message bytes and a NUL */
    c->max_message = max_message < SIZE_MAX / 2 ? max_message : SIZE_MAX / 2;
    c->timer = evtimer_new(base, on_timer, c);
    c->done = event_new(base, -1, 0, on_done, c);
    if (!c->timer || !c->done) {
        fprintf(stderr, "wsclient: out of memory\n");
        abort();
    }
    return c;
}

static void destroy(struct wsclient *c)
{
    teardown(c);
    free(c->msg);
    event_free(c->timer);
    event_free(c->done);
    dns_unref(c->dns, false);
    free(c);
}

void wsclient_free(struct wsclient *c)
{
    if (!c)
        return;
    if (c->busy) { /* from on_open or on_message: on_read frees c once it returns */
        teardown(c);
        event_del(c->done);
        c->state = ST_DONE;
        c->doomed = true;
        return;
    }
    destroy(c);
}

bool wsclient_is_open(const struct wsclient *c)
{
    return c->state == ST_OPEN;
}

/* ---- connecting ------------------------------------------------------ */

static void connect_to(struct wsclient *c, const struct sockaddr *sa, int salen)
{
    c->state = ST_CONNECTING;
    int opts = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
    if (c->url.tls) {
        SSL *ssl = new_ssl(c);
        char buf[256];
        if (!ssl) {
            fail(c, "TLS: %s", ssl_error_text(buf, sizeof buf));
            return;
        }
        c->bev = bufferevent_openssl_socket_new(c->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, opts);
        if (!c->bev)
            SSL_free(ssl);
    } else {
        c->bev = bufferevent_socket_new(c->base, -1, opts);
    }
    if (!c->bev) {
        fail(c, "connect: cannot make a bufferevent");
        return;
    }
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(c->bev, sa, salen) < 0)
        fail(c, "connect: %s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* An address literal as a socket address with c->url.port; false for a
 * name. */
static bool literal_address(const struct wsclient *c, struct sockaddr_storage *ss, int *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (evutil_inet_pton(AF_INET, c->url.host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)c->url.port);
        *len = sizeof *s4;
        return true;
    }
    if (evutil_inet_pton(AF_INET6, c->url.host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)c->url.port);
        *len = sizeof *s6;
        return true;
    }
    return false;
}

static void on_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
    struct lookup *l = arg;
    struct wsclient *c = l->c;
    struct dns *dns = l->dns;
    free(l);
    if (c) {
        c->lookup = NULL;
        /* The first IPv4 address, else the first: one address is tried, and
         * IPv4 is the family that works wherever the feeder runs. */
        const struct evutil_addrinfo *pick = ai;
        for (const struct evutil_addrinfo *a = ai; a; a = a->ai_next)
            if (a->ai_family == AF_INET) {
                pick = a;
                break;
            }
        if (result != 0 || !pick)
            fail(c, "DNS: %s: %s", c->url.host,
                 result ? evutil_gai_strerror(result) : "no address");
        else
            connect_to(c, pick->ai_addr, (int)pick->ai_addrlen);
    }
    if (ai)
        evutil_freeaddrinfo(ai);
    dns_unref(dns, true);
}

static void resolve(struct wsclient *c)
{
    c->state = ST_RESOLVING;
    if (!c->dns) {
        struct evdns_base *evdns = evdns_base_new(c->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                                               EVDNS_BASE_DISABLE_WHEN_INACTIVE);
        if (!evdns) {
            fail(c, "DNS: no resolver (/etc/resolv.conf)");
            return;
        }
        c->dns = xcalloc(1, sizeof *c->dns);
        c->dns->evdns = evdns;
        c->dns->base = c->base;
        c->dns->refs = 1;
    }
    struct lookup *l = xcalloc(1, sizeof *l);
    l->c = c;
    l->dns = c->dns;
    c->dns->refs++;
    c->lookup = l;
    struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC,
                                    .ai_socktype = SOCK_STREAM,
                                    .ai_protocol = IPPROTO_TCP,
                                    .ai_flags = EVUTIL_AI_ADDRCONFIG};
    char port[8];
    snprintf(port, sizeof port, "%d", c->url.port);
    /* The callback may run before this returns (a name in /etc/hosts), and
     * then c->lookup is already NULL. */
    struct evdns_getaddrinfo_request *req =
        evdns_getaddrinfo(c->dns->evdns, c->url.host, port, &hints, on_resolved, l);
    if (c->lookup == l)
        l->req = req;
}

int wsclient_connect(struct wsclient *c, const char *url, int timeout_ms)
{
    if (c->state != ST_IDLE)
        return CP_EIO;
    if (wsc_url_parse(url, &c->url) != CP_OK)
        return CP_EINVAL;
    c->got_close = false;
    c->peer_code = 0;
    c->why[0] = '\0';
    c->timeout_ms = timeout_ms;
    c->state = ST_CONNECTING;
    if (timeout_ms > 0)
        arm_timer(c, timeout_ms);
    uint8_t nonce[16];
    if (RAND_bytes(nonce, sizeof nonce) != 1) {
        fail(c, "no random bytes for Sec-WebSocket-Key");
        return CP_OK;
    }
    wsc_key(nonce, c->key);
    if (c->url.tls && !c->tls) {
        fail(c, "wss:// without a TLS context");
        return CP_OK;
    }
    struct sockaddr_storage ss;
    int len;
    if (literal_address(c, &ss, &len))
        connect_to(c, (struct sockaddr *)&ss, len);
    else
        resolve(c);
    return CP_OK;
}

/* TCP (and TLS) is up: send the opening handshake (RFC 6455 §4.1). */
static void send_request(struct wsclient *c)
{
    char req[WSC_RESOURCE_MAX + WSC_HOST_MAX + 256];
    int n = wsc_request_url(req, sizeof req, &c->url, c->key);
    if (n < 0) {
        fail(c, "handshake: request too long");
        return;
    }
    if (c->url.tls) /* from now on a server may end without close_notify */
        bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
    c->state = ST_HANDSHAKE;
    bufferevent_write(c->bev, req, (size_t)n);
}

/* ---- frames out ------------------------------------------------------ */

/* Queue one masked frame (RFC 6455 §5.3: a fresh unpredictable mask each). */
static int send_frame(struct wsclient *c, enum ws_opcode op, const uint8_t *payload, size_t len)
{
    if (len > (size_t)INT_MAX - WSC_MASK_HEADER_MAX)
        return CP_ETOOBIG;
    uint8_t mask[4];
    if (RAND_bytes(mask, sizeof mask) != 1)
        return CP_EIO;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    struct evbuffer_iovec v;
    if (evbuffer_reserve_space(out, (ev_ssize_t)(len + WSC_MASK_HEADER_MAX), &v, 1) < 1)
        return CP_ENOMEM;
    int n = wsc_frame_encode(v.iov_base, v.iov_len, op, payload, len, mask);
    if (n < 0)
        return n;
    v.iov_len = (size_t)n;
    return evbuffer_commit_space(out, &v, 1) == 0 ? CP_OK : CP_ENOMEM;
}

/* A Close frame with code (none when it may not be sent, §7.4.1) and
 * reason, cut to fit 125 bytes at a UTF-8 character boundary. */
static void send_close(struct wsclient *c, unsigned code, const char *reason)
{
    uint8_t p[WS_CONTROL_MAX];
    size_t n = 0;
    if (ws_close_code_valid(code)) {
        p[0] = (uint8_t)(code >> 8);
        p[1] = (uint8_t)code;
        size_t r = reason ? strlen(reason) : 0;
        if (r > sizeof p - 2) {
            r = sizeof p - 2;
            while (r && ((uint8_t)reason[r] & 0xC0) == 0x80)
                r--;
        }
        if (r)
            memcpy(p + 2, reason, r);
        n = 2 + r;
    }
    send_frame(c, WS_OP_CLOSE, p, n);
}

int wsclient_send(struct wsclient *c, const char *text, size_t len)
{
    if (c->state != ST_OPEN)
        return CP_EIO;
    return send_frame(c, WS_OP_TEXT, (const uint8_t *)text, len);
}

/* Send a Close and wait for the server's, at most CLOSE_TIMEOUT_MS. */
static void start_closing(struct wsclient *c, unsigned code, const char *reason)
{
    send_close(c, code, reason);
    c->state = ST_CLOSING;
    c->msg_len = 0; /* the buffer may hold on_message's text: freed later */
    c->in_msg = false;
    arm_timer(c, CLOSE_TIMEOUT_MS);
}

void wsclient_close(struct wsclient *c, uint16_t code, const char *reason)
{
    switch (c->state) {
    case ST_OPEN:
        snprintf(c->why, sizeof c->why, "closed by the client: %u%s%s", code,
                 reason && *reason ? " " : "", reason ? reason : "");
        start_closing(c, code, reason);
        break;
    case ST_RESOLVING:
    case ST_CONNECTING:
    case ST_HANDSHAKE: fail(c, "closed by the client before the handshake completed"); break;
    default: break;
    }
}

/* Fail the connection (RFC 6455 §7.1.7) for a fault of the server's: close
 * with code, then wait for its Close as after wsclient_close(). */
static void fail_with(struct wsclient *c, unsigned code, const char *what)
{
    snprintf(c->why, sizeof c->why, "%s: closed with %u", what, code);
    start_closing(c, code, NULL);
}

/* ---- frames in ------------------------------------------------------- */

/* The server's Close (§5.5.1): status code, then a UTF-8 reason. */
static void got_close(struct wsclient *c, const uint8_t *p, size_t len)
{
    unsigned code = len >= 2 ? (unsigned)p[0] << 8 | p[1] : 0;
    struct ws_utf8 u = {0};
    if (c->state == ST_CLOSING) { /* the answer to ours: nothing more to check */
        c->got_close = true;
        c->peer_code = ws_close_code_valid(code) ? (uint16_t)code : 0;
        finish(c);
        return;
    }
    if (len == 1 || (len >= 2 && !ws_close_code_valid(code))) {
        fail_with(c, WS_CLOSE_PROTOCOL_ERROR, "bad close frame from the server");
        return;
    }
    if (len > 2 && (!ws_utf8_feed(&u, p + 2, len - 2) || !ws_utf8_complete(&u))) {
        fail_with(c, WS_CLOSE_INVALID_DATA, "close reason not UTF-8");
        return;
    }
    c->got_close = true;
    c->peer_code = (uint16_t)code;
    /* Printable bytes only: the reason goes to a log line. */
    char reason[WS_CONTROL_MAX + 1];
    size_t n = len > 2 ? len - 2 : 0;
    for (size_t i = 0; i < n; i++)
        reason[i] = p[2 + i] < 0x20 || p[2 + i] == 0x7f ? '?' : (char)p[2 + i];
    reason[n] = '\0';
    if (code)
        snprintf(c->why, sizeof c->why, "closed by the server: %u%s%s", code, n ? " " : "", reason);
    else
        snprintf(c->why, sizeof c->why, "closed by the server without a status code");
    start_closing(c, code, NULL); /* the echo; on_write finishes once it is out */
}

#define WSCLIENT_OUTPUT_MAX (256 * 1024) /* bytes queued for the server at most */

static void got_control(struct wsclient *c, enum ws_opcode op, const uint8_t *p, size_t len)
{
    if (op == WS_OP_CLOSE)
        got_close(c, p, len);
    else if (op == WS_OP_PING && c->state == ST_OPEN &&
             evbuffer_get_length(bufferevent_get_output(c->bev)) > WSCLIENT_OUTPUT_MAX)
        /* A peer that pings faster than it reads our pongs would make them
         * pile up without bound. */
        fail_with(c, WS_CLOSE_POLICY, "the server does not read its pongs");
    else if (op == WS_OP_PING && c->state == ST_OPEN)
        send_frame(c, WS_OP_PONG, p, len); /* same payload, §5.5.3 */
}

/* A data frame's payload (len bytes at the head of in) joins the message;
 * the last one delivers it. */
static void got_data(struct wsclient *c, struct evbuffer *in, const struct wsc_frame *f)
{
    size_t need = c->msg_len + (size_t)f->len + 1;
    if (need > c->msg_cap) {
        size_t cap = c->msg_cap ? c->msg_cap : 4096;
        while (cap < need)
            cap *= 2;
        if (cap > c->max_message + 1)
            cap = c->max_message + 1;
        c->msg = xrealloc(c->msg, cap);
        c->msg_cap = cap;
    }
    uint8_t *part = c->msg + c->msg_len;
    evbuffer_remove(in, part, (size_t)f->len);
    c->msg_len += (size_t)f->len;
    if (!ws_utf8_feed(&c->utf8, part, (size_t)f->len) || (f->fin && !ws_utf8_complete(&c->utf8))) {
        fail_with(c, WS_CLOSE_INVALID_DATA, "text message not UTF-8");
        return;
    }
    if (!f->fin)
        return;
    c->msg[c->msg_len] = '\0';
    size_t len = c->msg_len;
    c->in_msg = false;
    c->msg_len = 0;
    if (c->cb.on_message)
        c->cb.on_message((const char *)c->msg, len, c->arg);
}

/* The rules a data frame's header must meet before its payload is read
 * (§5.4 fragmentation; binary refused; max_message).  Returns false after
 * failing the connection. */
static bool data_frame_ok(struct wsclient *c, const struct wsc_frame *f)
{
    if (f->opcode == WS_OP_CONT && !c->in_msg) {
        fail_with(c, WS_CLOSE_PROTOCOL_ERROR, "continuation frame outside a message");
        return false;
    }
    if (f->opcode != WS_OP_CONT && c->in_msg) {
        fail_with(c, WS_CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one");
        return false;
    }
    if (f->opcode == WS_OP_BINARY) {
        fail_with(c, WS_CLOSE_UNSUPPORTED, "binary message refused");
        return false;
    }
    if (f->len > c->max_message - (c->in_msg ? c->msg_len : 0)) {
        char what[64];
        snprintf(what, sizeof what, "message over %zu bytes", c->max_message);
        fail_with(c, WS_CLOSE_TOO_BIG, what);
        return false;
    }
    if (f->opcode == WS_OP_TEXT) {
        c->in_msg = true;
        c->msg_len = 0;
        memset(&c->utf8, 0, sizeof c->utf8);
    }
    return true;
}

/*  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-------+-+-------------+-------------------------------+
 * |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 * |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 * |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 * +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +  (RFC 6455 §5.2)
 * Only the header is pulled up: a payload goes straight from the input into
 * the message buffer.  A data frame's header is checked as soon as it is
 * in, so an oversized message is refused before its bytes are waited for.
 * While closing, only the server's Close matters.  Returns true when a
 * frame was used and another may follow. */
static bool read_frame(struct wsclient *c, struct evbuffer *in)
{
    size_t avail = evbuffer_get_length(in);
    size_t hl = avail < WS_HEADER_MAX ? avail : WS_HEADER_MAX;
    if (!hl)
        return false;
    struct wsc_frame f;
    int rc = wsc_frame_parse(evbuffer_pullup(in, (ev_ssize_t)hl), hl, &f);
    bool closing = c->state == ST_CLOSING;
    if (rc == CP_EPROTO || (f.total && f.rsv1)) { /* RSV1: no extension was offered */
        if (closing)
            finish(c);
        else
            fail_with(c, WS_CLOSE_PROTOCOL_ERROR, "bad frame from the server");
        return false;
    }
    if (!f.total)
        return false;
    bool control = f.opcode & 0x8;
    if (!closing && !control && !c->frame_checked) {
        if (!data_frame_ok(c, &f))
            return false;
        c->frame_checked = true;
    }
    if (avail < f.total)
        return false;
    c->frame_checked = false;
    evbuffer_drain(in, (size_t)(f.total - f.len));
    if (control) {
        uint8_t p[WS_CONTROL_MAX];
        evbuffer_remove(in, p, (size_t)f.len);
        got_control(c, f.opcode, p, (size_t)f.len);
    } else if (closing) {
        evbuffer_drain(in, (size_t)f.len);
    } else {
        got_data(c, in, &f);
    }
    return true;
}

/* The server's answer to the opening handshake (RFC 6455 §4.1, client
 * steps 1-6); frames may follow it in the same read. */
static void read_head(struct wsclient *c, struct evbuffer *in)
{
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    size_t len = end.pos < 0 ? evbuffer_get_length(in) : (size_t)end.pos + 4;
    if (len > HEAD_MAX) {
        fail(c, "handshake: response head over %d bytes", HEAD_MAX);
        return;
    }
    if (end.pos < 0)
        return;
    char head[HEAD_MAX + 1];
    evbuffer_copyout(in, head, len);
    head[len] = '\0';
    struct wsc_handshake hs;
    if (wsc_response(head, len, c->key, &hs) < 0) {
        if (hs.status == 0)
            fail(c, "handshake: not an HTTP response");
        else if (hs.status != 101)
            fail(c, "handshake: HTTP %d", hs.status);
        else
            fail(c, "handshake: bad 101 (Upgrade, Connection or Sec-WebSocket-Accept)");
        return;
    }
    if (hs.deflate) { /* step 5: an extension that was not offered */
        fail(c, "handshake: the server chose permessage-deflate, not offered");
        return;
    }
    evbuffer_drain(in, len);
    event_del(c->timer);
    c->state = ST_OPEN;
    if (c->cb.on_open)
        c->cb.on_open(c->arg);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct wsclient *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    c->busy++;
    if (c->state == ST_HANDSHAKE)
        read_head(c, in);
    while (!c->doomed && (c->state == ST_OPEN || c->state == ST_CLOSING) && read_frame(c, in))
        ;
    c->busy--;
    if (c->doomed)
        destroy(c);
}

/* Our echo of the server's Close is out: the connection is over (the
 * kernel still sends it after the close). */
static void on_write(struct bufferevent *bev, void *arg)
{
    struct wsclient *c = arg;
    if (c->state == ST_CLOSING && c->got_close &&
        evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        finish(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct wsclient *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        send_request(c);
        return;
    }
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
        return;
    int err = EVUTIL_SOCKET_ERROR(); /* restored for deferred callbacks */
    const char *sys = (what & BEV_EVENT_ERROR) && err ? evutil_socket_error_to_string(err) : NULL;
    char tls[WHY_MAX];
    if (c->state == ST_CLOSING)
        finish(c);
    else if (c->url.tls && tls_failure(c, tls, sizeof tls))
        fail(c, "%s", tls);
    else if (c->state == ST_CONNECTING)
        fail(c, "connect: %s", sys ? sys : "connection closed by the server");
    else if (c->state == ST_HANDSHAKE)
        fail(c, "handshake: %s", sys ? sys : "connection closed before the answer");
    else if (c->state == ST_OPEN && sys)
        fail(c, "connection lost: %s", sys);
    else if (c->state == ST_OPEN)
        fail(c, "connection closed without a close frame");
}
