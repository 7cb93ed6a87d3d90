/* Unit tests of gateway/rdb.c (and rdb_link.c) on a libevent loop against a
 * real redis-server started here: the tick subscription, the symbol list
 * and cached prices, history reads, the worker counters, GET, the /health
 * readings (PING latency, version), reconnecting after Redis restarts, and
 * finding the master through a Sentinel (rdb_sentinel.c). */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "keys.h"
#include "rdb.h"
#include "redis_server.h"

#include <event2/event.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>

static struct redis_server srv;
static struct cp_conf conf;
static struct event_base *base;
static struct rdb *rdb;

/* What the callbacks saw. */
static struct seen {
    char tick[256];
    int ticks;
    char symbols[256];
    int prices;
    int ups, downs;
    bool done, ok;
    size_t n;
    char strs[4][64];
    char ids[4][32];
} seen;

static void on_tick(const char *json, size_t len, void *arg)
{
    snprintf(seen.tick, sizeof seen.tick, "%.*s", (int)len, json);
    seen.ticks++;
}

static void on_symbols(const char *list, void *arg)
{
    snprintf(seen.symbols, sizeof seen.symbols, "%s", list);
}

static void on_price(const char *json, size_t len, void *arg)
{
    seen.prices++;
}

static void on_state(bool subscribed, void *arg)
{
    if (subscribed)
        seen.ups++;
    else
        seen.downs++;
}

static const struct rdb_callbacks callbacks = {on_tick, on_symbols, on_price, on_state};

static void on_strings(bool ok, const char *const *strs, const size_t *lens, size_t n, void *arg)
{
    seen.done = true;
    seen.ok = ok;
    seen.n = n;
    for (size_t i = 0; i < n && i < 4; i++)
        snprintf(seen.strs[i], sizeof seen.strs[i], "%.*s", (int)lens[i], strs[i]);
}

static void on_entries(bool ok, const struct rdb_entry *e, size_t n, void *arg)
{
    seen.done = true;
    seen.ok = ok;
    seen.n = n;
    for (size_t i = 0; i < n && i < 4; i++) {
        snprintf(seen.ids[i], sizeof seen.ids[i], "%s", e[i].id);
        snprintf(seen.strs[i], sizeof seen.strs[i], "%.*s", (int)e[i].len, e[i].tick);
    }
}

/* Turn the loop until cond holds or ms pass; returns cond. */
static bool run_until_fn(bool (*cond)(void), int ms)
{
    for (int waited = 0; !cond() && waited < ms; waited += 10) {
        struct timeval ten = {0, 10000};
        event_base_loopexit(base, &ten);
        event_base_dispatch(base);
    }
    return cond();
}

static bool subscribed(void)
{
    return rdb_subscribed(rdb);
}
static bool unsubscribed(void)
{
    return !rdb_subscribed(rdb);
}
static bool got_tick(void)
{
    return seen.ticks > 0;
}
static bool answered(void)
{
    return seen.done;
}
static bool measured(void)
{
    return rdb_latency_ms(rdb) >= 0 && rdb_version(rdb)[0];
}
static bool got_prices(void)
{
    return seen.prices >= 2 && seen.symbols[0];
}

static void key(char *buf, enum keys_kind kind, const char *suffix)
{
    keys_format(buf, KEYS_MAX, conf.redis_prefix, kind, suffix);
}

static void setup(void)
{
    memset(&seen, 0, sizeof seen);
    ck_assert_msg(redis_server_start(&srv), "redis-server did not start");
    conf_defaults(&conf);
    snprintf(conf.redis_host, sizeof conf.redis_host, "127.0.0.1");
    conf.redis_port = srv.port;
    conf.update_interval_ms = 200; /* reconnect backoff capped at 100 ms */
    conf.stats_interval_ms = 100;  /* a PING every 100 ms */
    base = event_base_new();
}

static void start(void)
{
    rdb = rdb_new(base, &conf, &callbacks, NULL);
    ck_assert_msg(run_until_fn(subscribed, 5000), "never subscribed");
}

static void teardown(void)
{
    rdb_free(rdb);
    rdb = NULL;
    event_base_free(base);
    redis_server_free(&srv);
}

START_TEST(receives_a_published_tick)
{
    start();
    ck_assert_int_eq(seen.ups, 1);
    char channel[KEYS_MAX], out[16];
    key(channel, KEYS_CHANNEL, NULL);
    ck_assert(redis_server_cmd(&srv, out, sizeof out, "PUBLISH %s %s", channel, "{\"s\":1}"));
    ck_assert_str_eq(out, "1"); /* one subscriber: us */
    ck_assert(run_until_fn(got_tick, 2000));
    ck_assert_str_eq(seen.tick, "{\"s\":1}");
}
END_TEST

START_TEST(loads_symbols_and_their_cached_prices)
{
    char k[KEYS_MAX], out[16];
    key(k, KEYS_SYMBOLS, NULL);
    redis_server_cmd(&srv, out, sizeof out, "SET %s %s", k, "BTC, ETH");
    key(k, KEYS_PRICE, "BTC");
    redis_server_cmd(&srv, out, sizeof out, "SET %s {}", k);
    key(k, KEYS_PRICE, "ETH"); /* found although the list says " ETH" */
    redis_server_cmd(&srv, out, sizeof out, "SET %s {}", k);
    start();
    ck_assert(run_until_fn(got_prices, 2000));
    ck_assert_str_eq(seen.symbols, "BTC, ETH");
    ck_assert_int_eq(seen.prices, 2);
}
END_TEST

START_TEST(reads_history_both_ways)
{
    char k[KEYS_MAX], out[32];
    key(k, KEYS_HISTORY, NULL);
    redis_server_cmd(&srv, out, sizeof out, "XADD %s 1-1 tick t1", k);
    redis_server_cmd(&srv, out, sizeof out, "XADD %s 2-1 other x", k);
    redis_server_cmd(&srv, out, sizeof out, "XADD %s 3-1 tick t3", k);
    rdb = rdb_new(base, &conf, &callbacks, NULL);
    /* The connection is still being set up: the read waits for it. */
    ck_assert_int_eq(rdb_history(rdb, 3, on_strings, NULL), CP_OK);
    ck_assert(!seen.done);
    ck_assert(run_until_fn(answered, 2000) && seen.ok);
    ck_assert_uint_eq(seen.n, 2); /* newest first, entries without a tick skipped */
    ck_assert_str_eq(seen.strs[0], "t3");
    ck_assert_str_eq(seen.strs[1], "t1");
    seen.done = false;
    ck_assert_int_eq(rdb_ticks_from(rdb, "1-1", false, 10, on_entries, NULL), CP_OK);
    ck_assert(run_until_fn(answered, 2000) && seen.ok);
    ck_assert_uint_eq(seen.n, 2); /* oldest first, every entry, after 1-1 */
    ck_assert_str_eq(seen.ids[0], "2-1");
    ck_assert_str_eq(seen.strs[0], "");
    ck_assert_str_eq(seen.ids[1], "3-1");
    ck_assert_str_eq(seen.strs[1], "t3");
    seen.done = false;
    ck_assert_int_eq(rdb_ticks_from(rdb, "1-1", true, 1, on_entries, NULL), CP_OK);
    ck_assert(run_until_fn(answered, 2000) && seen.ok);
    ck_assert_uint_eq(seen.n, 1);
    ck_assert_str_eq(seen.ids[0], "1-1");
}
END_TEST

START_TEST(writes_and_reads_worker_counters)
{
    start();
    ck_assert(run_until_fn(measured, 2000));
    char index[KEYS_MAX], a[KEYS_MAX], out[32];
    key(index, KEYS_STATS_INDEX, NULL);
    key(a, KEYS_STATS, "h:1/0");
    rdb_stats_write(rdb, a, index, "{\"ticks\":7}", 60000, 5000);
    ck_assert_int_eq(rdb_stats_read(rdb, index, 4000, on_strings, NULL), CP_OK);
    ck_assert(run_until_fn(answered, 2000) && seen.ok);
    ck_assert_uint_eq(seen.n, 1);
    ck_assert_str_eq(seen.strs[0], "{\"ticks\":7}");
    ck_assert(redis_server_cmd(&srv, out, sizeof out, "PTTL %s", a));
    ck_assert_int_gt(atoi(out), 50000);
    seen.done = false;
    ck_assert_int_eq(rdb_stats_read(rdb, index, 6000, on_strings, NULL), CP_OK);
    ck_assert(run_until_fn(answered, 2000) && seen.ok);
    ck_assert_uint_eq(seen.n, 0);
    /* GET: a value, then a missing key. */
    seen.done = false;
    ck_assert_int_eq(rdb_get(rdb, a, on_strings, NULL), CP_OK);
    ck_assert(run_until_fn(answered, 2000) && seen.ok && seen.n == 1);
    ck_assert_str_eq(seen.strs[0], "{\"ticks\":7}");
    seen.done = false;
    ck_assert_int_eq(rdb_get(rdb, "no-such-key", on_strings, NULL), CP_OK);
    ck_assert(run_until_fn(answered, 2000) && seen.ok);
    ck_assert_uint_eq(seen.n, 0);
}
END_TEST

START_TEST(measures_latency_and_version_without_blocking)
{
    rdb = rdb_new(base, &conf, &callbacks, NULL);
    ck_assert(rdb_latency_ms(rdb) < 0); /* nothing measured before the loop runs */
    ck_assert_str_eq(rdb_version(rdb), "");
    ck_assert(run_until_fn(measured, 3000));
    char info[4096], want[64];
    ck_assert(redis_server_cmd(&srv, info, sizeof info, "INFO server"));
    snprintf(want, sizeof want, "redis_version:%s\r\n", rdb_version(rdb));
    ck_assert_msg(strstr(info, want), "version \"%s\"", rdb_version(rdb));
    ck_assert(rdb_latency_ms(rdb) < 1000);
}
END_TEST

START_TEST(resubscribes_after_redis_restarts)
{
    start();
    ck_assert(run_until_fn(measured, 2000));
    redis_server_stop(&srv);
    ck_assert(run_until_fn(unsubscribed, 3000));
    ck_assert_int_eq(seen.downs, 1);
    ck_assert(rdb_latency_ms(rdb) < 0); /* the readings went with the connection */
    ck_assert_str_eq(rdb_version(rdb), "");
    /* Refused at once, or (asked while a reconnect is being tried) failed
     * when that attempt fails: never answered as if Redis had no ticks. */
    seen.done = false;
    if (rdb_history(rdb, 1, on_strings, NULL) == CP_OK)
        ck_assert(run_until_fn(answered, 3000) && !seen.ok);
    ck_assert(redis_server_restart(&srv));
    ck_assert(run_until_fn(subscribed, 5000));
    ck_assert_int_eq(seen.ups, 2);
    ck_assert(run_until_fn(measured, 3000));
    char channel[KEYS_MAX], out[16];
    key(channel, KEYS_CHANNEL, NULL);
    redis_server_cmd(&srv, out, sizeof out, "PUBLISH %s again", channel);
    ck_assert(run_until_fn(got_tick, 2000));
    ck_assert_str_eq(seen.tick, "again");
}
END_TEST

START_TEST(finds_the_master_through_sentinel)
{
    struct redis_server sentinel;
    ck_assert_msg(redis_server_start_sentinel(&sentinel, "cpmaster", srv.port),
                  "redis-server --sentinel did not start");
    /* The first entry answers nothing; a blank after the comma is allowed. */
    snprintf(conf.redis_sentinels, sizeof conf.redis_sentinels, "127.0.0.1:1, 127.0.0.1:%d",
             sentinel.port);
    snprintf(conf.redis_master_name, sizeof conf.redis_master_name, "cpmaster");
    conf.redis_port = 1; /* REDIS_PORT is not used with Sentinels */
    rdb = rdb_new(base, &conf, &callbacks, NULL);
    bool up = run_until_fn(subscribed, 5000);
    redis_server_free(&sentinel);
    ck_assert_msg(up, "not subscribed through Sentinel");
}
END_TEST

/* A Redis that stops answering after the set-up (paused here, as a hung
 * host would leave it): a read waiting for it fails within ten times
 * REDIS_TIMEOUT_MS and a few PINGs instead of waiting for good, and the
 * link comes back with Redis.  (90-faults: one slow for 2 s is waited for.) */
START_TEST(a_read_waiting_on_a_stalled_redis_fails)
{
    conf.redis_timeout_ms = 100;    /* stalled after 1 s... */
    conf.stats_interval_ms = 60000; /* ...whatever the PINGs for /health */
    start();
    ck_assert(run_until_fn(measured, 2000));
    ck_assert_int_eq(kill(srv.pid, SIGSTOP), 0);
    ck_assert_int_eq(rdb_history(rdb, 1, on_strings, NULL), CP_OK);
    bool done = run_until_fn(answered, 3000);
    ck_assert_int_eq(kill(srv.pid, SIGCONT), 0);
    ck_assert_msg(done, "the read still waits for a stalled Redis");
    ck_assert(!seen.ok);
    ck_assert(run_until_fn(measured, 5000)); /* reconnected */
    seen.done = false;
    ck_assert_int_eq(rdb_history(rdb, 1, on_strings, NULL), CP_OK);
    ck_assert(run_until_fn(answered, 2000) && seen.ok);
}
END_TEST

/* A read asked while connecting to a Redis that is not there fails with
 * the connection (ok false), or at once: it is never left waiting. */
START_TEST(a_read_asked_while_connecting_fails_with_the_connection)
{
    conf.redis_port = redis_server_free_port(); /* nothing listens there */
    rdb = rdb_new(base, &conf, &callbacks, NULL);
    if (rdb_ticks_from(rdb, "1-1", false, 10, on_entries, NULL) == CP_OK)
        ck_assert(run_until_fn(answered, 3000) && !seen.ok);
    ck_assert_int_eq(seen.ups, 0);
}
END_TEST

START_TEST(free_while_connecting_is_safe)
{
    rdb = rdb_new(base, &conf, &callbacks, NULL);
    rdb_free(rdb);
    rdb = NULL;
    rdb_free(NULL);
}
END_TEST

static Suite *rdb_suite(void)
{
    Suite *s = suite_create("rdb");
    TCase *t = tcase_create("redis");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, receives_a_published_tick);
    tcase_add_test(t, loads_symbols_and_their_cached_prices);
    tcase_add_test(t, reads_history_both_ways);
    tcase_add_test(t, writes_and_reads_worker_counters);
    tcase_add_test(t, measures_latency_and_version_without_blocking);
    tcase_add_test(t, resubscribes_after_redis_restarts);
    tcase_add_test(t, finds_the_master_through_sentinel);
    tcase_add_test(t, a_read_asked_while_connecting_fails_with_the_connection);
    tcase_add_test(t, a_read_waiting_on_a_stalled_redis_fails);
    tcase_add_test(t, free_while_connecting_is_safe);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(rdb_suite)
