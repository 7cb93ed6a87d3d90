/* check_writer: feeder/writer.c — the tick loop under the fail-over lease —
 * on a libevent loop with a mock feed, against a real redis-server started
 * by the test on a free loopback port (redis_server.h). */
#include "config.h"

#include "candles.h"
#include "check_main.h"
#include "strlist.h"
#include "conf.h"
#include "cp_error.h"
#include "feed.h"
#include "keys.h"
#include "price.h"
#include "redis_server.h"

#include <hiredis/hiredis.h>
#include "store.h"
#include "tickid.h"
#include "writer.h"

#include <event2/event.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "w:"
#define LEASE PREFIX "feeder:lease"
#define INTERVAL_MS 100

static struct cp_conf conf;
static struct event_base *base;
static struct feed *feed;
static struct store *st;
static struct writer *w;
static redisContext *rc_;

static void start_fixture(void)
{
    conf_defaults(&conf);
    snprintf(conf.redis_host, sizeof conf.redis_host, "127.0.0.1");
    conf.redis_port = redis_fixture.port;
    snprintf(conf.redis_prefix, sizeof conf.redis_prefix, PREFIX);
    conf.update_interval_ms = INTERVAL_MS;
    rc_ = redis_server_connect(&redis_fixture);
    ck_assert(rc_ && !rc_->err);
    freeReplyObject(redisCommand(rc_, "FLUSHALL"));
    base = event_base_new();
    char err[256];
    feed = feed_new_mock("BTC,ETH", 42, INTERVAL_MS, err, sizeof err);
    ck_assert_ptr_nonnull(feed);
    st = store_new(&conf);
    w = writer_new(&conf, base, feed, st, NULL, "me");
}

static void stop_fixture(void)
{
    writer_free(w);
    store_free(st);
    feed_free(feed);
    event_base_free(base);
    redisFree(rc_);
}

static void run_ms(int ms)
{
    struct timeval tv = strlist_timeval_ms(ms);
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static long long redis_int(const char *fmt, const char *arg)
{
    redisReply *r = redisCommand(rc_, fmt, arg);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static long long history_length(void)
{
    char k[KEYS_MAX];
    keys_format(k, sizeof k, PREFIX, KEYS_HISTORY, NULL);
    return redis_int("XLEN %s", k);
}

START_TEST(writes_a_tick_every_interval_while_holding_the_lease)
{
    writer_start(w);
    ck_assert(writer_active(w));
    ck_assert_uint_eq(writer_written(w), 1); /* the first tick at once */
    run_ms(5 * INTERVAL_MS + 50);
    ck_assert(writer_active(w));
    long long n = history_length();
    ck_assert_int_ge(n, 5);
    ck_assert_int_le(n, 7);
    ck_assert_uint_eq(writer_written(w), (unsigned long long)n);
    ck_assert_uint_eq(writer_dropped(w), 0);
    redisReply *r = redisCommand(rc_, "GET %s", LEASE);
    ck_assert_str_eq(r->str, "me");
    freeReplyObject(r);
    ck_assert_int_gt(redis_int("PTTL %s", LEASE), 0);
}
END_TEST

START_TEST(stands_by_while_another_feeder_holds_the_lease)
{
    freeReplyObject(redisCommand(rc_, "SET %s other PX 60000", LEASE));
    writer_start(w);
    run_ms(3 * INTERVAL_MS + 50);
    ck_assert(!writer_active(w));
    ck_assert_int_eq(history_length(), 0);
    ck_assert_uint_eq(writer_written(w), 0);
    ck_assert_uint_eq(writer_dropped(w), 0); /* the other feeder writes them */
    /* the other feeder is gone: taken over within 1.75 intervals */
    freeReplyObject(redisCommand(rc_, "DEL %s", LEASE));
    run_ms(2 * INTERVAL_MS);
    ck_assert(writer_active(w));
    ck_assert_int_ge(history_length(), 1);
}
END_TEST

START_TEST(continues_after_the_newest_tick_and_from_its_prices)
{
    /* another feeder's tick a minute ahead of the clock, BTC at 12345 */
    int64_t ahead = price_now_ms() + 60000;
    struct price p = {.price = 12345, .high24h = 12345, .low24h = 12345, .ts = ahead};
    snprintf(p.symbol, sizeof p.symbol, "BTC");
    char id[PRICE_ID_MAX];
    tickid_format((struct tickid){ahead, 5}, id, sizeof id);
    snprintf(p.id, sizeof p.id, "%s", id);
    bool fresh;
    ck_assert_int_eq(store_ensure(st, &fresh), CP_OK);
    ck_assert_int_eq(store_acquire(st, "other", 1000), CP_OK);
    ck_assert_int_eq(store_write_tick(st, "other", 1000, id, ahead, &p, 1, "BTC"), CP_OK);
    store_release(st, "other");

    writer_start(w);
    run_ms(2 * INTERVAL_MS + 50);
    char k[KEYS_MAX];
    keys_format(k, sizeof k, PREFIX, KEYS_HISTORY, NULL);
    redisReply *r = redisCommand(rc_, "XREVRANGE %s + - COUNT 1", k);
    ck_assert_uint_eq(r->elements, 1);
    struct tickid newest;
    ck_assert_int_eq(tickid_parse(r->element[0]->element[0]->str, &newest), CP_OK);
    ck_assert_int_eq(newest.ms, ahead);
    ck_assert_uint_ge(newest.seq, 6);
    json_t *tick = json_loads(r->element[0]->element[1]->element[1]->str, 0, NULL);
    freeReplyObject(r);
    ck_assert_ptr_nonnull(tick);
    json_t *btc = json_array_get(json_object_get(tick, "prices"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(btc, "symbol")), "BTC");
    double price = json_number_value(json_object_get(btc, "price"));
    ck_assert_msg(fabs(price - 12345) < 12345 * 0.01, "BTC jumped to %g", price);
    json_decref(tick);
}
END_TEST

START_TEST(release_hands_the_lease_over_at_once)
{
    writer_start(w);
    ck_assert(writer_active(w));
    ck_assert_int_eq(redis_int("EXISTS %s", LEASE), 1);
    writer_release(w);
    ck_assert_int_eq(redis_int("EXISTS %s", LEASE), 0);
}
END_TEST

START_TEST(drops_ticks_while_redis_is_away)
{
    conf.redis_port = redis_server_free_port();
    conf.redis_timeout_ms = 100;
    writer_start(w);
    run_ms(3 * INTERVAL_MS + 50);
    ck_assert(!writer_active(w));
    ck_assert_uint_eq(writer_written(w), 0);
    ck_assert_uint_ge(writer_dropped(w), 2);
    /* Redis back: the writer takes the lease and writes */
    conf.redis_port = redis_fixture.port;
    run_ms(4 * INTERVAL_MS);
    ck_assert(writer_active(w));
    ck_assert_int_ge(history_length(), 1);
}
END_TEST

/* The BTC prices of every tick in the stream, oldest first, into p (max);
 * returns how many, and the last tick's volume24h into *v24. */
static size_t stream_btc(double *p, size_t max, double *v24)
{
    char k[KEYS_MAX];
    size_t n = 0;
    keys_format(k, sizeof k, PREFIX, KEYS_HISTORY, NULL);
    redisReply *r = redisCommand(rc_, "XRANGE %s - +", k);
    for (size_t i = 0; i < r->elements && n < max; i++) {
        json_t *t = json_loads(r->element[i]->element[1]->element[1]->str, 0, NULL);
        json_t *btc = json_array_get(json_object_get(t, "prices"), 0);
        p[n++] = json_real_value(json_object_get(btc, "price"));
        *v24 = json_real_value(json_object_get(btc, "volume24h"));
        json_decref(t);
    }
    freeReplyObject(r);
    return n;
}

START_TEST(the_days_candle_holds_exactly_the_ticks_written)
{
    writer_start(w);
    run_ms(4 * INTERVAL_MS + 50);
    /* another feeder holds the lease for a while: the ticks meanwhile are
     * not written, and must leave no trace in the candles */
    freeReplyObject(redisCommand(rc_, "SET %s other PX 60000", LEASE));
    run_ms(3 * INTERVAL_MS);
    ck_assert(!writer_active(w));
    freeReplyObject(redisCommand(rc_, "DEL %s", LEASE));
    run_ms(4 * INTERVAL_MS + 50);
    ck_assert(writer_active(w));
    double p[64], v24 = 0, hi = 0, lo = 1e300;
    size_t n = stream_btc(p, 64, &v24);
    ck_assert_uint_ge(n, 6);
    for (size_t i = 0; i < n; i++) {
        hi = fmax(hi, p[i]);
        lo = fmin(lo, p[i]);
    }
    redisReply *r = redisCommand(rc_, "ZRANGE " PREFIX "candles:BTC:1d 0 -1");
    ck_assert_int_ge(r->elements, 1);
    if (r->elements == 1) { /* not across midnight UTC */
        struct ohlcv c;
        ck_assert_int_eq(candles_member_parse(r->element[0]->str, r->element[0]->len, &c), CP_OK);
        ck_assert(c.is_open);
        ck_assert(c.open == p[0] && c.close == p[n - 1] && c.high == hi && c.low == lo);
        ck_assert(fabs(c.volume - v24) < 0.002); /* the mock's volume24h: the ticks' sum */
    }
    freeReplyObject(r);
}
END_TEST

static Suite *writer_suite(void)
{
    Suite *s = suite_create("writer");
    TCase *t = tcase_create("redis");
    tcase_set_timeout(t, 30);
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, start_fixture, stop_fixture);
    tcase_add_test(t, writes_a_tick_every_interval_while_holding_the_lease);
    tcase_add_test(t, stands_by_while_another_feeder_holds_the_lease);
    tcase_add_test(t, continues_after_the_newest_tick_and_from_its_prices);
    tcase_add_test(t, release_hands_the_lease_over_at_once);
    tcase_add_test(t, drops_ticks_while_redis_is_away);
    tcase_add_test(t, the_days_candle_holds_exactly_the_ticks_written);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(writer_suite)
