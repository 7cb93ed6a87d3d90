/* Unit tests of gateway/stats.c: one worker's counters as JSON (docs/PROTOCOL.md
 * §5), how long they stay in Redis, and the periodic publish into a real
 * redis-server (its key and the index) with the message rate. */
#include "config.h"

#include "check_main.h"
#include "gw_fixture.h"
#include "gw_wire.h"
#include "hub.h"
#include "keys.h"
#include "price.h"
#include "stats.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct redis_server gone; /* one stopped by the test */
static struct gw_fixture fx;
static redisContext *redis;
static struct hub_client sub;
static struct evbuffer *out;

static void setup(void)
{
    gw_fixture_init(&fx);
    out = evbuffer_new();
    hub_client_init(&sub, out, MSG_WS, NULL, NULL);
    redis = NULL;
}

static void setup_redis(void)
{
    setup();
    redis = gw_wire_redis(&redis_fixture);
    gw_wire_redis_ok(redis, "FLUSHALL");
}

static void teardown(void)
{
    if (fx.ctx.hub)
        hub_client_clear(fx.ctx.hub, &sub);
    /* Queued messages first: the last reference to one records its fan-out
     * latency in the hub. */
    evbuffer_free(out);
    gw_fixture_free(&fx);
    if (redis)
        redisFree(redis);
    redis_server_free(&gone);
}

/* A subscriber to "*" that gets every tick (on an evbuffer, no socket). */
static void subscribe_all(void)
{
    ck_assert_int_eq(hub_subscribe(fx.ctx.hub, &sub, "*"), 1);
}

static void publish(long ms)
{
    char t[1024];
    gw_fixture_tick(&fx, gw_wire_tick(t, sizeof t, ms));
}

static json_int_t at(const json_t *j, const char *object, const char *field)
{
    const json_t *o = object ? json_object_get(j, object) : j;
    ck_assert_msg(json_is_integer(json_object_get(o, field)), "%s.%s is not an integer",
                  object ? object : "", field);
    return json_integer_value(json_object_get(o, field));
}

START_TEST(a_worker_reports_identity_connections_and_counters)
{
    gw_fixture_start(&fx, NULL);
    struct ctx_counters *s = &fx.ctx.counters;
    s->ws_current = 2, s->ws_peak = 5, s->ws_total = 9, s->ws_deflate = 1;
    s->sse_current = 1, s->sse_peak = 3, s->sse_total = 4;
    s->messages_in = 11, s->bytes_in = 222, s->rate_limited = 3;
    s->messages_per_second = 2.5;
    fx.ctx.worker = 2;
    fx.ctx.started_ms = price_now_ms() - 5000;
    json_t *j = stats_worker(&fx.ctx);
    ck_assert_str_eq(json_string_value(json_object_get(j, "instance")), "unit:1");
    ck_assert_int_eq(at(j, NULL, "worker"), 2);
    ck_assert_int_eq(at(j, NULL, "pid"), getpid());
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    ck_assert_str_eq(json_string_value(json_object_get(j, "host")), host);
    ck_assert_int_ge(at(j, NULL, "uptime_ms"), 5000);
    ck_assert_int_lt(at(j, NULL, "uptime_ms"), 60000);
    ck_assert_int_gt(at(j, NULL, "rss_bytes"), 0);
    ck_assert_int_eq(at(j, "websocket", "current"), 2);
    ck_assert_int_eq(at(j, "websocket", "peak"), 5);
    ck_assert_int_eq(at(j, "websocket", "total"), 9);
    ck_assert_int_eq(at(j, "websocket", "deflate"), 1);
    ck_assert_int_eq(at(j, "sse", "current"), 1);
    ck_assert_int_eq(at(j, "sse", "peak"), 3);
    ck_assert_int_eq(at(j, "sse", "total"), 4);
    ck_assert_int_eq(at(j, NULL, "messages_in"), 11);
    ck_assert_int_eq(at(j, NULL, "bytes_in"), 222);
    ck_assert_int_eq(at(j, NULL, "rate_limited"), 3);
    ck_assert(json_real_value(json_object_get(j, "messages_per_second")) == 2.5);
    /* The hub's counters, nothing fanned out yet. */
    ck_assert_int_eq(at(j, NULL, "ticks"), 0);
    ck_assert_int_eq(at(j, NULL, "messages_out"), 0);
    ck_assert_int_eq(at(j, NULL, "bad_ticks"), 0);
    ck_assert_int_eq(at(j, NULL, "dropped"), 0);
    ck_assert_int_eq(at(j, NULL, "conflations"), 0);
    ck_assert_int_eq(at(j, NULL, "conflated"), 0);
    ck_assert_int_eq(at(j, "latency_ms", "count"), 0);
    ck_assert_uint_eq(json_object_size(json_object_get(j, "subscriptions")), 0);
    json_decref(j);
}
END_TEST

START_TEST(a_worker_reports_the_hubs_ticks_messages_and_subscriptions)
{
    gw_fixture_start(&fx, NULL);
    subscribe_all();
    struct hub_client btc;
    struct evbuffer *btc_out = evbuffer_new();
    hub_client_init(&btc, btc_out, MSG_SSE, NULL, NULL);
    ck_assert_int_eq(hub_subscribe(fx.ctx.hub, &btc, "BTC"), 1);
    publish(price_now_ms());
    char bad[] = "{\"id\":\"1-0\"}";
    char err[128];
    ck_assert_int_ne(hub_publish_tick(fx.ctx.hub, bad, strlen(bad), err, sizeof err), 0);
    json_t *j = stats_worker(&fx.ctx);
    ck_assert_int_eq(at(j, NULL, "ticks"), 1);
    ck_assert_int_eq(at(j, NULL, "bad_ticks"), 1);
    /* One price-update-bulk to "*", one price-update to BTC (and its id block). */
    ck_assert_int_ge(at(j, NULL, "messages_out"), 2);
    ck_assert_int_ge(at(j, NULL, "bytes_out"),
                     (json_int_t)(evbuffer_get_length(out) + evbuffer_get_length(btc_out)) / 2);
    json_t *subs = json_object_get(j, "subscriptions");
    ck_assert_int_eq(at(subs, NULL, "*"), 1);
    ck_assert_int_eq(at(subs, NULL, "BTC"), 1);
    ck_assert_uint_eq(json_object_size(subs), 2);
    json_t *lat = json_object_get(j, "latency_ms");
    static const char *const fields[] = {"p50", "p95", "p99", "max_ms", "count", "sum_ms"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        ck_assert_msg(json_is_number(json_object_get(lat, fields[i])), "latency_ms.%s", fields[i]);
    ck_assert(json_is_array(json_object_get(lat, "buckets")));
    json_decref(j);
    hub_client_clear(fx.ctx.hub, &btc);
    evbuffer_free(btc_out);
}
END_TEST

START_TEST(counters_outlive_a_few_stats_intervals_but_not_many)
{
    static const int intervals[] = {100, 1000, 5000, 60000};
    for (size_t i = 0; i < sizeof intervals / sizeof intervals[0]; i++) {
        fx.conf.stats_interval_ms = intervals[i];
        int ttl = stats_ttl_ms(&fx.conf);
        /* A worker that misses a publish or two is still counted... */
        ck_assert_int_ge(ttl, 2 * intervals[i] + 500);
        /* ...one that stopped drops out soon after. */
        ck_assert_int_le(ttl, 5 * intervals[i] + 1000);
    }
}
END_TEST

static json_t *redis_json(const char *key)
{
    redisReply *r = redisCommand(redis, "GET %s", key);
    ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
    json_t *j = json_loadb(r->str, r->len, 0, NULL);
    ck_assert_ptr_nonnull(j);
    freeReplyObject(r);
    return j;
}

static long long redis_int(const char *format, const char *key, const char *member)
{
    redisReply *r = redisCommand(redis, format, key, member);
    ck_assert_ptr_nonnull(r);
    long long v = r->type == REDIS_REPLY_INTEGER  ? r->integer
                  : r->type == REDIS_REPLY_STRING ? atoll(r->str)
                                                  : -1;
    freeReplyObject(r);
    return v;
}

static void start_publishing(const struct redis_server *server)
{
    fx.conf.stats_interval_ms = 500;
    gw_fixture_start(&fx, server);
    keys_format(fx.ctx.stats_key, sizeof fx.ctx.stats_key, fx.conf.redis_prefix, KEYS_STATS,
                "unit:1/0");
}

START_TEST(publish_writes_this_workers_counters_and_indexes_them)
{
    start_publishing(&redis_fixture);
    fx.ctx.counters.messages_in = 17;
    int64_t before = price_now_ms();
    stats_publish(&fx.ctx);
    int64_t after = price_now_ms();
    gw_fixture_run(&fx, 100);
    ck_assert_str_eq(fx.ctx.stats_key, "cryptopulse:stats:unit:1/0");
    json_t *j = redis_json(fx.ctx.stats_key);
    ck_assert_str_eq(json_string_value(json_object_get(j, "instance")), "unit:1");
    ck_assert_int_eq(at(j, NULL, "worker"), 0);
    ck_assert_int_eq(at(j, NULL, "messages_in"), 17);
    json_decref(j);
    long long pttl = redis_int("PTTL %s", fx.ctx.stats_key, NULL);
    ck_assert_int_gt(pttl, stats_ttl_ms(&fx.conf) - 1000);
    ck_assert_int_le(pttl, stats_ttl_ms(&fx.conf));
    char index[KEYS_MAX];
    keys_format(index, sizeof index, fx.conf.redis_prefix, KEYS_STATS_INDEX, NULL);
    long long score = redis_int("ZSCORE %s %s", index, fx.ctx.stats_key);
    ck_assert_int_ge(score, before);
    ck_assert_int_le(score, after);
}
END_TEST

START_TEST(publish_drops_workers_older_than_the_ttl_from_the_index)
{
    start_publishing(&redis_fixture);
    char index[KEYS_MAX];
    keys_format(index, sizeof index, fx.conf.redis_prefix, KEYS_STATS_INDEX, NULL);
    long long old = (long long)price_now_ms() - stats_ttl_ms(&fx.conf) - 1000;
    gw_wire_redis_ok(redis, "ZADD %s %lld cryptopulse:stats:gone/0", index, old);
    stats_publish(&fx.ctx);
    gw_fixture_run(&fx, 100);
    ck_assert_int_eq(redis_int("ZCARD %s", index, NULL), 1);
    ck_assert_int_eq(redis_int("ZSCORE %s %s", index, "cryptopulse:stats:gone/0"), -1);
}
END_TEST

START_TEST(publish_measures_messages_per_second_over_the_period)
{
    start_publishing(&redis_fixture); /* STATS_INTERVAL_MS 500 */
    subscribe_all();
    uint64_t out0 = hub_get_stats(fx.ctx.hub)->messages_out;
    int64_t now = price_now_ms();
    for (int i = 0; i < 3; i++)
        publish(now + i);
    uint64_t sent = hub_get_stats(fx.ctx.hub)->messages_out - out0;
    ck_assert_uint_eq(sent, 3);
    stats_publish(&fx.ctx);
    ck_assert(fx.ctx.counters.messages_per_second == 3 * 1000.0 / 500);
    gw_fixture_run(&fx, 100);
    json_t *j = redis_json(fx.ctx.stats_key);
    ck_assert(json_number_value(json_object_get(j, "messages_per_second")) == 6.0);
    json_decref(j);
    /* A quiet period: back to 0. */
    stats_publish(&fx.ctx);
    ck_assert(fx.ctx.counters.messages_per_second == 0.0);
}
END_TEST

START_TEST(publish_without_redis_still_measures_the_rate)
{
    ck_assert(redis_server_start(&gone));
    start_publishing(&gone);
    gw_fixture_redis_gone(&fx, &gone);
    subscribe_all();
    publish(price_now_ms());
    stats_publish(&fx.ctx);
    ck_assert(fx.ctx.counters.messages_per_second == 2.0);
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *t = tcase_create("counters");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, a_worker_reports_identity_connections_and_counters);
    tcase_add_test(t, a_worker_reports_the_hubs_ticks_messages_and_subscriptions);
    tcase_add_test(t, counters_outlive_a_few_stats_intervals_but_not_many);
    suite_add_tcase(s, t);
    t = tcase_create("redis");
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup_redis, teardown);
    tcase_add_test(t, publish_writes_this_workers_counters_and_indexes_them);
    tcase_add_test(t, publish_drops_workers_older_than_the_ttl_from_the_index);
    tcase_add_test(t, publish_measures_messages_per_second_over_the_period);
    tcase_add_test(t, publish_without_redis_still_measures_the_rate);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(stats_suite)
