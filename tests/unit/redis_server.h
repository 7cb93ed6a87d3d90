/* redis_server: a real redis-server for unit tests that talk to Redis —
 * started on a free loopback port with no persistence, in a temporary
 * directory, and stopped (by its pid) when the test is done.  Test code
 * only; aborts the test (ck_abort) when redis-server cannot start. */
#ifndef CP_TEST_REDIS_SERVER_H
#define CP_TEST_REDIS_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

struct redis_server {
    pid_t pid;    /* 0 when not running */
    int port;     /* on 127.0.0.1 */
    char dir[64]; /* its temporary working directory */
};

/* Start one and wait (up to 5 s) until it answers PING. */
void redis_server_start(struct redis_server *rs);

/* Stop it (SIGTERM, then SIGKILL after 2 s) and remove its directory.
 * A server that is not running is left alone. */
void redis_server_stop(struct redis_server *rs);

/* Run a redis-cli command line against it (e.g. "XADD s * a 1"), output
 * discarded.  Returns the exit status. */
int redis_server_cli(const struct redis_server *rs, const char *args);

/* A loopback TCP port nobody listens on right now. */
int redis_server_free_port(void);

#endif
