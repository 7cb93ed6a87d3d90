/* redis_testsrv: a real redis-server for the unit tests of modules that
 * talk to Redis, started on a free loopback port without persistence and
 * stopped by its pid.  One per test program (a Check unchecked fixture);
 * tests clean the keyspace themselves (FLUSHALL). */
#ifndef CP_REDIS_TESTSRV_H
#define CP_REDIS_TESTSRV_H

#include <hiredis/hiredis.h>
#include <sys/types.h>

extern pid_t redis_testsrv_pid; /* 0 when not running */
extern int redis_testsrv_port;  /* its port on 127.0.0.1 */

/* Start redis-server and wait (up to 4 s) until it answers PING; fails the
 * test otherwise. */
void redis_testsrv_start(void);
/* SIGTERM to the server, and wait for it. */
void redis_testsrv_stop(void);
/* A TCP port nobody listens on now (the kernel's pick for port 0). */
int redis_testsrv_free_port(void);
/* A new connection to the server (1 s timeout); the caller frees it with
 * redisFree(). */
redisContext *redis_testsrv_client(void);

#endif
