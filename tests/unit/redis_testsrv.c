/* redis_testsrv: a throwaway redis-server for unit tests (redis_testsrv.h). */
#include "config.h"

#include "redis_testsrv.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t redis_testsrv_pid;
int redis_testsrv_port;

/* A TCP port nobody listens on now (the kernel's pick for port 0). */
int redis_testsrv_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

redisContext *redis_testsrv_client(void)
{
    struct timeval tv = {1, 0};
    return redisConnectWithTimeout("127.0.0.1", redis_testsrv_port, tv);
}

/* redis-server on 127.0.0.1:redis_testsrv_port, without persistence, up and
 * answering PING. */
void redis_testsrv_start(void)
{
    redis_testsrv_port = redis_testsrv_free_port();
    char port[16];
    snprintf(port, sizeof port, "%d", redis_testsrv_port);
    redis_testsrv_pid = fork();
    ck_assert_int_ge(redis_testsrv_pid, 0);
    if (redis_testsrv_pid == 0) {
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--loglevel", "warning", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        redisContext *c = redis_testsrv_client();
        redisReply *r = c && !c->err ? redisCommand(c, "PING") : NULL;
        bool up = r && r->type == REDIS_REPLY_STATUS;
        if (r)
            freeReplyObject(r);
        redisFree(c);
        if (up)
            return;
        usleep(20000);
    }
    ck_abort_msg("redis-server did not start on port %d", redis_testsrv_port);
}

void redis_testsrv_stop(void)
{
    if (redis_testsrv_pid > 0) {
        kill(redis_testsrv_pid, SIGTERM);
        waitpid(redis_testsrv_pid, NULL, 0);
        redis_testsrv_pid = 0;
    }
}
