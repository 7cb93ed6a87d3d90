/* Unit tests of fcgi/probe.c against a real redis-server started here: what
 * /health measures (PING latency, version, heartbeat, live sources), the
 * reads of /stats and /history, SELECT, and a connection replaced after
 * Redis restarts. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "keys.h"
#include "probe.h"
#include "redis_server.h"

#include <stdlib.h>
#include <string.h>

static struct redis_server srv;
static struct cp_conf conf;
static struct probe *probe;

static void key(char *buf, enum keys_kind kind, const char *suffix)
{
    keys_format(buf, KEYS_MAX, conf.redis_prefix, kind, suffix);
}

static void setup(void)
{
    ck_assert_msg(redis_server_start(&srv), "redis-server did not start");
    conf_defaults(&conf);
    snprintf(conf.redis_host, sizeof conf.redis_host, "127.0.0.1");
    conf.redis_port = srv.port;
    probe = probe_new(&conf);
}

static void teardown(void)
{
    probe_free(probe);
    redis_server_free(&srv);
}

START_TEST(measures_redis_without_a_feeder)
{
    char info[4096];
    ck_assert(redis_server_cmd(&srv, info, sizeof info, "INFO server"));
    struct health_probe p;
    probe_run(probe, &p);
    ck_assert(p.connected);
    ck_assert(p.latency_ms >= 0 && p.latency_ms < 1000);
    char want[64];
    snprintf(want, sizeof want, "redis_version:%s\r\n", p.version);
    ck_assert_msg(p.version[0] && strstr(info, want), "version \"%s\"", p.version);
    ck_assert(!p.tick_found);
    ck_assert_int_lt(p.ticks, 0);
    ck_assert_ptr_null(p.sources);
}
END_TEST

START_TEST(reads_the_heartbeat)
{
    char k[KEYS_MAX], out[64];
    key(k, KEYS_HEARTBEAT, NULL);
    redis_server_cmd(&srv, out, sizeof out, "SET %s 1764442000123", k);
    struct health_probe p;
    probe_run(probe, &p);
    ck_assert(p.tick_found);
    ck_assert_int_eq(p.last_tick_ms, 1764442000123LL);
    ck_assert_str_eq(p.error, "");
    redis_server_cmd(&srv, out, sizeof out, "SET %s soon", k);
    probe_run(probe, &p);
    ck_assert(p.connected && !p.tick_found);
    ck_assert_ptr_nonnull(strstr(p.error, "does not hold a ms timestamp"));
}
END_TEST

START_TEST(lends_the_live_sources)
{
    char k[KEYS_MAX], out[64];
    key(k, KEYS_SOURCES, NULL);
    redis_server_cmd(&srv, out, sizeof out, "SET %s %s", k,
                     "{\"fresh\":1,\"sources\":[{\"name\":\"kraken\"}]}");
    struct health_probe p;
    probe_run(probe, &p);
    ck_assert_ptr_nonnull(p.sources);
    ck_assert_int_eq(json_integer_value(json_object_get(p.sources, "fresh")), 1);
    struct health_probe only = {0};
    redis_server_cmd(&srv, out, sizeof out, "SET %s notjson", k);
    probe_sources(probe, &only);
    ck_assert_ptr_null(only.sources);
}
END_TEST

START_TEST(reports_redis_down_then_reconnects)
{
    struct health_probe p;
    probe_run(probe, &p);
    ck_assert(p.connected);
    redis_server_stop(&srv);
    probe_run(probe, &p);
    ck_assert(!p.connected);
    ck_assert_str_ne(p.error, "");
    ck_assert(redis_server_restart(&srv));
    probe_run(probe, &p);
    ck_assert_msg(p.connected, "error: %s", p.error);
    /* Restarted under a live connection: replaced without a failed answer. */
    ck_assert(redis_server_restart(&srv));
    probe_run(probe, &p);
    ck_assert_msg(p.connected, "error: %s", p.error);
}
END_TEST

START_TEST(selects_the_configured_db)
{
    char k[KEYS_MAX], out[64];
    key(k, KEYS_HEARTBEAT, NULL);
    redis_server_cmd(&srv, out, sizeof out, "SET %s 5", k); /* db 0 */
    conf.redis_db = 3;
    struct probe *other = probe_new(&conf);
    struct health_probe p;
    probe_run(other, &p);
    ck_assert(p.connected && !p.tick_found);
    probe_free(other);
}
END_TEST

START_TEST(reads_fresh_worker_counters)
{
    char index[KEYS_MAX], a[KEYS_MAX], b[KEYS_MAX], out[64];
    key(index, KEYS_STATS_INDEX, NULL);
    key(a, KEYS_STATS, "host:1/0");
    key(b, KEYS_STATS, "host:1/1");
    redis_server_cmd(&srv, out, sizeof out, "SET %s {\"ticks\":1}", a);
    redis_server_cmd(&srv, out, sizeof out, "SET %s {\"ticks\":2}", b);
    redis_server_cmd(&srv, out, sizeof out, "ZADD %s 1000 %s 2000 %s", index, a, b);
    struct probe_strings s;
    char err[128];
    ck_assert_int_eq(probe_stats(probe, 1500, &s, err, sizeof err), CP_OK);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_str_eq(s.texts[0], "{\"ticks\":2}");
    ck_assert_uint_eq(s.lens[0], strlen("{\"ticks\":2}"));
    probe_strings_free(&s);
    ck_assert_int_eq(probe_stats(probe, 0, &s, err, sizeof err), CP_OK);
    ck_assert_uint_eq(s.n, 2);
    probe_strings_free(&s);
    ck_assert_int_eq(probe_stats(probe, 5000, &s, err, sizeof err), CP_OK);
    ck_assert_uint_eq(s.n, 0);
    probe_strings_free(&s);
}
END_TEST

START_TEST(reads_history_newest_first)
{
    char hist[KEYS_MAX], syms[KEYS_MAX], out[64];
    key(hist, KEYS_HISTORY, NULL);
    key(syms, KEYS_SYMBOLS, NULL);
    struct probe_strings s;
    char *symbols, err[128];
    ck_assert_int_eq(probe_history(probe, 10, &s, &symbols, err, sizeof err), CP_OK);
    ck_assert_str_eq(symbols, "");
    ck_assert_uint_eq(s.n, 0);
    free(symbols);
    probe_strings_free(&s);
    redis_server_cmd(&srv, out, sizeof out, "SET %s BTC,ETH", syms);
    redis_server_cmd(&srv, out, sizeof out, "XADD %s 1-1 tick t1", hist);
    redis_server_cmd(&srv, out, sizeof out, "XADD %s 2-1 other x", hist);
    redis_server_cmd(&srv, out, sizeof out, "XADD %s 3-1 tick t3", hist);
    ck_assert_int_eq(probe_history(probe, 2, &s, &symbols, err, sizeof err), CP_OK);
    ck_assert_str_eq(symbols, "BTC,ETH");
    ck_assert_uint_eq(s.n, 2);
    ck_assert_str_eq(s.texts[0], "t3");
    ck_assert_ptr_null(s.texts[1]); /* an entry without "tick" */
    free(symbols);
    probe_strings_free(&s);
    ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(stats_and_history_fail_without_redis)
{
    redis_server_stop(&srv);
    struct probe_strings s;
    char *symbols = (char *)"x", err[128] = "";
    ck_assert_int_eq(probe_stats(probe, 0, &s, err, sizeof err), CP_EIO);
    ck_assert_str_ne(err, "");
    ck_assert_int_eq(probe_history(probe, 1, &s, &symbols, err, sizeof err), CP_EIO);
    ck_assert_ptr_null(symbols);
}
END_TEST

static Suite *probe_suite(void)
{
    Suite *s = suite_create("probe");
    TCase *h = tcase_create("health");
    tcase_add_checked_fixture(h, setup, teardown);
    tcase_set_timeout(h, 20);
    tcase_add_test(h, measures_redis_without_a_feeder);
    tcase_add_test(h, reads_the_heartbeat);
    tcase_add_test(h, lends_the_live_sources);
    tcase_add_test(h, reports_redis_down_then_reconnects);
    tcase_add_test(h, selects_the_configured_db);
    suite_add_tcase(s, h);
    TCase *r = tcase_create("reads");
    tcase_add_checked_fixture(r, setup, teardown);
    tcase_set_timeout(r, 20);
    tcase_add_test(r, reads_fresh_worker_counters);
    tcase_add_test(r, reads_history_newest_first);
    tcase_add_test(r, stats_and_history_fail_without_redis);
    suite_add_tcase(s, r);
    return s;
}

CHECK_MAIN(probe_suite)
