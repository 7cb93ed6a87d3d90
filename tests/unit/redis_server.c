/* redis_server: a real redis-server for unit tests. */
#include "config.h"

#include "redis_server.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int redis_server_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int redis_server_cli(const struct redis_server *rs, const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "redis-cli -h 127.0.0.1 -p %d %s >/dev/null 2>&1", rs->port, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void redis_server_start(struct redis_server *rs)
{
    snprintf(rs->dir, sizeof rs->dir, "/tmp/cp-unit-redis.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(rs->dir));
    rs->port = redis_server_free_port();
    char port[16];
    snprintf(port, sizeof port, "%d", rs->port);
    rs->pid = fork();
    ck_assert_int_ge(rs->pid, 0);
    if (rs->pid == 0) {
        if (chdir(rs->dir) != 0)
            _exit(127);
        freopen("/dev/null", "w", stdout);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", rs->dir, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) {
        if (redis_server_cli(rs, "PING") == 0)
            return;
        sleep_ms(50);
    }
    redis_server_stop(rs);
    ck_abort_msg("redis-server did not start (is it installed?)");
}

void redis_server_stop(struct redis_server *rs)
{
    if (rs->pid <= 0)
        return;
    kill(rs->pid, SIGTERM);
    for (int i = 0; i < 40; i++) {
        if (waitpid(rs->pid, NULL, WNOHANG) == rs->pid) {
            rs->pid = 0;
            break;
        }
        sleep_ms(50);
    }
    if (rs->pid > 0) {
        kill(rs->pid, SIGKILL);
        waitpid(rs->pid, NULL, 0);
        rs->pid = 0;
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", rs->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", rs->dir);
}
