/* Unit tests of lib/redis_sync.c against a real redis-server started here:
 * the connection every blocking client (feeder, FastCGI probe, the gateway's
 * start-up read) opens — REDIS_DB selected, REDIS_PASSWORD sent (or a PING
 * when neither is set), and each failing step named. */
#include "config.h"

#include "check_main.h"
#include "conf.h"
#include "redis_server.h"
#include "redis_sync.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct redis_server srv;
static struct cp_conf conf;

static void setup(void)
{
    ck_assert_msg(redis_server_start(&srv), "redis-server did not start");
    conf_defaults(&conf);
    snprintf(conf.redis_host, sizeof conf.redis_host, "127.0.0.1");
    conf.redis_port = srv.port;
    conf.redis_timeout_ms = 2000;
}

static void teardown(void)
{
    redis_server_free(&srv);
}

/* The text of one command's reply on c ("" when not a string or status). */
static void reply_text(redisContext *c, char *out, size_t len, const char *cmd)
{
    redisReply *r = redisCommand(c, cmd);
    ck_assert_ptr_nonnull(r);
    snprintf(out, len, "%s",
             r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ? r->str : "");
    freeReplyObject(r);
}

/* redis_sync_open() to port fails at want_step with want_in_why in its reason. */
static void assert_open_fails(int port, const char *want_step, const char *want_in_why)
{
    const char *step = "none";
    char why[128] = "";
    ck_assert_ptr_null(redis_sync_open(&conf, "127.0.0.1", port, &step, why, sizeof why));
    ck_assert_str_eq(step, want_step);
    ck_assert_msg(strstr(why, want_in_why), "why: %s", why);
}

START_TEST(the_connection_is_on_redis_db)
{
    conf.redis_db = 5;
    const char *step = "none";
    char why[128] = "", info[1024];
    redisContext *c = redis_sync_open(&conf, "127.0.0.1", srv.port, &step, why, sizeof why);
    ck_assert_msg(c != NULL, "%s: %s", step, why);
    reply_text(c, info, sizeof info, "CLIENT INFO");
    ck_assert_msg(strstr(info, " db=5 "), "CLIENT INFO: %s", info);
    redisFree(c);
}
END_TEST

START_TEST(auth_is_sent_and_a_wrong_password_is_named)
{
    char out[64];
    ck_assert(redis_server_cmd(&srv, out, sizeof out, "CONFIG SET requirepass s3cret"));
    ck_assert_str_eq(out, "OK");
    snprintf(conf.redis_password, sizeof conf.redis_password, "wrong");
    assert_open_fails(srv.port, "AUTH", "WRONGPASS");

    snprintf(conf.redis_password, sizeof conf.redis_password, "s3cret");
    conf.redis_db = 1;
    const char *step = "none";
    char why[128] = "";
    redisContext *c = redis_sync_open(&conf, "127.0.0.1", srv.port, &step, why, sizeof why);
    ck_assert_msg(c != NULL, "%s: %s", step, why);
    reply_text(c, out, sizeof out, "PING");
    ck_assert_str_eq(out, "PONG");
    redisFree(c);
}
END_TEST

START_TEST(a_password_redis_wants_and_we_lack_is_found_by_ping)
{
    char out[64];
    ck_assert(redis_server_cmd(&srv, out, sizeof out, "CONFIG SET requirepass s3cret"));
    assert_open_fails(srv.port, "PING", "NOAUTH");
}
END_TEST

/* Something that accepts connections and never answers: the set-up's PING
 * times out, said in the settings' words. */
START_TEST(a_server_that_never_answers_is_named)
{
    int port, silent = redis_server_silent(4, &port);
    ck_assert_int_ge(silent, 0);
    conf.redis_timeout_ms = 300;
    assert_open_fails(port, "PING", "no answer within REDIS_TIMEOUT_MS (300 ms)");
    close(silent);
}
END_TEST

START_TEST(a_db_redis_does_not_have_is_named)
{
    conf.redis_db = 100000; /* redis.conf's "databases" is 16 */
    assert_open_fails(srv.port, "SELECT", "ERR");
}
END_TEST

START_TEST(nobody_listening_fails_to_connect)
{
    int port = redis_server_free_port();
    ck_assert_int_gt(port, 0);
    assert_open_fails(port, "connect", "refused");
}
END_TEST

START_TEST(get_reads_a_value_on_redis_db)
{
    char out[64];
    ck_assert(redis_server_cmd(&srv, out, sizeof out, "SET k db0"));
    conf.redis_db = 2;
    redisContext *c = redis_server_connect(&srv);
    ck_assert_ptr_nonnull(c);
    freeReplyObject(redisCommand(c, "SELECT 2"));
    freeReplyObject(redisCommand(c, "SET k %b", "a\0b", (size_t)3));
    redisFree(c);

    char *v = redis_sync_get(&conf, "k");
    ck_assert_ptr_nonnull(v);
    ck_assert_mem_eq(v, "a\0b", 4); /* all three bytes, NUL-ended */
    free(v);
    ck_assert_ptr_null(redis_sync_get(&conf, "no-such-key"));
    conf.redis_port = redis_server_free_port();
    ck_assert_ptr_null(redis_sync_get(&conf, "k"));
}
END_TEST

static Suite *redis_sync_suite(void)
{
    Suite *s = suite_create("redis_sync");
    TCase *t = tcase_create("open");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 20);
    tcase_add_test(t, the_connection_is_on_redis_db);
    tcase_add_test(t, auth_is_sent_and_a_wrong_password_is_named);
    tcase_add_test(t, a_db_redis_does_not_have_is_named);
    tcase_add_test(t, a_password_redis_wants_and_we_lack_is_found_by_ping);
    tcase_add_test(t, a_server_that_never_answers_is_named);
    tcase_add_test(t, nobody_listening_fails_to_connect);
    tcase_add_test(t, get_reads_a_value_on_redis_db);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(redis_sync_suite)
