/* redis_server: a throwaway redis-server for unit tests. */
#include "config.h"

#include "redis_server.h"

#include <check.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int redis_server_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

int redis_server_silent(int backlog, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, backlog) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

static bool answers(const struct redis_server *s)
{
    char out[16];
    return redis_server_cmd(s, out, sizeof out, "PING") && strcmp(out, "PONG") == 0;
}

/* Run redis-server with a config file (Sentinel) or on s->port. */
static bool spawn(struct redis_server *s)
{
    char port[16], conf[96];
    snprintf(port, sizeof port, "%d", s->port);
    snprintf(conf, sizeof conf, "%s/sentinel.conf", s->dir);
    bool sentinel = access(conf, F_OK) == 0;
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test must not leave it running */
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        if (sentinel)
            execlp("redis-server", "redis-server", conf, "--sentinel", (char *)NULL);
        else
            execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save",
                   "", "--appendonly", "no", "--dir", s->dir, (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    for (int i = 0; i < 500; i++) {
        if (answers(s))
            return true;
        struct timespec ten_ms = {0, 10 * 1000 * 1000};
        nanosleep(&ten_ms, NULL);
    }
    return false;
}

bool redis_server_start(struct redis_server *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/cp-redis-XXXXXX");
    if (!mkdtemp(s->dir))
        return false;
    s->port = redis_server_free_port();
    return s->port > 0 && spawn(s);
}

bool redis_server_start_sentinel(struct redis_server *s, const char *master, int master_port)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/cp-sentinel-XXXXXX");
    if (!mkdtemp(s->dir))
        return false;
    s->port = redis_server_free_port();
    char path[96];
    snprintf(path, sizeof path, "%s/sentinel.conf", s->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f, "port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %d 1\n", s->port,
            s->dir, master, master_port);
    fclose(f);
    return s->port > 0 && spawn(s);
}

void redis_server_stop(struct redis_server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

bool redis_server_restart(struct redis_server *s)
{
    redis_server_stop(s);
    return spawn(s);
}

void redis_server_free(struct redis_server *s)
{
    redis_server_stop(s);
    if (s->dir[0]) {
        char path[128];
        snprintf(path, sizeof path, "%s/dump.rdb", s->dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/sentinel.conf", s->dir);
        unlink(path);
        rmdir(s->dir);
    }
}

bool redis_server_cmd(const struct redis_server *s, char *out, size_t len, const char *fmt, ...)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
    if (!c || c->err) {
        if (c)
            redisFree(c);
        return false;
    }
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    bool ok = r != NULL;
    if (r && r->type == REDIS_REPLY_INTEGER)
        snprintf(out, len, "%lld", r->integer);
    else if (r && r->str)
        snprintf(out, len, "%s", r->str);
    else if (out && len)
        out[0] = '\0';
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return ok;
}

int redis_server_cli(const struct redis_server *s, const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "redis-cli -h 127.0.0.1 -p %d %s >/dev/null 2>&1", s->port, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct redisContext *redis_server_connect(const struct redis_server *s)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
    if (c && c->err) {
        redisFree(c);
        return NULL;
    }
    return c;
}

struct redis_server redis_fixture;

void redis_fixture_up(void)
{
    ck_assert_msg(redis_server_start(&redis_fixture), "redis-server did not start");
}

void redis_fixture_down(void)
{
    redis_server_free(&redis_fixture);
}
