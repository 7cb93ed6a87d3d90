/* Unit tests of gateway/rdb_sentinel.c: asking Sentinels where the master
 * is, without blocking the loop, against a real redis-server and a real
 * Sentinel started here; one that is down or never answers is skipped. */
#include "config.h"

#include "check_main.h"
#include "conf.h"
#include "rdb_sentinel.h"
#include "redis_server.h"
#include "strlist.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct cp_conf conf;
static struct event_base *base;
static struct rdb_sentinel sentinel;
static struct {
    int masters, nones, port;
    char host[64];
} got;

static void on_master(void *arg, const char *host, int port)
{
    got.masters++;
    snprintf(got.host, sizeof got.host, "%s", host);
    got.port = port;
}

static void on_none(void *arg)
{
    got.nones++;
}

static void setup(void)
{
    memset(&got, 0, sizeof got);
    conf_defaults(&conf);
    conf.redis_timeout_ms = 300;
    snprintf(conf.redis_master_name, sizeof conf.redis_master_name, "cpmaster");
    base = event_base_new();
    rdb_sentinel_init(&sentinel, base, &conf, "test", on_master, on_none, NULL);
}

static void teardown(void)
{
    rdb_sentinel_free(&sentinel);
    event_base_free(base);
}

/* Turn the loop until an answer came or ms passed. */
static void run_until_answer(int ms)
{
    for (int waited = 0; got.masters + got.nones == 0 && waited < ms; waited += 10) {
        struct timeval tv = strlist_timeval_ms(10);
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
}

/* A listening socket that accepts (in the kernel's backlog) and never
 * answers: a hung Sentinel.  Returns its port; *fd to close. */
static int silent_port(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(*fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(*fd, 8), 0);
    ck_assert_int_eq(getsockname(*fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

START_TEST(a_sentinel_names_the_master)
{
    struct redis_server s;
    ck_assert(redis_server_start_sentinel(&s, "cpmaster", redis_fixture.port));
    snprintf(conf.redis_sentinels, sizeof conf.redis_sentinels, "127.0.0.1:%d", s.port);
    rdb_sentinel_ask(&sentinel);
    ck_assert_int_eq(got.masters + got.nones, 0); /* asked, not answered: no blocking */
    run_until_answer(3000);
    redis_server_free(&s);
    ck_assert_int_eq(got.masters, 1);
    ck_assert_int_eq(got.nones, 0);
    ck_assert_str_eq(got.host, "127.0.0.1");
    ck_assert_int_eq(got.port, redis_fixture.port);
}
END_TEST

START_TEST(down_and_silent_sentinels_are_skipped_in_order)
{
    struct redis_server s;
    int quiet;
    ck_assert(redis_server_start_sentinel(&s, "cpmaster", redis_fixture.port));
    int silent = silent_port(&quiet);
    /* refused, then silent past REDIS_TIMEOUT_MS, then the one that knows */
    snprintf(conf.redis_sentinels, sizeof conf.redis_sentinels,
             "127.0.0.1:%d, 127.0.0.1:%d,127.0.0.1:%d", redis_server_free_port(), silent, s.port);
    rdb_sentinel_ask(&sentinel);
    run_until_answer(5000);
    redis_server_free(&s);
    close(quiet);
    ck_assert_int_eq(got.masters, 1);
    ck_assert_int_eq(got.port, redis_fixture.port);
}
END_TEST

START_TEST(no_sentinel_that_knows_the_master_is_none)
{
    struct redis_server s;
    ck_assert(redis_server_start_sentinel(&s, "othermaster", redis_fixture.port));
    snprintf(conf.redis_sentinels, sizeof conf.redis_sentinels, "127.0.0.1:%d,127.0.0.1:%d", s.port,
             redis_server_free_port());
    rdb_sentinel_ask(&sentinel);
    run_until_answer(3000);
    redis_server_free(&s);
    ck_assert_int_eq(got.masters, 0);
    ck_assert_int_eq(got.nones, 1);
}
END_TEST

START_TEST(free_with_a_question_out_is_safe)
{
    int quiet;
    int silent = silent_port(&quiet);
    snprintf(conf.redis_sentinels, sizeof conf.redis_sentinels, "127.0.0.1:%d", silent);
    rdb_sentinel_ask(&sentinel);
    struct timeval tv = strlist_timeval_ms(20);
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
    rdb_sentinel_free(&sentinel); /* teardown frees it again: must be a no-op */
    close(quiet);
    ck_assert_int_eq(got.masters + got.nones, 0);
}
END_TEST

static Suite *rdb_sentinel_suite(void)
{
    Suite *s = suite_create("rdb_sentinel");
    TCase *t = tcase_create("sentinels");
    tcase_set_timeout(t, 30);
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, a_sentinel_names_the_master);
    tcase_add_test(t, down_and_silent_sentinels_are_skipped_in_order);
    tcase_add_test(t, no_sentinel_that_knows_the_master_is_none);
    tcase_add_test(t, free_with_a_question_out_is_safe);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(rdb_sentinel_suite)
