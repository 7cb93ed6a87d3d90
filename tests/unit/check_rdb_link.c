/* Unit tests of gateway/rdb_link.c: one Redis connection that keeps itself
 * up — connect, hooks, reconnect with backoff after Redis goes and comes
 * back, a connect timeout for a server that never accepts, a set-up timeout
 * for one that never answers, a password Redis wants — on a libevent
 * loop against a real redis-server started here. */
#include "config.h"

#include "check_main.h"
#include "conf.h"
#include "rdb_link.h"
#include "redis_server.h"
#include "strlist.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct redis_server srv;
static struct cp_conf conf;
static struct event_base *base;
static struct rdb_link rlink;
static int ups, losts;

static void on_connected(struct rdb_link *l)
{
    ck_assert_ptr_eq(l->owner, &ups);
    ups++;
}

static void on_lost(struct rdb_link *l)
{
    losts++;
}

static void setup(void)
{
    ups = losts = 0;
    ck_assert(redis_server_start(&srv));
    conf_defaults(&conf);
    snprintf(conf.redis_host, sizeof conf.redis_host, "127.0.0.1");
    conf.redis_port = srv.port;
    conf.update_interval_ms = 200; /* backoff capped at 100 ms */
    conf.redis_timeout_ms = 300;
    base = event_base_new();
}

static void teardown(void)
{
    rdb_link_free(&rlink);
    event_base_free(base);
    redis_server_free(&srv);
}

static void start(void)
{
    rdb_link_init(&rlink, base, &conf, "test", on_connected, on_lost, &ups);
}

/* Turn the loop until *counter reaches want or ms pass. */
static void run_until(const int *counter, int want, int ms)
{
    for (int waited = 0; *counter < want && waited < ms; waited += 10) {
        struct timeval tv = strlist_timeval_ms(10);
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
}

/* Turn the loop until the link's outage counts want failed attempts or ms
 * pass; returns the count. */
static int run_until_attempts(int want, int ms)
{
    for (int waited = 0; (int)rlink.outage->attempts < want && waited < ms; waited += 10) {
        struct timeval tv = strlist_timeval_ms(10);
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    return (int)rlink.outage->attempts;
}

START_TEST(connects_and_says_so_once)
{
    start();
    ck_assert_int_eq(ups, 0); /* never during init */
    run_until(&ups, 1, 3000);
    ck_assert_int_eq(ups, 1);
    ck_assert(rlink.connected);
    ck_assert_ptr_nonnull(rlink.ac);
    run_until(&ups, 2, 300);
    ck_assert_int_eq(ups, 1);
    ck_assert_int_eq(losts, 0);
}
END_TEST

START_TEST(comes_back_when_redis_does)
{
    start();
    run_until(&ups, 1, 3000);
    redis_server_stop(&srv);
    run_until(&losts, 1, 3000);
    ck_assert_int_eq(losts, 1);
    ck_assert(!rlink.connected);
    ck_assert_ptr_null(rlink.ac);
    run_until(&losts, 3, 1000); /* retries keep failing while it is down */
    ck_assert_int_ge(losts, 3);
    ck_assert(redis_server_restart(&srv));
    run_until(&ups, 2, 3000);
    ck_assert_int_eq(ups, 2);
    ck_assert(rlink.connected);
    ck_assert_int_le(rlink.backoff_ms, 200); /* reset by the connection */
}
END_TEST

START_TEST(redis_down_at_start_is_retried_until_it_comes)
{
    redis_server_stop(&srv);
    start();
    run_until(&losts, 2, 3000);
    ck_assert_int_ge(losts, 2);
    ck_assert_int_eq(ups, 0);
    ck_assert(redis_server_restart(&srv));
    run_until(&ups, 1, 3000);
    ck_assert_int_eq(ups, 1);
}
END_TEST

/* A connect that never completes (the server's accept queue is full, so
 * its SYNs go unanswered) is given up after REDIS_TIMEOUT_MS and retried,
 * each attempt counted as failed. */
START_TEST(a_connect_that_never_completes_times_out)
{
    int full = redis_server_silent(0, &conf.redis_port);
    ck_assert_int_ge(full, 0);
    int filler = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)conf.redis_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(filler, (struct sockaddr *)&a, sizeof a), 0); /* fills it */
    start();
    ck_assert_int_ge(run_until_attempts(2, 2000), 2); /* timed out, retried, timed out again */
    ck_assert(rlink.outage->down);
    ck_assert_int_eq(ups, 0);
    ck_assert(!rlink.connected);
    close(filler);
    close(full);
}
END_TEST

/* A server that accepts (the kernel completes the handshake) and never
 * answers: the link's set-up reply does not come, so the connection is
 * dropped after REDIS_TIMEOUT_MS and retried, and Redis is never said to be
 * reachable. */
START_TEST(a_server_that_never_answers_is_dropped_and_retried)
{
    int silent = redis_server_silent(16, &conf.redis_port);
    ck_assert_int_ge(silent, 0);
    start();
    ck_assert_int_ge(run_until_attempts(2, 3000), 2);
    ck_assert_int_ge(ups, 1); /* the TCP connection did come up */
    ck_assert_int_ge(losts, 1);
    ck_assert(rlink.outage->down);
    ck_assert(!rlink.outage->ever_up);
    close(silent);
}
END_TEST

/* Redis wants a password and none is configured: the PING of the set-up is
 * refused (NOAUTH), so Redis is not said to be reachable and the link backs
 * off as from a refused connection; once the password is dropped, it is. */
START_TEST(a_password_redis_wants_and_we_lack_is_an_outage)
{
    char out[64];
    ck_assert(redis_server_cmd(&srv, out, sizeof out, "CONFIG SET requirepass s3cret"));
    start();
    run_until(&losts, 2, 3000);
    ck_assert_int_ge(losts, 2);
    ck_assert(rlink.outage->down);
    ck_assert(!rlink.outage->ever_up);
    ck_assert_int_ge(rlink.outage->attempts, 2);
    ck_assert_int_le(rlink.outage->attempts, (unsigned)losts); /* one per connection */
    redisContext *c = redis_server_connect(&srv);
    ck_assert_ptr_nonnull(c);
    freeReplyObject(redisCommand(c, "AUTH s3cret"));
    freeReplyObject(redisCommand(c, "CONFIG SET requirepass %s", ""));
    redisFree(c);
    for (int waited = 0; waited < 3000 && rlink.outage->down; waited += 10)
        run_until(&ups, ups + 1, 10);
    ck_assert(!rlink.outage->down);
    ck_assert(rlink.outage->ever_up);
}
END_TEST

static Suite *rdb_link_suite(void)
{
    Suite *s = suite_create("rdb_link");
    TCase *t = tcase_create("redis");
    tcase_set_timeout(t, 30);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, connects_and_says_so_once);
    tcase_add_test(t, comes_back_when_redis_does);
    tcase_add_test(t, redis_down_at_start_is_retried_until_it_comes);
    tcase_add_test(t, a_connect_that_never_completes_times_out);
    tcase_add_test(t, a_server_that_never_answers_is_dropped_and_retried);
    tcase_add_test(t, a_password_redis_wants_and_we_lack_is_an_outage);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(rdb_link_suite)
