/* Unit tests of fcgi/handlers.c against a real redis-server started here:
 * the bytes of each answer (PROTOCOL.md §1, §5) — /health before and after
 * the feeder's heartbeat, /stats merging the workers' counters, /history and
 * its 400s, HEAD, 405, 404 — and 503 "unavailable" while Redis is stopped,
 * with the log lines of those state changes written once. */
#include "config.h"

#include "check_main.h"
#include "stderr_capture.h"
#include "handlers.h"
#include "keys.h"
#include "log.h"
#include "price.h"
#include "redis_server.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct redis_server srv;
static struct cp_conf conf;
static struct probe *probe;
static struct handlers_state handlers;

static void redis_up(void)
{
    if (!redis_server_start(&srv))
        srv.port = 0; /* setup fails the tests with a message */
}

static void redis_down(void)
{
    redis_server_free(&srv);
}

static void setup(void)
{
    char out[16];
    log_init("check_handlers", LOG_ERROR); /* tests that read the log raise it */
    ck_assert_msg(srv.port > 0, "redis-server did not start");
    ck_assert(redis_server_cmd(&srv, out, sizeof out, "FLUSHALL"));
    conf_defaults(&conf);
    snprintf(conf.redis_host, sizeof conf.redis_host, "127.0.0.1");
    conf.redis_port = srv.port;
    probe = probe_new(&conf);
    handlers_init(&handlers, &conf, probe);
}

static void teardown(void)
{
    probe_free(probe);
}

static void key(char *buf, enum keys_kind kind, const char *suffix)
{
    keys_format(buf, KEYS_MAX, conf.redis_prefix, kind, suffix);
}

/* The answer to method on path?query (query may be NULL), as mod_proxy_fcgi
 * passes it (SCRIPT_NAME=path), NUL-terminated; the caller frees it. */
static char *ask(const char *method, const char *path, const char *query)
{
    struct route_vars v = {method, path, NULL, NULL, query};
    size_t len = 0;
    char *out = handlers_answer(&handlers, &v, &len);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(strlen(out), len);
    return out;
}

static int status_of(const char *r)
{
    int status = 0;
    ck_assert_int_eq(sscanf(r, "Status: %d ", &status), 1);
    return status;
}

/* The body after the blank line, checked against Content-Length. */
static const char *body_of(const char *r)
{
    const char *end = strstr(r, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    const char *cl = strstr(r, "\r\nContent-Length: ");
    ck_assert_msg(cl && cl < end, "no Content-Length in %s", r);
    size_t want = strtoul(cl + strlen("\r\nContent-Length: "), NULL, 10);
    ck_assert_uint_eq(strlen(end + 4), want);
    return end + 4;
}

/* The body as JSON (the caller json_decrefs it). */
static json_t *json_of(const char *r)
{
    json_error_t e;
    json_t *obj = json_loads(body_of(r), 0, &e);
    ck_assert_msg(obj != NULL, "body is not JSON: %s", r);
    return obj;
}

static const char *str_at(const json_t *obj, const char *k1, const char *k2)
{
    const json_t *v = json_object_get(obj, k1);
    return json_string_value(k2 ? json_object_get(v, k2) : v);
}

static void redis(const char *fmt, const char *a, const char *b)
{
    char out[64];
    ck_assert(redis_server_cmd(&srv, out, sizeof out, fmt, a, b));
}

static void set_heartbeat(int64_t ms)
{
    char k[KEYS_MAX], v[32];
    key(k, KEYS_HEARTBEAT, NULL);
    snprintf(v, sizeof v, "%lld", (long long)ms);
    redis("SET %s %s", k, v);
}

START_TEST(health_is_503_until_the_feeder_heartbeat)
{
    char *r = ask("GET", "/health", NULL);
    ck_assert_int_eq(status_of(r), 503);
    ck_assert(strncmp(r, "Status: 503 Service Unavailable\r\n", 33) == 0);
    json_t *obj = json_of(r);
    ck_assert_str_eq(str_at(obj, "status", NULL), "degraded");
    ck_assert_str_eq(str_at(obj, "reason", NULL), "no feeder heartbeat");
    ck_assert(json_is_true(json_object_get(json_object_get(obj, "redis"), "connected")));
    json_decref(obj);
    free(r);

    set_heartbeat(price_now_ms());
    r = ask("GET", "/health", NULL);
    ck_assert(strncmp(r,
                      "Status: 200 OK\r\nContent-Type: application/json\r\n"
                      "Cache-Control: no-store\r\n",
                      73) == 0);
    obj = json_of(r);
    ck_assert_str_eq(str_at(obj, "status", NULL), "ok");
    json_int_t age =
        json_integer_value(json_object_get(json_object_get(obj, "feeder"), "last_tick_age_ms"));
    ck_assert(age >= 0 && age < 5000);
    json_decref(obj);
    free(r);

    set_heartbeat(price_now_ms() - 10 * (int64_t)conf.update_interval_ms);
    r = ask("GET", "/health", NULL);
    ck_assert_int_eq(status_of(r), 503);
    free(r);
}
END_TEST

START_TEST(health_logs_status_changes_once)
{
    struct stderr_capture cap;
    stderr_capture_start(&cap);
    log_init("check_handlers", LOG_INFO);
    free(ask("GET", "/health", NULL));
    free(ask("GET", "/health", NULL));
    set_heartbeat(price_now_ms());
    free(ask("GET", "/health", NULL));
    free(ask("GET", "/health", NULL));
    char *log = stderr_capture_end(&cap);
    ck_assert(log[0] != '\0');
    const char *warn = strstr(log, "check_handlers[warn] health 503: {\"status\":\"degraded\"");
    ck_assert_msg(warn != NULL, "log: %s", log);
    ck_assert_ptr_null(strstr(strchr(warn, '\n'), "health 503"));
    const char *info = strstr(log, "check_handlers[info] health 200: {\"status\":\"ok\"");
    ck_assert_msg(info != NULL && info > warn, "log: %s", log);
    ck_assert_ptr_null(strstr(strchr(info, '\n'), "health 200"));
    free(log);
}
END_TEST

START_TEST(stats_merges_fresh_workers)
{
    char index[KEYS_MAX], k[KEYS_MAX], score[32], src[KEYS_MAX];
    key(index, KEYS_STATS_INDEX, NULL);
    const char *workers[][3] = {{"a/0", "a", "3"}, {"b/0", "b", "4"}, {"old/0", "old", "100"}};
    for (size_t i = 0; i < 3; i++) {
        char v[128];
        key(k, KEYS_STATS, workers[i][0]);
        snprintf(v, sizeof v, "{\"instance\":\"%s\",\"worker\":0,\"websocket\":{\"current\":%s}}",
                 workers[i][1], workers[i][2]);
        redis("SET %s %s", k, v);
        /* The last one wrote an hour ago: older than metrics_ttl_ms, left out. */
        snprintf(score, sizeof score, "%lld", (long long)(price_now_ms() - (i == 2 ? 3600000 : 0)));
        char out[16];
        ck_assert(redis_server_cmd(&srv, out, sizeof out, "ZADD %s %s %s", index, score, k));
    }
    key(src, KEYS_SOURCES, NULL);
    redis("SET %s %s", src, "{\"fresh\":1,\"sources\":[{\"name\":\"kraken\"}]}");
    char *r = ask("GET", "/stats", NULL);
    ck_assert_int_eq(status_of(r), 200);
    ck_assert_ptr_nonnull(strstr(r, "\r\nCache-Control: no-store\r\n"));
    json_t *obj = json_of(r);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(obj, "websocket"), "current")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(obj, "instances")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(obj, "workers")), 2);
    json_t *sources = json_object_get(obj, "sources");
    ck_assert_uint_eq(json_array_size(sources), 1);
    ck_assert_str_eq(str_at(json_array_get(sources, 0), "name", NULL), "kraken");
    json_decref(obj);
    free(r);
}
END_TEST

static void add_history(void)
{
    char hist[KEYS_MAX], syms[KEYS_MAX], out[16];
    key(hist, KEYS_HISTORY, NULL);
    key(syms, KEYS_SYMBOLS, NULL);
    redis("SET %s %s", syms, "BTC,ETH");
    for (int i = 1; i <= 3; i++) {
        char id[16], tick[128];
        snprintf(id, sizeof id, "%d-0", i);
        snprintf(tick, sizeof tick,
                 "{\"id\":\"%d-0\",\"ts\":%d,\"prices\":[{\"symbol\":\"BTC\",\"price\":%d.5,"
                 "\"ts\":%d}]}",
                 i, i, i, i);
        ck_assert(redis_server_cmd(&srv, out, sizeof out, "XADD %s %s tick %s", hist, id, tick));
    }
}

START_TEST(history_gives_the_newest_points)
{
    add_history();
    char *r = ask("GET", "/history", "symbol=BTC&limit=2");
    ck_assert_int_eq(status_of(r), 200);
    ck_assert_str_eq(body_of(r), "{\"symbol\":\"BTC\",\"points\":[[2,2.5],[3,3.5]]}");
    free(r);
    r = ask("GET", "/history", "symbol=ETH");
    ck_assert_str_eq(body_of(r), "{\"symbol\":\"ETH\",\"points\":[]}");
    free(r);
}
END_TEST

/* The error code and message of a 400 answer to /history?query. */
static void history_refuses(const char *query, const char *code, const char *message)
{
    char *r = ask("GET", "/history", query);
    ck_assert_msg(strncmp(r, "Status: 400 Bad Request\r\n", 25) == 0, "%s: %s", query, r);
    json_t *obj = json_of(r);
    ck_assert_str_eq(str_at(obj, "error", NULL), code);
    if (message)
        ck_assert_str_eq(str_at(obj, "message", NULL), message);
    json_decref(obj);
    free(r);
}

START_TEST(history_refuses_bad_queries)
{
    add_history();
    history_refuses("limit=5", "bad_request", "symbol is required");
    history_refuses(NULL, "bad_request", "symbol is required");
    history_refuses("symbol=BTC&limit=0", "bad_request", NULL);
    history_refuses("symbol=BTC&limit=abc", "bad_request", NULL);
    history_refuses("symbol=BTC&limit=1001", "bad_request", NULL);
    history_refuses("symbol=DOGE", "unknown_symbol", "not carried by this feed");
}
END_TEST

START_TEST(head_gets_the_headers_without_the_body)
{
    add_history();
    char *get = ask("GET", "/history", "symbol=BTC");
    char *head = ask("HEAD", "/history", "symbol=BTC");
    size_t hlen = strlen(head);
    ck_assert(hlen > 4 && strcmp(head + hlen - 4, "\r\n\r\n") == 0);
    ck_assert(strncmp(get, head, hlen) == 0);
    ck_assert_uint_gt(strlen(get), hlen);
    free(get);
    free(head);
    head = ask("HEAD", "/health", NULL);
    ck_assert_int_eq(status_of(head), 503);
    ck_assert_str_eq(strstr(head, "\r\n\r\n"), "\r\n\r\n");
    ck_assert_ptr_null(strstr(head, "Content-Length: 0\r\n"));
    free(head);
}
END_TEST

#define ERROR_405 "{\"error\":\"method_not_allowed\",\"message\":\"only GET and HEAD are allowed\"}"
#define ERROR_404                                                                                  \
    "{\"error\":\"not_found\",\"message\":\"no such resource; try /health, /stats or /history\"}"

/* The whole answer with status (e.g. "404 Not Found"), the Allow header
 * when allow is not NULL and body, as reply.c writes it, into buf (len bytes). */
static const char *expect(char *buf, size_t len, const char *status, const char *allow,
                          const char *body)
{
    snprintf(buf, len,
             "Status: %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
             "Content-Length: %zu\r\n%s%s%s\r\n%s",
             status, strlen(body), allow ? "Allow: " : "", allow ? allow : "", allow ? "\r\n" : "",
             body);
    return buf;
}

START_TEST(post_gets_405_with_allow)
{
    char want[512];
    expect(want, sizeof want, "405 Method Not Allowed", "GET, HEAD", ERROR_405);
    ck_assert_ptr_nonnull(strstr(want, "\r\nAllow: GET, HEAD\r\n\r\n{"));
    const char *paths[] = {"/health", "/stats", "/history"};
    for (size_t i = 0; i < 3; i++) {
        char *r = ask("POST", paths[i], NULL);
        ck_assert_str_eq(r, want);
        free(r);
    }
}
END_TEST

START_TEST(unknown_path_gets_404)
{
    char want[512];
    expect(want, sizeof want, "404 Not Found", NULL, ERROR_404);
    char *r = ask("GET", "/metrics", NULL);
    ck_assert_str_eq(r, want);
    free(r);
    r = ask("HEAD", "/", NULL);
    ck_assert_uint_eq(strlen(r), strlen(want) - strlen(ERROR_404));
    ck_assert(strncmp(r, want, strlen(r)) == 0);
    free(r);
}
END_TEST

START_TEST(error_answers_have_the_given_shape)
{
    char want[512];
    size_t len;
    const char *body = "{\"error\":\"bad_config\",\"message\":\"see the server's error log\"}";
    char *r = handlers_error(500, NULL, "bad_config", "see the server's error log", false, &len);
    ck_assert_str_eq(r, expect(want, sizeof want, "500 Internal Server Error", NULL, body));
    ck_assert_uint_eq(len, strlen(r));
    free(r);
    r = handlers_error(405, "GET", "x", "y", true, &len);
    ck_assert_str_eq(r, "Status: 405 Method Not Allowed\r\nContent-Type: application/json\r\n"
                        "Cache-Control: no-store\r\nContent-Length: 27\r\nAllow: GET\r\n\r\n");
    free(r);
}
END_TEST

/* Stop Redis and wait until it refuses connections (under CK_FORK the test
 * is not its parent, so redis_server_stop cannot wait for it). */
static void stop_redis(void)
{
    redis_server_stop(&srv);
    char out[16];
    for (int i = 0; i < 500 && redis_server_cmd(&srv, out, sizeof out, "PING"); i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    ck_assert(!redis_server_cmd(&srv, out, sizeof out, "PING"));
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

START_TEST(unavailable_while_redis_is_stopped)
{
    struct stderr_capture cap;
    stderr_capture_start(&cap);
    log_init("check_handlers", LOG_INFO);
    char *r = ask("GET", "/stats", NULL);
    ck_assert_int_eq(status_of(r), 200);
    free(r);
    stop_redis();
    char unavailable[512];
    expect(unavailable, sizeof unavailable, "503 Service Unavailable", NULL,
           "{\"error\":\"unavailable\",\"message\":\"Redis is unreachable\"}");
    char *stats = ask("GET", "/stats", NULL);
    char *history = ask("GET", "/history", "symbol=BTC");
    char *health = ask("GET", "/health", NULL);
    ck_assert(redis_server_restart(&srv));
    char *stats_back = ask("GET", "/stats", NULL);
    char *history_back = ask("GET", "/history", "symbol=BTC");
    char *log = stderr_capture_end(&cap);
    ck_assert(log[0] != '\0');

    ck_assert_str_eq(stats, unavailable);
    char history_unavailable[512]; /* worded as the gateway words it */
    expect(history_unavailable, sizeof history_unavailable, "503 Service Unavailable", NULL,
           "{\"error\":\"unavailable\",\"message\":\"history is unavailable: Redis is "
           "unreachable\"}");
    ck_assert_str_eq(history, history_unavailable);
    ck_assert_int_eq(status_of(health), 503);
    json_t *obj = json_of(health);
    ck_assert_str_eq(str_at(obj, "status", NULL), "down");
    ck_assert(strncmp(str_at(obj, "reason", NULL), "redis unreachable", 17) == 0);
    json_decref(obj);
    ck_assert_int_eq(status_of(stats_back), 200);
    ck_assert_str_eq(body_of(history_back), "{\"symbol\":\"BTC\",\"points\":[]}");
    /* Two failing answers, one warning; one line when Redis is back. */
    ck_assert_int_eq(count(log, "check_handlers[warn] Redis unreachable: "), 1);
    ck_assert_int_eq(count(log, "check_handlers[info] Redis answers again"), 1);
    ck_assert_msg(strstr(log, "Redis unreachable") < strstr(log, "Redis answers again"), "%s", log);
    free(stats);
    free(history);
    free(health);
    free(stats_back);
    free(history_back);
    free(log);
}
END_TEST

static TCase *tcase_with_redis(const char *name)
{
    TCase *t = tcase_create(name);
    tcase_add_unchecked_fixture(t, redis_up, redis_down);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 20);
    return t;
}

static Suite *handlers_suite(void)
{
    Suite *s = suite_create("handlers");
    TCase *t = tcase_with_redis("answers");
    tcase_add_test(t, health_is_503_until_the_feeder_heartbeat);
    tcase_add_test(t, health_logs_status_changes_once);
    tcase_add_test(t, stats_merges_fresh_workers);
    tcase_add_test(t, history_gives_the_newest_points);
    tcase_add_test(t, history_refuses_bad_queries);
    tcase_add_test(t, head_gets_the_headers_without_the_body);
    tcase_add_test(t, post_gets_405_with_allow);
    tcase_add_test(t, unknown_path_gets_404);
    tcase_add_test(t, error_answers_have_the_given_shape);
    suite_add_tcase(s, t);
    /* Its own redis-server: the test stops and restarts it. */
    TCase *o = tcase_with_redis("outage");
    tcase_add_test(o, unavailable_while_redis_is_stopped);
    suite_add_tcase(s, o);
    return s;
}

CHECK_MAIN(handlers_suite)
