/* Unit tests of gateway/answer.c: replies that wait for Redis — price
 * history (HTTP and WebSocket) and every worker's counters (/stats,
 * /metrics) — against a real redis-server, on connections served on
 * loopback sockets (gw_fixture), and with that Redis gone. */
#include "config.h"

#include "answer.h"
#include "check_main.h"
#include "conn.h"
#include "gw_fixture.h"
#include "gw_wire.h"
#include "history.h"
#include "keys.h"
#include "price.h"
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct redis_server gone; /* one stopped by the test */
static struct gw_fixture fx;
static redisContext *redis;
static char history_key[KEYS_MAX], stats_index[KEYS_MAX];

static void setup(void)
{
    gw_fixture_init(&fx);
    redis = gw_wire_redis(&redis_fixture);
    gw_wire_redis_ok(redis, "FLUSHALL");
    keys_format(history_key, sizeof history_key, fx.conf.redis_prefix, KEYS_HISTORY, NULL);
    keys_format(stats_index, sizeof stats_index, fx.conf.redis_prefix, KEYS_STATS_INDEX, NULL);
}

static void teardown(void)
{
    gw_fixture_free(&fx);
    redisFree(redis);
    redis_server_free(&gone);
}

/* Start the fixture on a Redis that is then stopped, and wait until the
 * gateway's link has noticed. */
static void start_without_redis(void)
{
    ck_assert(redis_server_start(&gone));
    gw_fixture_start(&fx, &gone);
    gw_fixture_redis_gone(&fx, &gone);
}

/* Ticks 1000..5000 (BTC and ETH) and 4500 (ETH only) in the history stream. */
static void store_history(void)
{
    char t[1024];
    for (long ms = 1000; ms <= 5000; ms += 1000) {
        gw_wire_redis_ok(redis, "XADD %s %ld-0 tick %s", history_key, ms,
                         gw_wire_tick(t, sizeof t, ms));
        if (ms == 4000)
            gw_wire_redis_ok(redis, "XADD %s 4500-0 tick %s", history_key,
                             "{\"id\":\"4500-0\",\"ts\":4500,\"prices\":[{\"symbol\":\"ETH\","
                             "\"price\":4501.25,\"change24h\":1,\"volume24h\":2,\"high24h\":3,"
                             "\"low24h\":1,\"ts\":4500,\"id\":\"4500-0\"}]}");
    }
}

static void assert_json(const json_t *got, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    ck_assert_ptr_nonnull(w);
    char *text = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_msg(json_equal(got, w), "got %s, want %s", text, want);
    free(text);
    json_decref(w);
}

/* The body of fd's HTTP response (caller frees *raw). */
static json_t *response_json(char *raw, int status)
{
    ck_assert_int_eq(gw_wire_status(raw), status);
    ck_assert_ptr_nonnull(strstr(raw, "Content-Type: application/json\r\n"));
    json_t *j = json_loads(gw_wire_body(raw), 0, NULL);
    ck_assert_msg(j != NULL, "body is not JSON: %s", raw);
    return j;
}

/* Ask for limit points of symbol (the old form of /history). */
static void answer_points(struct conn *c, const char *symbol, int limit)
{
    struct history_query hq = {.limit = limit};
    snprintf(hq.q.symbol, sizeof hq.q.symbol, "%s", symbol);
    answer_history(c, &hq);
}

/* A served connection made a WebSocket one by hand. */
static int ws_client(struct conn **c)
{
    int fd = gw_fixture_client(&fx, c);
    (*c)->kind = CONN_WS;
    fx.ctx.counters.ws_current++;
    return fd;
}

START_TEST(http_history_is_the_newest_points_oldest_first)
{
    gw_fixture_start(&fx, &redis_fixture);
    store_history();
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    answer_points(c, "BTC", 3);
    char *raw = gw_fixture_read(&fx, fd, 2000, NULL);
    json_t *j = response_json(raw, 200);
    /* 4500 has no BTC: skipped, not an empty point. */
    assert_json(j, "{\"symbol\":\"BTC\",\"points\":[[3000,3000.5],[4000,4000.5],[5000,5000.5]]}");
    json_decref(j);
    free(raw);
    close(fd);
}
END_TEST

START_TEST(http_history_matches_the_history_module)
{
    gw_fixture_start(&fx, &redis_fixture);
    store_history();
    /* What lib/history.h makes of the stream's ticks, newest first. */
    redisReply *r = redisCommand(redis, "XREVRANGE %s + - COUNT %d", history_key,
                                 history_ticks_for(HISTORY_MAX_LIMIT));
    ck_assert_uint_eq(r->elements, 6);
    const char *ticks[6];
    size_t lens[6];
    for (size_t i = 0; i < r->elements; i++) {
        ticks[i] = r->element[i]->element[1]->element[1]->str;
        lens[i] = r->element[i]->element[1]->element[1]->len;
    }
    json_t *want = history_points("ETH", ticks, lens, 6, HISTORY_MAX_LIMIT);
    freeReplyObject(r);
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    answer_points(c, "ETH", HISTORY_MAX_LIMIT);
    char *raw = gw_fixture_read(&fx, fd, 2000, NULL);
    json_t *j = response_json(raw, 200);
    ck_assert(json_equal(j, want));
    ck_assert_uint_eq(json_array_size(json_object_get(j, "points")), 6);
    json_decref(want);
    json_decref(j);
    free(raw);
    close(fd);
}
END_TEST

START_TEST(pipelined_requests_wait_for_the_history_answer)
{
    gw_fixture_start(&fx, &redis_fixture);
    store_history();
    int fd = gw_fixture_client(&fx, NULL);
    char *raw = gw_fixture_ask(&fx, fd,
                               "GET /history?symbol=BTC&limit=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /history?symbol=ETH&limit=1 HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n",
                               2000, NULL);
    /* Both answered, in the order asked. */
    const char *btc = strstr(raw, "{\"symbol\":\"BTC\",\"points\":[[5000,5000.5]]}");
    const char *eth = strstr(raw, "{\"symbol\":\"ETH\",\"points\":[[5000,5001.25]]}");
    ck_assert_msg(btc && eth && btc < eth, "%s", raw);
    ck_assert_int_eq(gw_wire_status(raw), 200);
    ck_assert_int_eq(gw_wire_status(strstr(btc, "HTTP/1.1")), 200);
    free(raw);
    close(fd);
}
END_TEST

START_TEST(websocket_history_is_a_history_message)
{
    gw_fixture_start(&fx, &redis_fixture);
    store_history();
    struct conn *c;
    int fd = ws_client(&c);
    answer_points(c, "ETH", 2);
    size_t n;
    char *raw = gw_fixture_read(&fx, fd, 2000, &n);
    json_t *m = gw_wire_ws_messages(raw, n);
    ck_assert_uint_eq(json_array_size(m), 1);
    assert_json(json_array_get(m, 0), "{\"event\":\"history\",\"data\":{\"symbol\":\"ETH\","
                                      "\"points\":[[4500,4501.25],[5000,5001.25]]}}");
    json_decref(m);
    free(raw);
    close(fd);
}
END_TEST

START_TEST(history_without_redis_is_503_unavailable)
{
    start_without_redis();
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    answer_points(c, "BTC", 3);
    char *raw = gw_fixture_read(&fx, fd, 2000, NULL);
    json_t *j = response_json(raw, 503);
    assert_json(j, "{\"error\":\"unavailable\",\"message\":\"history is unavailable: Redis is "
                   "unreachable\"}");
    ck_assert_ptr_nonnull(strstr(raw, "Cache-Control: no-store\r\n"));
    json_decref(j);
    free(raw);
    close(fd);
}
END_TEST

START_TEST(websocket_history_without_redis_is_an_unavailable_error)
{
    start_without_redis();
    struct conn *c;
    int fd = ws_client(&c);
    answer_points(c, "BTC", 3);
    size_t n;
    char *raw = gw_fixture_read(&fx, fd, 1000, &n);
    json_t *m = gw_wire_ws_messages(raw, n);
    ck_assert_uint_eq(json_array_size(m), 1);
    json_t *data = json_object_get(json_array_get(m, 0), "data");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 0), "event")), "error");
    ck_assert_str_eq(json_string_value(json_object_get(data, "code")), "unavailable");
    ck_assert_uint_eq(conn_registry_count(fx.ctx.conns), 1); /* an error never closes */
    json_decref(m);
    free(raw);
    close(fd);
}
END_TEST

/* This worker's counters with instance, worker and messages_in changed, as
 * another worker would write them. */
static char *worker_json(const char *instance, int worker, int messages_in)
{
    json_t *w = stats_worker(&fx.ctx);
    json_object_set_new(w, "instance", json_string(instance));
    json_object_set_new(w, "worker", json_integer(worker));
    json_object_set_new(w, "messages_in", json_integer(messages_in));
    char *text = json_dumps(w, JSON_COMPACT);
    json_decref(w);
    return text;
}

/* Write a worker's counters into Redis as stats_publish does, at at_ms. */
static void write_worker(const char *instance, int worker, int messages_in, int64_t at_ms)
{
    char key[KEYS_MAX], suffix[64];
    snprintf(suffix, sizeof suffix, "%s/%d", instance, worker);
    keys_format(key, sizeof key, fx.conf.redis_prefix, KEYS_STATS, suffix);
    char *text = worker_json(instance, worker, messages_in);
    gw_wire_redis_ok(redis, "SET %s %s PX %d", key, text, stats_ttl_ms(&fx.conf));
    gw_wire_redis_ok(redis, "ZADD %s %lld %s", stats_index, (long long)at_ms, key);
    free(text);
}

static void start_with_workers(void)
{
    gw_fixture_start(&fx, &redis_fixture);
    fx.ctx.counters.messages_in = 7;
    fx.ctx.counters.ws_total = 3;
    int64_t now = price_now_ms();
    /* Another worker, through the module that publishes them. */
    char key[KEYS_MAX], *text = worker_json("other:9", 1, 5);
    keys_format(key, sizeof key, fx.conf.redis_prefix, KEYS_STATS, "other:9/1");
    rdb_stats_write(fx.ctx.rdb, key, stats_index, text, stats_ttl_ms(&fx.conf), now);
    free(text);
    write_worker("unit:1", 0, 1000, now);                                   /* this one, stale */
    write_worker("gone:1", 0, 100000, now - stats_ttl_ms(&fx.conf) - 1000); /* stopped */
    gw_fixture_run(&fx, 50);
}

START_TEST(stats_sum_this_worker_fresh_and_the_others_from_redis)
{
    start_with_workers();
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    answer_stats(c, false);
    char *raw = gw_fixture_read(&fx, fd, 2000, NULL);
    json_t *j = response_json(raw, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "messages_in")), 7 + 5);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "instances")), 2);
    json_t *workers = json_object_get(j, "workers");
    ck_assert_uint_eq(json_array_size(workers), 2);
    /* This worker first, with its counters as they are now. */
    json_t *self = json_array_get(workers, 0);
    ck_assert_str_eq(json_string_value(json_object_get(self, "instance")), "unit:1");
    ck_assert_int_eq(json_integer_value(json_object_get(self, "messages_in")), 7);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(self, "websocket"), "total")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(workers, 1), "instance")),
                     "other:9");
    ck_assert_ptr_null(json_object_get(j, "partial"));
    json_decref(j);
    free(raw);
    close(fd);
}
END_TEST

START_TEST(metrics_label_every_worker)
{
    start_with_workers();
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    answer_stats(c, true);
    char *raw = gw_fixture_read(&fx, fd, 2000, NULL);
    ck_assert_int_eq(gw_wire_status(raw), 200);
    ck_assert_ptr_nonnull(
        strstr(raw, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    const char *body = gw_wire_body(raw);
    ck_assert_ptr_nonnull(
        strstr(body, "\ncryptopulse_messages_in_total{gateway=\"unit:1\",worker=\"0\"} 7\n"));
    ck_assert_ptr_nonnull(
        strstr(body, "\ncryptopulse_messages_in_total{gateway=\"other:9\",worker=\"1\"} 5\n"));
    ck_assert_ptr_null(strstr(body, "gone:1"));
    ck_assert_ptr_nonnull(strstr(body, "# TYPE cryptopulse_fanout_latency_seconds histogram\n"));
    free(raw);
    close(fd);
}
END_TEST

START_TEST(stats_without_redis_are_this_worker_alone_and_partial)
{
    start_without_redis();
    fx.ctx.counters.messages_in = 7;
    struct conn *c;
    int fd = gw_fixture_client(&fx, &c);
    answer_stats(c, false);
    char *raw = gw_fixture_read(&fx, fd, 2000, NULL);
    json_t *j = response_json(raw, 200);
    ck_assert(json_is_true(json_object_get(j, "partial")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "messages_in")), 7);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "workers")), 1);
    json_decref(j);
    free(raw);
    close(fd);
}
END_TEST

static Suite *answer_suite(void)
{
    Suite *s = suite_create("answer");
    TCase *t = tcase_create("redis");
    tcase_add_unchecked_fixture(t, redis_fixture_up, redis_fixture_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, http_history_is_the_newest_points_oldest_first);
    tcase_add_test(t, http_history_matches_the_history_module);
    tcase_add_test(t, pipelined_requests_wait_for_the_history_answer);
    tcase_add_test(t, websocket_history_is_a_history_message);
    tcase_add_test(t, history_without_redis_is_503_unavailable);
    tcase_add_test(t, websocket_history_without_redis_is_an_unavailable_error);
    tcase_add_test(t, stats_sum_this_worker_fresh_and_the_others_from_redis);
    tcase_add_test(t, metrics_label_every_worker);
    tcase_add_test(t, stats_without_redis_are_this_worker_alone_and_partial);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(answer_suite)
