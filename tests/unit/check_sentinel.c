/* Unit tests of lib/sentinel.c against a real redis-server and a real
 * redis-sentinel monitoring it, both started here on free loopback ports
 * (files in a temporary directory) and stopped by pid. */
#include "config.h"

#include "check_main.h"
#include "conf.h"
#include "cp_error.h"
#include "sentinel.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/check_sentinel_XXXXXX";
static pid_t master_pid, sentinel_pid;
static int master_port, sentinel_port, dead_port;

/* A loopback port nothing listens on now. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static bool answers(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static pid_t start(char *const argv[], int port)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        execvp(argv[0], argv);
        _exit(127);
    }
    for (int i = 0; i < 200 && !answers(port); i++)
        usleep(50000);
    ck_assert_msg(answers(port), "%s did not start on %d", argv[0], port);
    return pid;
}

static void stop(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

static void servers_start(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    master_port = free_port();
    char mport[16], conf_path[sizeof dir + 16];
    snprintf(mport, sizeof mport, "%d", master_port);
    char *const master[] = {"redis-server", "--port", mport,   "--bind", "127.0.0.1", "--save", "",
                            "--appendonly", "no",     "--dir", dir,      NULL};
    master_pid = start(master, master_port);
    sentinel_port = free_port();
    snprintf(conf_path, sizeof conf_path, "%s/sentinel.conf", dir);
    FILE *f = fopen(conf_path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor cryptopulse 127.0.0.1 %d 1\n"
            "sentinel down-after-milliseconds cryptopulse 60000\n",
            sentinel_port, dir, master_port);
    fclose(f);
    char *const sentinel[] = {"redis-sentinel", conf_path, NULL};
    sentinel_pid = start(sentinel, sentinel_port);
    dead_port = free_port();
}

static void servers_stop(void)
{
    stop(sentinel_pid);
    stop(master_pid);
    char cmd[sizeof dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static struct cp_conf conf;
static char host[64];
static int port;

static int lookup(const char *sentinels, const char *master)
{
    conf_defaults(&conf);
    conf.redis_timeout_ms = 500;
    snprintf(conf.redis_sentinels, sizeof conf.redis_sentinels, "%s", sentinels);
    snprintf(conf.redis_master_name, sizeof conf.redis_master_name, "%s", master);
    strcpy(host, "untouched");
    port = -1;
    return sentinel_redis_addr(&conf, host, sizeof host, &port);
}

START_TEST(without_sentinels_the_address_is_redis_host_and_port)
{
    conf_defaults(&conf);
    snprintf(conf.redis_host, sizeof conf.redis_host, "redis.example");
    conf.redis_port = 6380;
    ck_assert_int_eq(sentinel_redis_addr(&conf, host, sizeof host, &port), CP_OK);
    ck_assert_str_eq(host, "redis.example");
    ck_assert_int_eq(port, 6380);
}
END_TEST

START_TEST(the_sentinel_names_the_master)
{
    char list[64];
    snprintf(list, sizeof list, "127.0.0.1:%d", sentinel_port);
    ck_assert_int_eq(lookup(list, "cryptopulse"), CP_OK);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_int_eq(port, master_port);
}
END_TEST

START_TEST(a_sentinel_that_does_not_answer_is_passed_over)
{
    char list[96];
    snprintf(list, sizeof list, "127.0.0.1:%d,localhost:%d", dead_port, sentinel_port);
    ck_assert_int_eq(lookup(list, "cryptopulse"), CP_OK);
    ck_assert_int_eq(port, master_port);
    /* Blanks around an entry are not part of its host. */
    snprintf(list, sizeof list, "127.0.0.1:%d, 127.0.0.1:%d", dead_port, sentinel_port);
    ck_assert_int_eq(lookup(list, "cryptopulse"), CP_OK);
    ck_assert_int_eq(port, master_port);
}
END_TEST

START_TEST(no_answer_is_an_error_and_leaves_the_address)
{
    char list[96];
    snprintf(list, sizeof list, "127.0.0.1:%d", sentinel_port);
    ck_assert_int_eq(lookup(list, "unknown-master"), CP_EIO);
    ck_assert_str_eq(host, "untouched");
    ck_assert_int_eq(port, -1);
    snprintf(list, sizeof list, "127.0.0.1:%d", dead_port);
    ck_assert_int_eq(lookup(list, "cryptopulse"), CP_EIO);
    ck_assert_str_eq(host, "untouched");
}
END_TEST

START_TEST(an_unreachable_sentinel_costs_at_most_the_timeout)
{
    /* 10.255.255.1 is not routed here: the connect can only time out. */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ck_assert_int_eq(lookup("10.255.255.1:26379", "cryptopulse"), CP_EIO);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1000 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    ck_assert_msg(ms < 1500, "took %.0f ms with a 500 ms timeout", ms);
}
END_TEST

static Suite *sentinel_suite(void)
{
    Suite *s = suite_create("sentinel");
    TCase *tc = tcase_create("no_sentinel");
    tcase_add_test(tc, without_sentinels_the_address_is_redis_host_and_port);
    tcase_add_test(tc, an_unreachable_sentinel_costs_at_most_the_timeout);
    suite_add_tcase(s, tc);
    tc = tcase_create("real_sentinel");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, servers_start, servers_stop);
    tcase_add_test(tc, the_sentinel_names_the_master);
    tcase_add_test(tc, a_sentinel_that_does_not_answer_is_passed_over);
    tcase_add_test(tc, no_answer_is_an_error_and_leaves_the_address);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(sentinel_suite)
