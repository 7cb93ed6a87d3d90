/* check_store: feeder/store.c against a real redis-server that the test
 * starts on a free loopback port (no mock): a tick written, then read back
 * from the price cache keys, the pub/sub channel and the capped history
 * stream under the key names of lib/keys.h; the lease; the sources key;
 * reconnect backoff when Redis is away. */
#include "config.h"

#include "check_main.h"
#include "redis_server.h"

#include <hiredis/hiredis.h>
#include "conf.h"
#include "cp_error.h"
#include "keys.h"
#include "price.h"
#include "store.h"
#include "tickid.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREFIX "t:"
#define HISTORY 3

static struct cp_conf conf;
static struct store *st;
static redisContext *rc_;

/* Per test: an empty Redis, a store on it and a client to look with. */
static void setup(void)
{
    conf_defaults(&conf);
    snprintf(conf.redis_host, sizeof conf.redis_host, "127.0.0.1");
    conf.redis_port = redis_fixture.port;
    snprintf(conf.redis_prefix, sizeof conf.redis_prefix, PREFIX);
    conf.history_length = HISTORY;
    conf.price_ttl_seconds = 60;
    rc_ = redis_server_connect(&redis_fixture);
    ck_assert(rc_ && !rc_->err);
    freeReplyObject(redisCommand(rc_, "FLUSHALL"));
    st = store_new(&conf);
}

static void teardown(void)
{
    store_free(st);
    redisFree(rc_);
}

static const char *key(enum keys_kind kind, const char *symbol)
{
    static char buf[KEYS_MAX];
    ck_assert_int_gt(keys_format(buf, sizeof buf, PREFIX, kind, symbol), 0);
    return buf;
}

static redisReply *cmd(const char *fmt, const char *arg)
{
    redisReply *r = redisCommand(rc_, fmt, arg);
    ck_assert_ptr_nonnull(r);
    return r;
}

static void two_prices(struct price *p, double btc)
{
    memset(p, 0, 2 * sizeof *p);
    snprintf(p[0].symbol, sizeof p[0].symbol, "BTC");
    p[0].price = btc;
    p[0].high24h = p[0].low24h = btc;
    snprintf(p[1].symbol, sizeof p[1].symbol, "ETH");
    p[1].price = 3000.5;
    p[1].high24h = p[1].low24h = 3000.5;
}

/* Write a tick at ms (seq 0) with two prices, as owner "me". */
static int write_at(int64_t ms, double btc)
{
    struct price p[2];
    two_prices(p, btc);
    char id[PRICE_ID_MAX];
    tickid_format((struct tickid){ms, 0}, id, sizeof id);
    for (int i = 0; i < 2; i++) {
        p[i].ts = ms;
        snprintf(p[i].id, sizeof p[i].id, "%s", id);
    }
    return store_write_tick(st, "me", 5000, id, ms, p, 2, "BTC,ETH");
}

START_TEST(connects_then_writes_a_tick_to_every_key)
{
    bool fresh = false;
    ck_assert_int_eq(store_ensure(st, &fresh), CP_OK);
    ck_assert(fresh);
    ck_assert_int_eq(store_ensure(st, &fresh), CP_OK);
    ck_assert(!fresh);
    /* a subscriber on the tick channel, before the write */
    redisContext *sub = redis_server_connect(&redis_fixture);
    redisReply *r = redisCommand(sub, "SUBSCRIBE %s", key(KEYS_CHANNEL, NULL));
    ck_assert_ptr_nonnull(r);
    freeReplyObject(r);

    ck_assert_int_eq(store_acquire(st, "me", 5000), CP_OK);
    ck_assert_int_eq(write_at(1700000000000, 64000.25), CP_OK);

    r = cmd("GET %s", key(KEYS_PRICE, "BTC"));
    ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
    json_t *j = json_loads(r->str, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "symbol")), "BTC");
    ck_assert_double_eq(json_number_value(json_object_get(j, "price")), 64000.25);
    json_decref(j);
    freeReplyObject(r);
    r = cmd("TTL %s", key(KEYS_PRICE, "ETH"));
    ck_assert(r->integer > 0 && r->integer <= 60);
    freeReplyObject(r);
    r = cmd("GET %s", key(KEYS_HEARTBEAT, NULL));
    ck_assert_str_eq(r->str, "1700000000000");
    freeReplyObject(r);
    r = cmd("GET %s", key(KEYS_SYMBOLS, NULL));
    ck_assert_str_eq(r->str, "BTC,ETH");
    freeReplyObject(r);
    r = cmd("XRANGE %s - +", key(KEYS_HISTORY, NULL));
    ck_assert_uint_eq(r->elements, 1);
    ck_assert_str_eq(r->element[0]->element[0]->str, "1700000000000-0");
    ck_assert_str_eq(r->element[0]->element[1]->element[0]->str, "tick");
    ck_assert(strstr(r->element[0]->element[1]->element[1]->str, "64000.25"));
    freeReplyObject(r);

    /* the same tick JSON on the channel */
    void *reply = NULL;
    ck_assert_int_eq(redisGetReply(sub, &reply), REDIS_OK);
    r = reply;
    ck_assert_uint_eq(r->elements, 3);
    ck_assert_str_eq(r->element[0]->str, "message");
    ck_assert_str_eq(r->element[1]->str, key(KEYS_CHANNEL, NULL));
    ck_assert(strstr(r->element[2]->str, "\"ETH\""));
    freeReplyObject(r);
    redisFree(sub);
}
END_TEST

static size_t seen;
static double seen_btc[8];

static void on_tick(void *ctx, const struct price *prices, size_t n)
{
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(prices[0].symbol, "BTC");
    if (seen < 8)
        seen_btc[seen] = prices[0].price;
    seen++;
}

START_TEST(caps_the_history_and_reads_it_back_oldest_first)
{
    bool fresh;
    ck_assert_int_eq(store_ensure(st, &fresh), CP_OK);
    ck_assert_int_eq(store_acquire(st, "me", 5000), CP_OK);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(write_at(1700000000000 + i * 1000, 100 + i), CP_OK);
    redisReply *r = cmd("XLEN %s", key(KEYS_HISTORY, NULL));
    ck_assert_int_eq(r->integer, HISTORY);
    freeReplyObject(r);

    struct tickid last;
    struct price p[4];
    size_t n;
    ck_assert_int_eq(store_last_tick(st, &last, p, 4, &n), CP_OK);
    ck_assert_int_eq(last.ms, 1700000004000);
    ck_assert_uint_eq(last.seq, 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_double_eq(p[0].price, 104);

    seen = 0;
    ck_assert_int_eq(store_history(st, 0, last, p, 4, on_tick, NULL), CP_OK);
    ck_assert_uint_eq(seen, HISTORY);
    ck_assert_double_eq(seen_btc[0], 102);
    ck_assert_double_eq(seen_btc[2], 104);
    /* from a later ms on, and up to an earlier id */
    seen = 0;
    ck_assert_int_eq(
        store_history(st, 1700000003000, (struct tickid){1700000003000, 0}, p, 4, on_tick, NULL),
        CP_OK);
    ck_assert_uint_eq(seen, 1);
    ck_assert_double_eq(seen_btc[0], 103);
}
END_TEST

START_TEST(an_empty_stream_has_no_last_tick)
{
    bool fresh;
    ck_assert_int_eq(store_ensure(st, &fresh), CP_OK);
    struct tickid last = {1, 1};
    struct price p[2];
    size_t n = 9;
    ck_assert_int_eq(store_last_tick(st, &last, p, 2, &n), CP_OK);
    ck_assert_int_eq(last.ms, 0);
    ck_assert_uint_eq(last.seq, 0);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(refuses_an_id_not_after_the_newest)
{
    bool fresh;
    ck_assert_int_eq(store_ensure(st, &fresh), CP_OK);
    ck_assert_int_eq(store_acquire(st, "me", 5000), CP_OK);
    ck_assert_int_eq(write_at(1700000005000, 1), CP_OK);
    ck_assert_int_eq(write_at(1700000005000, 2), CP_EPROTO);
    ck_assert_int_eq(write_at(1700000004000, 3), CP_EPROTO);
    /* the connection stays */
    ck_assert_int_eq(write_at(1700000006000, 4), CP_OK);
}
END_TEST

START_TEST(writes_only_while_holding_the_lease)
{
    bool fresh;
    ck_assert_int_eq(store_ensure(st, &fresh), CP_OK);
    ck_assert_int_eq(store_acquire(st, "other", 5000), CP_OK);
    ck_assert_int_eq(store_acquire(st, "me", 5000), CP_ENOENT);
    ck_assert_int_eq(write_at(1700000000000, 1), CP_ENOENT);
    redisReply *r = cmd("EXISTS %s", key(KEYS_HISTORY, NULL));
    ck_assert_int_eq(r->integer, 0);
    freeReplyObject(r);
    r = cmd("EXISTS %s", key(KEYS_PRICE, "BTC"));
    ck_assert_int_eq(r->integer, 0);
    freeReplyObject(r);
    store_release(st, "me"); /* not ours: stays */
    ck_assert_int_eq(store_acquire(st, "me", 5000), CP_ENOENT);
    store_release(st, "other");
    ck_assert_int_eq(store_acquire(st, "me", 5000), CP_OK);
    r = cmd("GET %s", PREFIX "feeder:lease");
    ck_assert_str_eq(r->str, "me");
    freeReplyObject(r);
    r = cmd("PTTL %s", PREFIX "feeder:lease");
    ck_assert(r->integer > 0 && r->integer <= 5000);
    freeReplyObject(r);
}
END_TEST

START_TEST(a_tick_without_prices_writes_only_lease_and_heartbeat)
{
    bool fresh;
    ck_assert_int_eq(store_ensure(st, &fresh), CP_OK);
    ck_assert_int_eq(
        store_write_tick(st, "me", 5000, "1700000000000-0", 1700000000000, NULL, 0, "BTC"), CP_OK);
    redisReply *r = cmd("GET %s", key(KEYS_HEARTBEAT, NULL));
    ck_assert_str_eq(r->str, "1700000000000");
    freeReplyObject(r);
    r = cmd("EXISTS %s", key(KEYS_HISTORY, NULL));
    ck_assert_int_eq(r->integer, 0);
    freeReplyObject(r);
    r = cmd("GET %s", PREFIX "feeder:lease");
    ck_assert_str_eq(r->str, "me");
    freeReplyObject(r);
}
END_TEST

START_TEST(sets_the_sources_key_with_its_ttl)
{
    ck_assert_int_eq(store_write_sources(st, "{}", 1000), CP_EIO); /* not connected yet */
    bool fresh;
    ck_assert_int_eq(store_ensure(st, &fresh), CP_OK);
    ck_assert_int_eq(store_write_sources(st, "{\"fresh\":2}", 1500), CP_OK);
    redisReply *r = cmd("GET %s", key(KEYS_SOURCES, NULL));
    ck_assert_str_eq(r->str, "{\"fresh\":2}");
    freeReplyObject(r);
    r = cmd("PTTL %s", key(KEYS_SOURCES, NULL));
    ck_assert(r->integer > 0 && r->integer <= 1500);
    freeReplyObject(r);
}
END_TEST

START_TEST(backs_off_while_redis_is_away)
{
    conf.redis_port = redis_server_free_port();
    conf.redis_timeout_ms = 200;
    bool fresh = true;
    ck_assert_int_eq(store_ensure(st, &fresh), CP_EIO);
    ck_assert(!fresh);
    ck_assert_int_eq(store_ensure(st, &fresh), CP_EAGAIN);
    ck_assert_int_eq(write_at(1700000000000, 1), CP_EIO);
    usleep(150 * 1000); /* past the first 100 ms of backoff */
    ck_assert_int_eq(store_ensure(st, &fresh), CP_EIO);
    /* Redis back: connected once the (now 200 ms) backoff is over */
    conf.redis_port = redis_fixture.port;
    ck_assert_int_eq(store_ensure(st, &fresh), CP_EAGAIN);
    usleep(250 * 1000);
    ck_assert_int_eq(store_ensure(st, &fresh), CP_OK);
    ck_assert(fresh);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *t = tcase_create("redis");
    tcase_set_timeout(t, 30);
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, connects_then_writes_a_tick_to_every_key);
    tcase_add_test(t, caps_the_history_and_reads_it_back_oldest_first);
    tcase_add_test(t, an_empty_stream_has_no_last_tick);
    tcase_add_test(t, refuses_an_id_not_after_the_newest);
    tcase_add_test(t, writes_only_while_holding_the_lease);
    tcase_add_test(t, a_tick_without_prices_writes_only_lease_and_heartbeat);
    tcase_add_test(t, sets_the_sources_key_with_its_ttl);
    tcase_add_test(t, backs_off_while_redis_is_away);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(store_suite)
