/* gw_fixture: a gateway context for unit tests of the connection layer. */
#include "config.h"

#include "gw_fixture.h"
#include "strlist.h"

#include "deflate.h"
#include "gateway.h"
#include "resume.h"
#include "serve.h"
#include "socketio.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void gw_fixture_init(struct gw_fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    conf_defaults(&fx->conf);
    fx->listen_fd = -1;
}

static void on_tick(const char *json, size_t len, void *arg)
{
    struct gw_fixture *fx = arg;
    char err[256];
    hub_publish_tick(fx->ctx.hub, json, len, err, sizeof err);
}

static void on_symbols(const char *list, void *arg)
{
    struct gw_fixture *fx = arg;
    hub_set_symbols(fx->ctx.hub, list);
}

static const struct rdb_callbacks fixture_rdb = {.on_tick = on_tick, .on_symbols = on_symbols};

void gw_fixture_start(struct gw_fixture *fx, const struct redis_server *rs)
{
    struct ctx *ctx = &fx->ctx;
    const struct cp_conf *conf = &fx->conf;
    struct hub_limits limits = {(size_t)conf->output_high_water_bytes,
                                (size_t)conf->max_output_bytes, conf->slow_client_timeout_ms,
                                (size_t)conf->max_tick_bytes};
    ctx->conf = conf;
    ctx->base = gateway_base_new();
    fx->deflate = deflate_ctx_new();
    ctx->hub = hub_new(&limits, fx->deflate);
    ctx->conns = conn_registry_new(ctx->base, (size_t)conf->max_connections,
                                   (unsigned)conf->max_connections_per_ip);
    ctx->inflated = xmalloc((size_t)conf->max_message_bytes);
    snprintf(ctx->instance, sizeof ctx->instance, "unit:1");
    ctx->started_ms = 1;
    if (conf->socketio_enabled)
        ctx->socketio = socketio_new(ctx);
    fx->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fx->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(fx->listen_fd, 64), 0);
    if (rs) {
        gw_fixture_redis_connecting(fx, rs);
        for (int i = 0; i < 60 && !rdb_subscribed(ctx->rdb); i++)
            gw_fixture_run(fx, 50);
        ck_assert_msg(rdb_subscribed(ctx->rdb), "not subscribed to the test Redis");
    }
}

void gw_fixture_redis_connecting(struct gw_fixture *fx, const struct redis_server *rs)
{
    fx->conf.redis_port = rs->port;
    snprintf(fx->conf.redis_host, sizeof fx->conf.redis_host, "127.0.0.1");
    fx->ctx.rdb = rdb_new(fx->ctx.base, &fx->conf, &fixture_rdb, fx);
}

void gw_fixture_redis_gone(struct gw_fixture *fx, struct redis_server *rs)
{
    redis_server_stop(rs);
    for (int i = 0; i < 60 && rdb_subscribed(fx->ctx.rdb); i++)
        gw_fixture_run(fx, 50);
    ck_assert_msg(!rdb_subscribed(fx->ctx.rdb), "the Redis link did not notice the stop");
    gw_fixture_run(fx, 100);
}

void gw_fixture_symbols(struct gw_fixture *fx, const char *list)
{
    hub_set_symbols(fx->ctx.hub, list);
}

void gw_fixture_tick(struct gw_fixture *fx, const char *json)
{
    char err[256];
    ck_assert_msg(hub_publish_tick(fx->ctx.hub, json, strlen(json), err, sizeof err) == 0, "%s",
                  err);
}

void gw_fixture_www(struct gw_fixture *fx, const char *const files[][2], size_t n)
{
    snprintf(fx->www_dir, sizeof fx->www_dir, "/tmp/cp-unit-www.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fx->www_dir));
    for (size_t i = 0; i < n; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", fx->www_dir, files[i][0]);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(files[i][1], f);
        fclose(f);
    }
    snprintf(fx->conf.www_root, sizeof fx->conf.www_root, "%s", fx->www_dir);
    fx->ctx.www = www_new(fx->conf.www_root);
    ck_assert_ptr_nonnull(fx->ctx.www);
}

int gw_fixture_client(struct gw_fixture *fx, struct conn **server)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(fx->listen_fd, (struct sockaddr *)&a, &len), 0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int sfd = accept(fx->listen_fd, (struct sockaddr *)&peer, &plen);
    ck_assert_int_ge(sfd, 0);
    evutil_make_socket_nonblocking(sfd);
    struct peers_key key;
    ck_assert(conn_registry_admit(fx->ctx.conns, (struct sockaddr *)&peer, &key));
    struct conn *c = serve_accepted(&fx->ctx, sfd, &key, NULL);
    ck_assert_ptr_nonnull(c);
    if (server)
        *server = c;
    return fd;
}

void gw_fixture_run(struct gw_fixture *fx, int ms)
{
    struct timeval tv = strlist_timeval_ms(ms);
    event_base_loopexit(fx->ctx.base, &tv);
    event_base_dispatch(fx->ctx.base);
}

char *gw_fixture_read(struct gw_fixture *fx, int fd, int ms, size_t *len)
{
    size_t n = 0, cap = 4096;
    char *buf = xmalloc(cap);
    int quiet = 0;
    for (int waited = 0; waited < ms && quiet < 50; waited += 10) {
        gw_fixture_run(fx, 10);
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) {
            quiet += n ? 10 : 0;
            continue;
        }
        if (cap - n < 2048)
            buf = xrealloc(buf, cap *= 2);
        ssize_t r = recv(fd, buf + n, cap - n - 1, MSG_DONTWAIT);
        if (r <= 0)
            break; /* closed */
        n += (size_t)r;
        quiet = 0;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *gw_fixture_ask(struct gw_fixture *fx, int fd, const char *text, int ms, size_t *len)
{
    size_t n = strlen(text);
    ck_assert_int_eq(send(fd, text, n, 0), (ssize_t)n);
    return gw_fixture_read(fx, fd, ms, len);
}

void gw_fixture_free(struct gw_fixture *fx)
{
    struct ctx *ctx = &fx->ctx;
    if (!ctx->base)
        return;
    conn_close_all(ctx->conns, false);
    rdb_free(ctx->rdb);
    socketio_free(ctx->socketio); /* gateway.c's order: after Redis, before the registry */
    conn_registry_free(ctx->conns);
    hub_free(ctx->hub);
    deflate_ctx_free(fx->deflate);
    free(ctx->inflated);
    json_decref(ctx->sources);
    free(ctx->welcome.text);
    resume_cache_free(ctx);
    www_free(ctx->www);
    event_base_free(ctx->base);
    close(fx->listen_fd);
    memset(ctx, 0, sizeof *ctx);
    if (fx->www_dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->www_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", fx->www_dir);
        fx->www_dir[0] = '\0';
    }
}
