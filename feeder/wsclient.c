/* wsclient: one outgoing WebSocket connection on the caller's loop — its
 * life cycle, DNS, the TCP (and TLS) connect, the opening handshake and the
 * socket's events.  The protocol itself (URL, opening request, 101 check,
 * frame decoding and masking) is wsproto/wsc.c; TLS sessions are
 * wsclient_tls.c's; frames in and out, messages and the closing handshake
 * (RFC 6455 §5 and §7) are wsclient_frames.c's.
 *
 * Every bufferevent callback is deferred (BEV_OPT_DEFER_CALLBACKS), so none
 * runs inside a call of the owner's, and on_close always comes from an event
 * of its own on a later loop turn: the owner may free or reconnect the
 * client from on_close, and nothing re-enters it from wsclient_connect(). */
#include "config.h"

#include "wsclient_private.h"
#include "wsclient_tls.h"

#include "cp_error.h"
#include "strlist.h"
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

#define HEAD_MAX 8192 /* bytes of the server's response head */

static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

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
    struct timeval tv = strlist_timeval_ms(ms);
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
        SSL *ssl = wsclient_tls_session(c->tls, c->url.host);
        char buf[256];
        if (!ssl) {
            fail(c, "TLS: %s", wsclient_tls_error_text(buf, sizeof buf));
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

int wsclient_send(struct wsclient *c, const char *text, size_t len)
{
    if (c->state != ST_OPEN)
        return CP_EIO;
    return wsclient_frames_send(c, WS_OP_TEXT, (const uint8_t *)text, len);
}

void wsclient_close(struct wsclient *c, uint16_t code, const char *reason)
{
    switch (c->state) {
    case ST_OPEN:
        snprintf(c->why, sizeof c->why, "closed by the client: %u%s%s", code,
                 reason && *reason ? " " : "", reason ? reason : "");
        wsclient_frames_close(c, code, reason);
        break;
    case ST_RESOLVING:
    case ST_CONNECTING:
    case ST_HANDSHAKE: fail(c, "closed by the client before the handshake completed"); break;
    default: break;
    }
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
    enum wsclient_frames_result r = WSCLIENT_FRAMES_NEXT;
    while (!c->doomed && (c->state == ST_OPEN || c->state == ST_CLOSING) &&
           (r = wsclient_frames_read(c, in)) == WSCLIENT_FRAMES_NEXT)
        ;
    if (r == WSCLIENT_FRAMES_OVER)
        finish(c);
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
    else if (c->url.tls && wsclient_tls_failure(c->bev, tls, sizeof tls))
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
