/* gw_fixture: a gateway context (ctx.h) for unit tests of the connection
 * layer — default configuration, a real hub, registry and event loop, a
 * Redis link when asked for (to a redis_server.h server), and clients that
 * are real loopback TCP sockets whose server side is a served connection
 * (serve.h).  Test code only; one fixture per test, freed by gw_fixture_free. */
#ifndef CP_TEST_GW_FIXTURE_H
#define CP_TEST_GW_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "conn.h"
#include "ctx.h"
#include "redis_server.h"

struct gw_fixture {
    struct cp_conf conf; /* defaults; change before gw_fixture_start */
    struct ctx ctx;
    struct deflate_ctx *deflate;
    int listen_fd;    /* 127.0.0.1, where clients connect */
    char www_dir[64]; /* gw_fixture_www's temporary WWW_ROOT, or "" */
};

/* Defaults for fx->conf (conf_defaults; the hub accepts any valid symbol
 * until gw_fixture_symbols()). */
void gw_fixture_init(struct gw_fixture *fx);

/* Build the ctx from fx->conf (with the Socket.IO endpoint, ctx.socketio,
 * when conf.socketio_enabled); with rs, link to that Redis and wait (up to
 * 3 s) until subscribed. */
void gw_fixture_start(struct gw_fixture *fx, const struct redis_server *rs);

/* After gw_fixture_start(fx, NULL): link to rs, as a gateway does at start,
 * without running the loop: the connection is still being set up. */
void gw_fixture_redis_connecting(struct gw_fixture *fx, const struct redis_server *rs);

/* Stop rs (the Redis fx is linked to) and run the loop until the link has
 * noticed (up to 3 s), so that the next request finds Redis away. */
void gw_fixture_redis_gone(struct gw_fixture *fx, struct redis_server *rs);

/* The feed's symbols, as the feeder's comma list. */
void gw_fixture_symbols(struct gw_fixture *fx, const char *list);

/* Publish a tick (JSON text) into the hub as if it came from Redis. */
void gw_fixture_tick(struct gw_fixture *fx, const char *json);

/* Serve static files from a temporary WWW_ROOT holding n files, each
 * {name, contents}; gw_fixture_free removes it.  Call after start. */
void gw_fixture_www(struct gw_fixture *fx, const char *const files[][2], size_t n);

/* A connected client: returns its socket (blocking, 5 s timeouts); *server
 * gets the served connection on the other end. */
int gw_fixture_client(struct gw_fixture *fx, struct conn **server);

/* Run the loop for ms milliseconds. */
void gw_fixture_run(struct gw_fixture *fx, int ms);

/* Send text on fd, then run the loop until fd has input and no more comes
 * for 50 ms, or ms passed.  Returns what fd read (NUL-terminated, caller
 * frees; *len gets the byte count when not NULL). */
char *gw_fixture_ask(struct gw_fixture *fx, int fd, const char *text, int ms, size_t *len);

/* Read what fd has after running the loop for ms (as gw_fixture_ask). */
char *gw_fixture_read(struct gw_fixture *fx, int fd, int ms, size_t *len);

/* Free everything (connections included) but not Redis. */
void gw_fixture_free(struct gw_fixture *fx);

#endif
