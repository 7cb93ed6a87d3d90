#include "config.h"

#include "gateway.h"

#include "conn.h"
#include "ctx.h"
#include "eventsource.h"
#include "handoff.h"
#include "keys.h"
#include "deflate.h"
#include "log.h"
#include "metrics.h"
#include "price.h"
#include "redis_sync.h"
#include "resume.h"
#include "serve.h"
#include "socketio.h"
#include "stats.h"
#include "strlist.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GATEWAY_SYMBOLS_REFRESH_S 30
#define REFUSED_WARN_MS 10000 /* a connection refused at a limit: logged at most this often */
/* listen(2)'s backlog: the kernel caps it at net.core.somaxconn, so a
 * reconnect storm gets whatever the machine is set up to queue. */
#define GATEWAY_LISTEN_BACKLOG 65535
/* Connections accepted per wake of a listening socket, before the loop
 * answers their heads (and looks at its other events). */
#define GATEWAY_ACCEPTS_PER_WAKE 128
/* Callbacks the loop runs before it looks for new events (and a SIGTERM's
 * end of the loop) again, so that a head that arrived meanwhile waits for
 * at most this many streams' work, not for every active one (conn.h). */
#define GATEWAY_CALLBACKS_PER_POLL 32
/* accept(2) failed for want of files or memory (EMFILE, ENFILE, ENOBUFS):
 * the listening socket stays readable, so accepting pauses this long
 * instead of spinning at CONN_PRIORITY_HEAD, which would hold off every
 * stream, timer and signal, and the reaper that frees files. */
#define GATEWAY_ACCEPT_PAUSE_MS 100
#define ACCEPT_WARN_MS 10000 /* a failed accept: logged at most this often */
/* Connections accepted (and their first reads answered, at
 * CONN_PRIORITY_HEAD) before accepting waits for one turn of streams'
 * work: without it, clients that connect without end (a churn of short
 * connections) would hold off ticks, closes and the reaper for as long. */
#define GATEWAY_ACCEPTS_PER_ROUND 1024

/* A listening socket (plain or TLS) and the event that accepts on it. */
struct listening {
    struct gateway *gw;
    evutil_socket_t fd; /* -1: closed */
    struct event *ev;
    struct event *pause; /* ends an accept pause (GATEWAY_ACCEPT_PAUSE_MS) */
    bool tls;
};

struct gateway {
    struct ctx ctx; /* what the connection layer sees */
    const struct cp_conf *conf;
    struct event_base *base;
    struct listening plain;
    struct listening secure;     /* fd -1 unless TLS_PORT is set */
    struct ssl_ctx_st *tls;      /* OpenSSL's SSL_CTX for it */
    struct deflate_ctx *deflate; /* compresses broadcast frames (RFC 7692) */
    struct event *keepalive;     /* SSE keep-alive comments */
    struct event *refresh;       /* re-reads the feed's symbol list */
    struct event *stats_timer;
    struct event *sig_term, *sig_int;
    bool clustered;
    int64_t refused_warned_ms;        /* when a refused connection was last logged; 0: never */
    int64_t accept_warned_ms;         /* when a failed accept was last logged; 0: never */
    unsigned long long accept_failed; /* accepts failed since then */
    struct event *round;              /* CONN_PRIORITY_STREAM: streams had a turn */
    unsigned accepted;                /* connections accepted this round */
    bool accept_held;                 /* GATEWAY_ACCEPTS_PER_ROUND reached: wait for round */
};

static void on_tick(const char *json, size_t len, void *arg)
{
    struct gateway *gw = arg;
    char err[256];
    /* One batch per loop turn: the ticks of one read from Redis. */
    struct timeval now;
    event_base_gettimeofday_cached(gw->base, &now);
    hub_set_batch(gw->ctx.hub, (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_usec);
    if (hub_publish_tick(gw->ctx.hub, json, len, err, sizeof err) != 0)
        log_warn("skipping a bad tick: %s", err);
    /* Started before the feeder wrote its symbol list: ask again, so that
     * unknown symbols are refused as soon as the feed runs. */
    if (!hub_has_symbol_list(gw->ctx.hub))
        rdb_refresh_symbols(gw->ctx.rdb);
}

static void on_symbols(const char *list, void *arg)
{
    struct gateway *gw = arg;
    hub_set_symbols(gw->ctx.hub, list);
}

/* The feed's symbol list, read once before the first client is accepted
 * (a blocking GET, REDIS_TIMEOUT_MS at most for the connection and for the
 * answer): a client that connects the moment the gateway has started (one
 * reconnecting after a restart) is welcomed with the symbols, not with an
 * empty list, which the embeddable client takes for "every symbol
 * unknown".  Redis away, or behind Sentinels: the read on the loop brings
 * the list, as before. */
static void read_symbols_first(struct gateway *gw)
{
    const struct cp_conf *conf = gw->conf;
    if (conf->redis_sentinels[0])
        return;
    char key[KEYS_MAX];
    keys_format(key, sizeof key, conf->redis_prefix, KEYS_SYMBOLS, NULL);
    char *list = redis_sync_get(conf, key);
    if (list)
        hub_set_symbols(gw->ctx.hub, list);
    free(list);
}

static void on_price(const char *json, size_t len, void *arg)
{
    struct gateway *gw = arg;
    if (hub_set_latest(gw->ctx.hub, json, len) != 0)
        log_warn("skipping a bad cached price: %.*s", (int)(len > 200 ? 200 : len), json);
}

static const struct rdb_callbacks gateway_rdb_callbacks = {
    .on_tick = on_tick,
    .on_symbols = on_symbols,
    .on_price = on_price,
};

/* Admit a new connection within MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP:
 * true with *peer counted, or false after closing fd. */
static bool admit(struct gateway *gw, evutil_socket_t fd, const struct sockaddr *sa,
                  struct peers_key *peer)
{
    if (conn_registry_admit(gw->ctx.conns, sa, peer))
        return true; /* TCP_NODELAY and TCP_NOTSENT_LOWAT came from the listener */
    /* Closed unanswered (docs/PROTOCOL.md §5): no file to spare for more.
     * Counted in /stats, and said in the log at most every REFUSED_WARN_MS. */
    struct ctx_counters *s = &gw->ctx.counters;
    s->refused++;
    int64_t now = price_now_ms();
    if (!gw->refused_warned_ms || now - gw->refused_warned_ms >= REFUSED_WARN_MS) {
        if (conn_registry_count(gw->ctx.conns) >= (size_t)gw->conf->max_connections)
            log_warn("MAX_CONNECTIONS (%d) reached: new connections are closed unanswered "
                     "(%llu so far; /stats \"refused\")",
                     gw->conf->max_connections, (unsigned long long)s->refused);
        else
            log_warn("MAX_CONNECTIONS_PER_IP (%d) reached for a client address: its new "
                     "connections are closed unanswered (%llu so far; /stats \"refused\")",
                     gw->conf->max_connections_per_ip, (unsigned long long)s->refused);
        gw->refused_warned_ms = now;
    }
    evutil_closesocket(fd);
    return false;
}

/* Accept on ls again, unless accepting is held for the round or paused. */
static void listening_resume(struct listening *ls)
{
    if (ls->ev && !ls->gw->accept_held && !evtimer_pending(ls->pause, NULL))
        event_add(ls->ev, NULL);
}

static void on_pause_end(evutil_socket_t fd, short what, void *arg)
{
    listening_resume(arg);
}

/* Streams' work had its turn since the round began: accept again. */
static void on_round(evutil_socket_t fd, short what, void *arg)
{
    struct gateway *gw = arg;
    gw->accepted = 0;
    if (gw->accept_held) {
        gw->accept_held = false;
        listening_resume(&gw->plain);
        listening_resume(&gw->secure);
    }
}

/* One more connection accepted this round; false once the round is full
 * (accepting then waits for on_round, queued behind the streams' work
 * that was waiting when the round began). */
static bool count_accept(struct gateway *gw)
{
    if (gw->accepted++ == 0)
        event_active(gw->round, EV_TIMEOUT, 0);
    if (gw->accepted < GATEWAY_ACCEPTS_PER_ROUND)
        return true;
    gw->accept_held = true;
    if (gw->plain.ev)
        event_del(gw->plain.ev);
    if (gw->secure.ev)
        event_del(gw->secure.ev);
    return false;
}

/* EMFILE and friends: keep serving the clients we have, and try again in
 * GATEWAY_ACCEPT_PAUSE_MS (the client waits in the backlog meanwhile). */
static void pause_accepting(struct listening *ls, int err)
{
    struct gateway *gw = ls->gw;
    gw->accept_failed++;
    int64_t now = price_now_ms();
    if (!gw->accept_warned_ms || now - gw->accept_warned_ms >= ACCEPT_WARN_MS) {
        log_warn("accept failed: %s (%llu times since the last warning); accepting again in "
                 "%d ms",
                 strerror(err), gw->accept_failed, GATEWAY_ACCEPT_PAUSE_MS);
        gw->accept_warned_ms = now;
        gw->accept_failed = 0;
    }
    struct timeval tv = strlist_timeval_ms(GATEWAY_ACCEPT_PAUSE_MS);
    event_del(ls->ev);
    evtimer_add(ls->pause, &tv);
}

/* A listening socket is readable: accept up to GATEWAY_ACCEPTS_PER_WAKE
 * connections (accept4(2)), each admitted and served.  Runs at
 * CONN_PRIORITY_HEAD. */
static void on_listening(evutil_socket_t fd, short what, void *arg)
{
    struct listening *ls = arg;
    struct gateway *gw = ls->gw;
    for (int i = 0; i < GATEWAY_ACCEPTS_PER_WAKE; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        evutil_socket_t c = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (c < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            pause_accepting(ls, errno);
        if (c < 0)
            return;
        struct peers_key peer;
        if (admit(gw, c, (struct sockaddr *)&ss, &peer))
            serve_accepted(&gw->ctx, c, &peer, ls->tls ? gw->tls : NULL);
        if (!count_accept(gw))
            return;
    }
}

/* A Socket.IO client's connection another worker got for one of our
 * sessions, with what it had read of it. */
static void on_handoff(int fd, const char *bytes, size_t len, void *arg)
{
    struct gateway *gw = arg;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    struct peers_key peer;
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0) {
        evutil_closesocket(fd);
        return;
    }
    if (!admit(gw, fd, (struct sockaddr *)&ss, &peer))
        return;
    struct conn *c = serve_accepted(&gw->ctx, fd, &peer, NULL);
    if (c)
        serve_handed_over(c, bytes, len);
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
    struct gateway *gw = arg;
    eventsource_keepalive(gw->ctx.conns);
}

/* The feed's symbol list may change while we run (a feeder restarted with
 * other SYMBOLS): follow it. */
static void on_refresh(evutil_socket_t fd, short what, void *arg)
{
    struct gateway *gw = arg;
    rdb_refresh_symbols(gw->ctx.rdb);
}

/* The feeder's state of the live feed's exchanges (a TTL'd key: absent when
 * the feed is not live, or the feeder is gone). */
static void on_sources(bool ok, const char *const *texts, const size_t *lens, size_t n, void *arg)
{
    struct gateway *gw = arg;
    if (!ok)
        return;
    json_decref(gw->ctx.sources);
    gw->ctx.sources = n ? json_loadb(texts[0], lens[0], 0, NULL) : NULL;
    if (gw->ctx.sources && !json_is_array(json_object_get(gw->ctx.sources, "sources"))) {
        json_decref(gw->ctx.sources);
        gw->ctx.sources = NULL;
    }
}

/* Every STATS_INTERVAL_MS: the message rate, and this worker's counters to
 * Redis, where the other workers, instances and the FastCGI /stats read them. */
static void on_stats(evutil_socket_t fd, short what, void *arg)
{
    struct gateway *gw = arg;
    stats_publish(&gw->ctx);
    char key[KEYS_MAX];
    keys_format(key, sizeof key, gw->conf->redis_prefix, KEYS_SOURCES, NULL);
    rdb_get(gw->ctx.rdb, key, on_sources, gw);
}

/* INSTANCE_ID, or this host's name and port: unique per gateway. */
static void name_instance(struct gateway *gw)
{
    if (gw->conf->instance_id[0]) {
        snprintf(gw->ctx.instance, sizeof gw->ctx.instance, "%s", gw->conf->instance_id);
    } else {
        char host[128] = "localhost";
        gethostname(host, sizeof host - 1);
        snprintf(gw->ctx.instance, sizeof gw->ctx.instance, "%s:%d", host, gw->conf->port);
    }
    char suffix[CONF_STR_MAX + 16];
    snprintf(suffix, sizeof suffix, "%s/%d", gw->ctx.instance, gw->ctx.worker);
    /* Cut short, the key would lose its "/<worker>": every worker would
     * write the same key and /stats would count one. */
    if (keys_format(gw->ctx.stats_key, sizeof gw->ctx.stats_key, gw->conf->redis_prefix, KEYS_STATS,
                    suffix) < 0)
        abort(); /* stats_key holds the longest prefix and INSTANCE_ID conf accepts */
}

static void listening_close(struct listening *ls)
{
    if (ls->pause)
        event_free(ls->pause);
    if (ls->ev)
        event_free(ls->ev);
    ls->pause = NULL;
    if (ls->fd >= 0)
        evutil_closesocket(ls->fd);
    ls->ev = NULL;
    ls->fd = -1;
}

/* Close the listening sockets (once: a second signal finds none). */
static void close_listeners(struct gateway *gw)
{
    listening_close(&gw->plain);
    listening_close(&gw->secure);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct gateway *gw = arg;
    log_info("signal %d: shutting down", (int)sig);
    /* Serve no new connection while draining: a client that reconnects now
     * should find a gateway that stays (behind a balancer, another one).
     * Close the listening sockets, not just stop accepting: a socket left
     * listening still completes handshakes into its backlog, so reconnects
     * would queue on a process that never accepts them, and past the
     * backlog the kernel drops their SYNs (retried after 1 s).  Closed, they
     * are refused at once, and retry as soon as a new gateway listens (with
     * SO_REUSEPORT, the kernel gives them to a sibling worker). */
    close_listeners(gw);
    /* Tell WebSocket clients why (1001), then give the frames a moment. */
    conn_close_all(gw->ctx.conns, true);
    struct timeval grace = {0, 200 * 1000};
    event_base_loopexit(gw->base, &grace);
}

/* Why OpenSSL's last call failed: its reason, or errno's when it gives none
 * (a missing file is a system error, without an OpenSSL reason). */
static const char *openssl_reason(void)
{
    int saved = errno;
    const char *why = ERR_reason_error_string(ERR_get_error());
    return why ? why : strerror(saved);
}

/* The TLS context of TLS_PORT: certificate chain and key from PEM files.
 * Returns NULL after logging which file failed. */
static SSL_CTX *tls_context(const struct cp_conf *conf)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, conf->tls_cert_file) != 1) {
        log_error("TLS_CERT_FILE %s: %s", conf->tls_cert_file, openssl_reason());
    } else if (SSL_CTX_use_PrivateKey_file(ctx, conf->tls_key_file, SSL_FILETYPE_PEM) != 1 ||
               SSL_CTX_check_private_key(ctx) != 1) {
        log_error("TLS_KEY_FILE %s: %s", conf->tls_key_file, openssl_reason());
    } else {
        return ctx;
    }
    SSL_CTX_free(ctx);
    return NULL;
}

/* Options every accepted socket inherits from fd, its listener (Linux
 * copies them at accept(2)): set once here, not in two setsockopt(2) per
 * connection.  A connection handed over by another worker was accepted on
 * that worker's listener, tuned the same way. */
static void tune_listener(struct gateway *gw, evutil_socket_t fd)
{
    /* Each tick is one small write: without TCP_NODELAY, Nagle holds it
     * back while the client delays its ACK of the previous one (up to
     * 40 ms on Linux), as nginx's tcp_nodelay does for WebSocket. */
    int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
        log_warn("TCP_NODELAY on the listener: %s", strerror(errno));
    /* The kernel too holds at most OUTPUT_HIGH_WATER_BYTES unsent for a
     * client (past that, send(2) says EAGAIN): otherwise a client that
     * stopped reading parks megabytes of stale ticks in a send buffer that
     * grows, while our queue, which conflates and drops stuck clients, stays
     * empty and never sees it stall. */
    int lowat = gw->conf->output_high_water_bytes;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat) != 0)
        log_warn("TCP_NOTSENT_LOWAT on the listener: %s", strerror(errno));
}

/* Listen on HOST:port (its first address) into ls, accepting at
 * CONN_PRIORITY_HEAD.  False after logging why (the port is taken ...). */
static bool listen_on(struct gateway *gw, struct listening *ls, int port, bool tls)
{
    ls->gw = gw;
    ls->tls = tls;
    ls->fd = -1;
    char portstr[8];
    struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC,
                                    .ai_socktype = SOCK_STREAM,
                                    .ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV};
    struct evutil_addrinfo *ai = NULL;
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = evutil_getaddrinfo(gw->conf->host, portstr, &hints, &ai);
    if (rc != 0) {
        log_error("HOST %s: %s", gw->conf->host, evutil_gai_strerror(rc));
        return false;
    }
    evutil_socket_t fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && evutil_make_listen_socket_reuseable(fd) == 0 &&
              (!gw->clustered || evutil_make_listen_socket_reuseable_port(fd) == 0) &&
              bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, GATEWAY_LISTEN_BACKLOG) == 0;
    int err = errno;
    evutil_freeaddrinfo(ai);
    if (!ok) {
        log_error("cannot listen on %s:%d: %s", gw->conf->host, port, strerror(err));
        if (fd >= 0)
            evutil_closesocket(fd);
        return false;
    }
    tune_listener(gw, fd);
    ls->fd = fd;
    ls->ev = event_new(gw->base, fd, EV_READ | EV_PERSIST, on_listening, ls);
    ls->pause = evtimer_new(gw->base, on_pause_end, ls);
    if (!ls->ev || !ls->pause) {
        log_error("cannot listen on %s:%d: out of memory", gw->conf->host, port);
        listening_close(ls);
        return false;
    }
    event_priority_set(ls->ev, CONN_PRIORITY_HEAD);
    event_add(ls->ev, NULL);
    return true;
}

struct event_base *gateway_base_new(void)
{
    struct event_config *cfg = event_config_new();
    if (!cfg)
        return NULL;
    event_config_set_max_dispatch_interval(cfg, NULL, GATEWAY_CALLBACKS_PER_POLL, 0);
    struct event_base *base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (base && event_base_priority_init(base, CONN_PRIORITIES) != 0) {
        event_base_free(base);
        base = NULL;
    }
    return base;
}

struct gateway *gateway_new(struct event_base *base, const struct cp_conf *conf, int worker,
                            bool clustered)
{
    struct gateway *gw = xcalloc(1, sizeof *gw);
    gw->conf = gw->ctx.conf = conf;
    gw->base = gw->ctx.base = base;
    gw->ctx.worker = worker;
    gw->clustered = clustered;
    name_instance(gw);
    gw->ctx.started_ms = price_now_ms();
    gw->secure.fd = -1;
    gw->round = event_new(base, -1, 0, on_round, gw);
    bool ok = gw->round && listen_on(gw, &gw->plain, conf->port, false);
    if (ok && conf->tls_port) {
        gw->tls = tls_context(conf);
        ok = gw->tls && listen_on(gw, &gw->secure, conf->tls_port, true);
    }
    if (!ok) {
        close_listeners(gw);
        if (gw->round)
            event_free(gw->round);
        SSL_CTX_free(gw->tls);
        free(gw);
        return NULL;
    }
    struct hub_limits limits = {(size_t)conf->output_high_water_bytes,
                                (size_t)conf->max_output_bytes, conf->slow_client_timeout_ms,
                                (size_t)conf->max_tick_bytes};
    gw->deflate = deflate_ctx_new();
    gw->ctx.inflated = xmalloc((size_t)conf->max_message_bytes);
    gw->ctx.hub = hub_new(&limits, gw->deflate);
    gw->ctx.www = www_new(conf->www_root);
    gw->ctx.conns = conn_registry_new(base, (size_t)conf->max_connections,
                                      (unsigned)conf->max_connections_per_ip);
    if (conf->socketio_enabled)
        gw->ctx.socketio = socketio_new(&gw->ctx);
    if (conf->socketio_enabled && clustered)
        gw->ctx.handoff = handoff_new(base, conf->host, conf->port, worker, on_handoff, gw);
    gw->keepalive = event_new(base, -1, EV_PERSIST, on_keepalive, gw);
    struct timeval tv = strlist_timeval_ms(conf->sse_keepalive_ms);
    event_add(gw->keepalive, &tv);
    gw->refresh = event_new(base, -1, EV_PERSIST, on_refresh, gw);
    struct timeval every = {GATEWAY_SYMBOLS_REFRESH_S, 0};
    event_add(gw->refresh, &every);
    gw->stats_timer = event_new(base, -1, EV_PERSIST, on_stats, gw);
    struct timeval stats_every = strlist_timeval_ms(conf->stats_interval_ms);
    event_add(gw->stats_timer, &stats_every);
    gw->sig_term = evsignal_new(base, SIGTERM, on_signal, gw);
    gw->sig_int = evsignal_new(base, SIGINT, on_signal, gw);
    /* A stop is seen however busy new clients keep the loop. */
    event_priority_set(gw->sig_term, CONN_PRIORITY_HEAD);
    event_priority_set(gw->sig_int, CONN_PRIORITY_HEAD);
    event_add(gw->sig_term, NULL);
    event_add(gw->sig_int, NULL);
    read_symbols_first(gw);
    gw->ctx.rdb = rdb_new(base, conf, &gateway_rdb_callbacks, gw);
    if (gw->secure.ev)
        log_info("listening for TLS on %s:%d", conf->host, conf->tls_port);
    log_info("listening on %s:%d%s%s", conf->host, conf->port,
             gw->ctx.www ? ", dashboard from " : "", gw->ctx.www ? conf->www_root : "");
    return gw;
}

void gateway_free(struct gateway *gw)
{
    if (!gw)
        return;
    conn_close_all(gw->ctx.conns, false);
    /* Freeing Redis answers its pending requests (hiredis calls them with no
     * reply), so connections still waiting for one can then be freed too. */
    rdb_free(gw->ctx.rdb);
    socketio_free(gw->ctx.socketio);
    conn_registry_free(gw->ctx.conns);
    handoff_free(gw->ctx.handoff);
    close_listeners(gw);
    SSL_CTX_free(gw->tls);
    event_free(gw->keepalive);
    event_free(gw->refresh);
    event_free(gw->stats_timer);
    event_free(gw->round);
    json_decref(gw->ctx.sources);
    free(gw->ctx.welcome.text);
    resume_cache_free(&gw->ctx);
    event_free(gw->sig_term);
    event_free(gw->sig_int);
    www_free(gw->ctx.www);
    hub_free(gw->ctx.hub);
    deflate_ctx_free(gw->deflate);
    free(gw->ctx.inflated);
    free(gw);
}
