/* wsclient_testsrv: the scripted WebSocket servers and the client harness of
 * the wsclient tests (check_wsclient*.c).  See wsclient_testsrv.h. */
#include "config.h"

#include "wsclient_testsrv.h"

#include "cp_error.h"
#include "wsclient_tls.h"

#include <arpa/inet.h>
#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- certificates ---------------------------------------------------- */

static char certdir[] = "/tmp/check_wsclient.XXXXXX";

void cert_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", certdir, name);
}

/* A CA, and two server certificates it signs: "good" for localhost and
 * 127.0.0.1, "wrong" for wrong.example only. */
void make_certs(void)
{
    ck_assert_ptr_nonnull(mkdtemp(certdir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && EC='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' && "
             "openssl req -x509 $EC -keyout ca.key -out ca.pem -days 2 "
             "-subj '/CN=CryptoPulse test CA' && "
             "for n in good:DNS:localhost,IP:127.0.0.1 wrong:DNS:wrong.example; do "
             "f=${n%%%%:*}; "
             "openssl req -new $EC -keyout $f.key -out $f.csr -subj /CN=$f && "
             "echo \"subjectAltName=${n#*:}\" > $f.ext && "
             "openssl x509 -req -in $f.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
             "-days 2 -extfile $f.ext -out $f.pem || exit 1; done",
             certdir);
    char quiet[2200];
    snprintf(quiet, sizeof quiet, "( %s ) >/dev/null 2>&1", cmd);
    ck_assert_msg(system(quiet) == 0, "openssl could not make the test certificates");
}

void remove_certs(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", certdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", certdir);
}

/* ---- the server ------------------------------------------------------ */

static void srv_send(struct server *s, enum ws_opcode op, bool fin, const void *p, size_t len)
{
    uint8_t h[WS_HEADER_MAX];
    size_t n = ws_frame_header(h, op, fin, len);
    bufferevent_write(s->bev, h, n);
    bufferevent_write(s->bev, p, len);
}

static void srv_close(struct server *s, unsigned code, const char *reason)
{
    uint8_t p[WS_CONTROL_MAX];
    size_t n = 0;
    if (code) {
        p[0] = (uint8_t)(code >> 8);
        p[1] = (uint8_t)code;
        memcpy(p + 2, reason, strlen(reason));
        n = 2 + strlen(reason);
    }
    srv_send(s, WS_OP_CLOSE, true, p, n);
    s->sent_close = true;
}

static void srv_drop(struct server *s)
{
    if (s->bev)
        bufferevent_free(s->bev);
    s->bev = NULL;
    ws_parser_free(s->parser);
    s->parser = NULL;
}

/* Once the 101 is out: the script's opening moves. */
static void srv_play(struct server *s)
{
    static char big[1200];
    memset(big, 'b', sizeof big);
    uint8_t h[WS_HEADER_MAX];
    switch (s->script) {
    case S_FRAGMENTS:
        srv_send(s, WS_OP_TEXT, false, "Hel", 3);
        srv_send(s, WS_OP_PING, true, "x", 1);
        srv_send(s, WS_OP_CONT, false, "lo, ", 4);
        srv_send(s, WS_OP_CONT, true, "world", 5);
        break;
    case S_PING: srv_send(s, WS_OP_PING, true, "ping-42", 7); break;
    case S_CLOSE: srv_close(s, 1001, "going away"); break;
    case S_BIG:
        srv_send(s, WS_OP_TEXT, false, big, 600);
        srv_send(s, WS_OP_CONT, true, big, 600);
        break;
    case S_HUGE:
        bufferevent_write(s->bev, h, ws_frame_header(h, WS_OP_TEXT, true, 1000000));
        bufferevent_write(s->bev, big, 100);
        break;
    case S_BINARY: srv_send(s, WS_OP_BINARY, true, "\x01\x02\x03", 3); break;
    case S_BAD_UTF8: srv_send(s, WS_OP_TEXT, true, "caf\xc3\x28", 5); break;
    case S_SAY: srv_send(s, WS_OP_TEXT, true, s->say, strlen(s->say)); break;
    default: break;
    }
}

/* The request head is in: answer it as the script says. */
static void srv_answer(struct server *s, size_t len)
{
    evbuffer_remove(bufferevent_get_input(s->bev), s->head, len);
    s->head[len] = '\0';
    SSL *ssl = bufferevent_openssl_get_ssl(s->bev);
    const char *sni = ssl ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : NULL;
    snprintf(s->sni, sizeof s->sni, "%s", sni ? sni : "");
    if (s->script == S_SILENT)
        return;
    if (s->script == S_404) {
        bufferevent_write(s->bev, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 45);
        return;
    }
    char key[64] = "", accept[WS_ACCEPT_LEN + 1];
    const char *k = strcasestr(s->head, "\r\nSec-WebSocket-Key:");
    if (k)
        sscanf(k + 20, " %63[^\r]", key);
    ws_accept_key(key, accept);
    if (s->script == S_BAD_ACCEPT)
        accept[3] ^= 1;
    char resp[256];
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    bufferevent_write(s->bev, resp, (size_t)n);
    s->upgraded = s->boundary = true;
    s->parser = ws_parser_new(1 << 20);
    srv_play(s);
}

static void srv_message(struct server *s, const struct ws_message *m)
{
    switch (m->opcode) {
    case WS_OP_TEXT:
        s->texts++;
        snprintf(s->text, sizeof s->text, "%.*s", (int)m->len, (const char *)m->payload);
        if (s->script == S_ECHO)
            srv_send(s, WS_OP_TEXT, true, m->payload, m->len);
        break;
    case WS_OP_PONG:
        s->pongs++;
        snprintf(s->pong, sizeof s->pong, "%.*s", (int)m->len, (const char *)m->payload);
        if (s->script == S_PING)
            srv_close(s, 1000, "done");
        break;
    case WS_OP_CLOSE:
        s->closes++;
        s->close_code = m->close_code;
        if (!s->sent_close) /* echo, then end once it is out */
            srv_close(s, m->close_code == WS_CLOSE_NO_STATUS ? 0 : m->close_code, "");
        else
            srv_drop(s);
        break;
    default: break;
    }
}

static void srv_read(struct bufferevent *bev, void *arg)
{
    struct server *s = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (!s->upgraded) {
        struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
        if (end.pos < 0 || (size_t)end.pos + 4 >= sizeof s->head)
            return;
        srv_answer(s, (size_t)end.pos + 4);
        if (!s->upgraded)
            return;
    }
    while (s->bev && evbuffer_get_length(in)) {
        size_t len = evbuffer_get_length(in);
        const uint8_t *p = evbuffer_pullup(in, -1);
        size_t used = 0;
        struct ws_message m;
        if (s->boundary && len >= 2) { /* the MASK bit, besides the parser's check */
            s->frames++;
            s->unmasked += !(p[1] & 0x80);
        }
        int rc = ws_parser_feed(s->parser, p, len, &used, &m);
        s->boundary = rc == CP_OK;
        evbuffer_drain(in, used);
        if (rc == CP_EAGAIN)
            return;
        if (rc != CP_OK) {
            s->parse_error = rc;
            srv_drop(s);
            return;
        }
        srv_message(s, &m);
    }
}

static void srv_write(struct bufferevent *bev, void *arg)
{
    struct server *s = arg;
    if (s->sent_close && s->closes) /* our echo is out: close TCP first (§7.1.1) */
        srv_drop(s);
}

static void srv_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        srv_drop(arg);
}

static void srv_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                       void *arg)
{
    struct server *s = arg;
    if (s->bev) { /* one connection at a time */
        evutil_closesocket(fd);
        return;
    }
    s->accepts++;
    int opts = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
    if (s->tls) {
        s->bev = bufferevent_openssl_socket_new(s->base, fd, SSL_new(s->tls),
                                                BUFFEREVENT_SSL_ACCEPTING, opts);
        bufferevent_openssl_set_allow_dirty_shutdown(s->bev, 1);
    } else {
        s->bev = bufferevent_socket_new(s->base, fd, opts);
    }
    s->upgraded = s->sent_close = false;
    bufferevent_setcb(s->bev, srv_read, srv_write, srv_event, s);
    bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

/* A server on 127.0.0.1 and an ephemeral port; cert names the certificate
 * ("good", "wrong") for TLS, NULL for plain TCP. */
struct server *server_new(struct event_base *base, enum script script, const char *cert)
{
    struct server *s = calloc(1, sizeof *s);
    s->base = base;
    s->script = script;
    if (cert) {
        char crt[256], key[256], name[32];
        snprintf(name, sizeof name, "%s.pem", cert);
        cert_path(crt, sizeof crt, name);
        snprintf(name, sizeof name, "%s.key", cert);
        cert_path(key, sizeof key, name);
        s->tls = SSL_CTX_new(TLS_server_method());
        ck_assert_int_eq(SSL_CTX_use_certificate_chain_file(s->tls, crt), 1);
        ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(s->tls, key, SSL_FILETYPE_PEM), 1);
    }
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->lis = evconnlistener_new_bind(base, srv_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                     16, (struct sockaddr *)&sin, sizeof sin);
    ck_assert_ptr_nonnull(s->lis);
    socklen_t sl = sizeof sin;
    getsockname(evconnlistener_get_fd(s->lis), (struct sockaddr *)&sin, &sl);
    s->port = ntohs(sin.sin_port);
    return s;
}

void server_free(struct server *s)
{
    srv_drop(s);
    evconnlistener_free(s->lis);
    SSL_CTX_free(s->tls);
    free(s);
}

/* ---- the client's side ------------------------------------------------ */

static void cl_open(void *arg)
{
    struct run *r = arg;
    r->opens++;
    ck_assert(wsclient_is_open(r->c));
    if (r->send_on_open)
        ck_assert_int_eq(wsclient_send(r->c, r->send_on_open, strlen(r->send_on_open)), 0);
}

static void cl_message(const char *text, size_t len, void *arg)
{
    struct run *r = arg;
    r->messages++;
    ck_assert_uint_eq(text[len], '\0');
    snprintf(r->msg, sizeof r->msg, "%.*s", (int)len, text);
    r->msg_len = len;
    if (r->close_after_message)
        wsclient_close(r->c, 1000, "bye");
    if (r->free_in_message) {
        wsclient_free(r->c);
        r->c = NULL;
        event_base_loopexit(r->base, NULL);
    }
}

static void cl_close(int code, const char *why, void *arg)
{
    struct run *r = arg;
    r->closes++;
    r->code = code;
    snprintf(r->why, sizeof r->why, "%s", why);
    ck_assert(!wsclient_is_open(r->c));
    if (r->reconnects-- > 0) {
        ck_assert_int_eq(wsclient_connect(r->c, r->url, 1000), 0);
        return;
    }
    event_base_loopexit(r->base, NULL);
}

static const struct wsclient_callbacks callbacks = {cl_open, cl_message, cl_close};

SSL_CTX *client_tls(bool trust_test_ca)
{
    char ca[256], err[256];
    cert_path(ca, sizeof ca, "ca.pem");
    SSL_CTX *tls = wsclient_tls_new(trust_test_ca ? ca : "", err, sizeof err);
    ck_assert_msg(tls != NULL, "%s", err);
    return tls;
}

/* r->url from fmt; returns it. */
const char *url(struct run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->url, sizeof r->url, fmt, ap);
    va_end(ap);
    return r->url;
}

/* Connect r->c to u and run the loop until on_close or the watchdog, then
 * until the server s (may be NULL) has seen the end of its connection too. */
void run(struct run *r, struct server *s, const char *u, int timeout_ms)
{
    ck_assert_int_eq(wsclient_connect(r->c, u, timeout_ms), 0);
    struct timeval wd = {WATCHDOG_S, 0};
    event_base_loopexit(r->base, &wd);
    event_base_dispatch(r->base);
    for (int i = 0; s && s->bev && i < 200; i++) {
        event_base_loop(r->base, EVLOOP_NONBLOCK);
        usleep(5000);
    }
}

/* A loop, a server playing script (cert: see server_new) and a client with
 * max_message bytes. */
struct server *setup(struct run *r, enum script script, const char *cert, SSL_CTX *tls,
                     size_t max_message)
{
    memset(r, 0, sizeof *r);
    r->base = event_base_new();
    r->c = wsclient_new(r->base, tls, &callbacks, r, max_message);
    return script == S_NONE ? NULL : server_new(r->base, script, cert);
}

void cleanup(struct run *r, struct server *s, SSL_CTX *tls)
{
    wsclient_free(r->c);
    if (s)
        server_free(s);
    event_base_free(r->base);
    wsclient_tls_free(tls);
}

/* A peer that closes first must not kill the test (feeder_main ignores it
 * too). */
void ignore_sigpipe(void)
{
    signal(SIGPIPE, SIG_IGN);
}
