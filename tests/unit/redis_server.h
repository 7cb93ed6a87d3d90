/* redis_server: a throwaway redis-server for the unit tests of modules that
 * talk to Redis — started on a free loopback port with its files in a temp
 * dir, stopped by pid.  Test-process only; the caller owns the struct. */
#ifndef CP_TEST_REDIS_SERVER_H
#define CP_TEST_REDIS_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

struct redis_server {
    pid_t pid; /* 0 while stopped */
    int port;
    char dir[64]; /* its temp dir */
};

/* The test program's own server, for Check's unchecked fixtures (run once
 * per TCase in the parent process):
 *   tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
 * up fails the test when it cannot start; down stops it and removes its
 * directory. */
extern struct redis_server redis_fixture;
void redis_fixture_up(void);
void redis_fixture_down(void);

/* Start redis-server (no persistence) on a free 127.0.0.1 port and wait up
 * to 5 s until it answers PING.  It dies with the test process.  Returns
 * true when it answers. */
bool redis_server_start(struct redis_server *s);

/* Start a Sentinel (redis-server --sentinel) on a free 127.0.0.1 port that
 * monitors the master named master at 127.0.0.1:master_port.  Returns true
 * when it answers; stop it with redis_server_free(). */
bool redis_server_start_sentinel(struct redis_server *s, const char *master, int master_port);

/* Stop it again (SIGTERM to its pid, then wait); the port is kept, so
 * redis_server_restart() brings it back at the same address. */
void redis_server_stop(struct redis_server *s);

/* Start again on the same port (after redis_server_stop).  Returns true
 * when it answers. */
bool redis_server_restart(struct redis_server *s);

/* Stop it and remove its temp dir. */
void redis_server_free(struct redis_server *s);

/* Run one command (printf-like, hiredis' format) on a new connection and
 * return its reply as text ("" for nil, the integer in decimal, "ERR..."
 * for an error) in out (len bytes).  Returns false when Redis is not
 * reachable. */
bool redis_server_cmd(const struct redis_server *s, char *out, size_t len, const char *fmt, ...);

/* Run a redis-cli command line against it (e.g. "XADD s * a 1"; split by
 * the shell), output discarded.  Returns redis-cli's exit status. */
int redis_server_cli(const struct redis_server *s, const char *args);

/* A new hiredis connection to it (1 s timeout), or NULL; the caller frees
 * it with redisFree(). */
struct redisContext *redis_server_connect(const struct redis_server *s);

/* A loopback TCP port nobody listens on right now, or -1. */
int redis_server_free_port(void);

/* A loopback socket that listens (backlog connections, which the kernel
 * completes) and never accepts or answers: a server that is not Redis, or a
 * full accept queue with backlog 0 and one connection in it.  Returns its fd
 * (the caller closes it) with its port in *port, or -1. */
int redis_server_silent(int backlog, int *port);

#endif
