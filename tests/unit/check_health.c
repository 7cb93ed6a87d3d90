/* Unit tests of the fcgi modules without I/O: route.c (which request is
 * /health, /stats or /history, for the CGI variables each web server
 * sends, and query parameters), health.c (ok,
 * degraded, down and the JSON of PROTOCOL.md §5) and reply.c (CGI bytes). */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "health.h"
#include "reply.h"
#include "route.h"
#include "urlcode.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1764442000000LL /* ms, a fixed "now" */
#define INTERVAL 1500       /* ms, UPDATE_INTERVAL_MS */

/* ---- route ------------------------------------------------------------ */

START_TEST(routes_apache_mod_proxy_fcgi)
{
    /* ProxyPass /health fcgi://127.0.0.1:9000/: no PATH_INFO. */
    struct route_vars v = {"GET", "/health", NULL, "/health", NULL};
    ck_assert_int_eq(route_request(&v), ROUTE_HEALTH);
    /* ProxyPass /api/ fcgi://127.0.0.1:9000/ with a query string */
    struct route_vars w = {"GET", "/api/health", NULL, "/api/health?x=1", NULL};
    ck_assert_int_eq(route_request(&w), ROUTE_HEALTH);
    /* SetEnv proxy-fcgi-pathinfo 1 */
    struct route_vars x = {"GET", "/health", "/health", "/health", NULL};
    ck_assert_int_eq(route_request(&x), ROUTE_HEALTH);
}
END_TEST

START_TEST(routes_apache_mod_fcgid)
{
    /* ScriptAlias /fcgi /usr/bin/cryptopulse-fcgi, GET /fcgi/health */
    struct route_vars v = {"GET", "/fcgi", "/health", "/fcgi/health?verbose", NULL};
    ck_assert_int_eq(route_request(&v), ROUTE_HEALTH);
}
END_TEST

START_TEST(routes_apache_mod_cgi)
{
    struct route_vars v = {"GET", "/cgi-bin/cryptopulse-fcgi", "/health",
                           "/cgi-bin/cryptopulse-fcgi/health", NULL};
    ck_assert_int_eq(route_request(&v), ROUTE_HEALTH);
    struct route_vars bare = {"GET", "/cgi-bin/cryptopulse-fcgi", NULL, "/cgi-bin/cryptopulse-fcgi",
                              NULL};
    ck_assert_int_eq(route_request(&bare), ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(routes_lighttpd)
{
    /* fastcgi.server = ("/health" => ...), "check-local" => "disable" */
    struct route_vars v = {"GET", "/health", "", "/health?a=b", NULL};
    ck_assert_int_eq(route_request(&v), ROUTE_HEALTH);
    /* fastcgi.server = ("/fcgi/" => ...) */
    struct route_vars w = {"HEAD", "/fcgi/health", NULL, "/fcgi/health", NULL};
    ck_assert_int_eq(route_request(&w), ROUTE_HEALTH);
}
END_TEST

START_TEST(routes_on_request_uri_when_nothing_else_is_set)
{
    struct route_vars v = {"GET", NULL, NULL, "/health?x=1#frag", NULL};
    ck_assert_int_eq(route_request(&v), ROUTE_HEALTH);
    struct route_vars none = {"GET", NULL, NULL, NULL, NULL};
    ck_assert_int_eq(route_request(&none), ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(ignores_trailing_slash)
{
    struct route_vars v = {"GET", "/cgi-bin/x", "/health/", NULL, NULL};
    ck_assert_int_eq(route_request(&v), ROUTE_HEALTH);
}
END_TEST

START_TEST(rejects_other_paths)
{
    const char *paths[] = {"/", "/healthz", "/health/extra", "/metrics", "/Health", ""};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct route_vars v = {"GET", paths[i], NULL, NULL, NULL};
        ck_assert_msg(route_request(&v) == ROUTE_NOT_FOUND, "path %s", paths[i]);
    }
}
END_TEST

START_TEST(rejects_other_methods_on_health)
{
    const char *methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "get"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        struct route_vars v = {methods[i], "/health", NULL, NULL, NULL};
        ck_assert_msg(route_request(&v) == ROUTE_BAD_METHOD, "method %s", methods[i]);
    }
    struct route_vars post404 = {"POST", "/nope", NULL, NULL, NULL};
    ck_assert_int_eq(route_request(&post404), ROUTE_NOT_FOUND);
    struct route_vars nomethod = {NULL, "/health", NULL, NULL, NULL};
    ck_assert_int_eq(route_request(&nomethod), ROUTE_HEALTH);
}
END_TEST

START_TEST(joins_script_name_and_path_info)
{
    char buf[64];
    struct route_vars v = {"GET", "/cgi-bin/x", "/health", "/ignored", NULL};
    ck_assert_int_eq(route_path(&v, buf, sizeof buf), 17);
    ck_assert_str_eq(buf, "/cgi-bin/x/health");
    ck_assert_int_eq(route_path(&v, buf, 8), -3 /* CP_ETOOBIG */);
    size_t len;
    const char *seg = route_last_segment("/a/bc//", &len);
    ck_assert_uint_eq(len, 2);
    ck_assert_int_eq(strncmp(seg, "bc", 2), 0);
    route_last_segment("///", &len);
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(routes_stats_and_history_for_every_server)
{
    /* mod_proxy_fcgi, mod_fcgid/mod_cgi, lighttpd mod_fastcgi, REQUEST_URI alone */
    struct route_vars stats[] = {
        {"GET", "/stats", NULL, "/stats", NULL},
        {"GET", "/cgi-bin/cryptopulse-fcgi", "/stats", "/cgi-bin/cryptopulse-fcgi/stats", NULL},
        {"HEAD", "/stats", "", "/stats", NULL},
        {"GET", NULL, NULL, "/api/stats?x=1", "x=1"},
    };
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
        ck_assert_int_eq(route_request(&stats[i]), ROUTE_STATS);
    struct route_vars history[] = {
        {"GET", "/history", NULL, "/history?symbol=BTC", "symbol=BTC"},
        {"GET", "/cgi/cryptopulse", "/history", "/cgi/cryptopulse/history?symbol=BTC",
         "symbol=BTC"},
        {"HEAD", "/history", NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof history / sizeof history[0]; i++)
        ck_assert_int_eq(route_request(&history[i]), ROUTE_HISTORY);
    struct route_vars post = {"POST", "/stats", NULL, NULL, NULL};
    ck_assert_int_eq(route_request(&post), ROUTE_BAD_METHOD);
    struct route_vars del = {"DELETE", "/cgi-bin/x", "/history", NULL, NULL};
    ck_assert_int_eq(route_request(&del), ROUTE_BAD_METHOD);
    struct route_vars near = {"GET", "/statsx", NULL, NULL, NULL};
    ck_assert_int_eq(route_request(&near), ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(reads_query_parameters)
{
    char buf[16];
    ck_assert_int_eq(urlcode_query_param("symbol=BTC&limit=5", "limit", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "5");
    ck_assert_int_eq(urlcode_query_param("limit=5;symbol=%42T%63", "symbol", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "BTc");
    ck_assert_int_eq(urlcode_query_param("a=x+y&symbol", "a", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "x y");
    ck_assert_int_eq(urlcode_query_param("a=1&symbol", "symbol", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(urlcode_query_param("symbols=BTC", "symbol", buf, sizeof buf), CP_ENOENT);
    ck_assert_int_eq(urlcode_query_param(NULL, "symbol", buf, sizeof buf), CP_ENOENT);
    ck_assert_int_eq(urlcode_query_param("", "symbol", buf, sizeof buf), CP_ENOENT);
    ck_assert_int_eq(urlcode_query_param("s=%4", "s", buf, sizeof buf), CP_EINVAL);
    ck_assert_int_eq(urlcode_query_param("s=%zz", "s", buf, sizeof buf), CP_EINVAL);
    ck_assert_int_eq(urlcode_query_param("s=a%00b", "s", buf, sizeof buf), CP_EINVAL);
    ck_assert_int_eq(urlcode_query_param("s=0123456789abcdef", "s", buf, sizeof buf), CP_ETOOBIG);
    ck_assert_int_eq(urlcode_query_param("s=0123456789abcde", "s", buf, sizeof buf), 0);
}
END_TEST

START_TEST(drops_indexed_query_words_from_argv)
{
    char *help[] = {"cryptopulse-fcgi", "--help"};
    ck_assert_int_eq(route_cgi_argc(2, help, "--help"), 1);
    ck_assert_int_eq(route_cgi_argc(2, help, "%2D%2dhelp"), 1);
    char *two[] = {"prog", "--redis-port", "6380", "a", "b c"};
    ck_assert_int_eq(route_cgi_argc(5, two, "a+b%20c"), 3);
    char *esc[] = {"prog", "x\\&y"}; /* Apache's ap_escape_shell_cmd */
    ck_assert_int_eq(route_cgi_argc(2, esc, "x%26y"), 1);
}
END_TEST

START_TEST(keeps_argv_that_is_not_the_query)
{
    char *argv[] = {"prog", "--redis-port", "6380"};
    ck_assert_int_eq(route_cgi_argc(3, argv, "x=1"), 3);     /* has '=': not indexed */
    ck_assert_int_eq(route_cgi_argc(3, argv, "6381"), 3);    /* argv does not end with it */
    ck_assert_int_eq(route_cgi_argc(3, argv, "a+b+c+d"), 3); /* more words than args */
    ck_assert_int_eq(route_cgi_argc(3, argv, ""), 3);
    ck_assert_int_eq(route_cgi_argc(3, argv, NULL), 3);
}
END_TEST

/* ---- health ----------------------------------------------------------- */

static struct health_probe healthy(void)
{
    struct health_probe p = {.connected = true,
                             .latency_ms = 0.4123,
                             .version = "7.0.15",
                             .heartbeat_found = true,
                             .heartbeat_ms = NOW - 812};
    return p;
}

START_TEST(ok_with_fresh_heartbeat)
{
    struct health_probe p = healthy();
    char reason[256];
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_OK);
    ck_assert_str_eq(reason, "");
    p.heartbeat_ms = NOW - 3 * INTERVAL; /* exactly at the limit still counts */
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_OK);
    p.heartbeat_ms = NOW + 50; /* feeder clock slightly ahead */
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_OK);
    ck_assert_int_eq(health_heartbeat_age(&p, NOW), 0);
}
END_TEST

START_TEST(degraded_with_stale_heartbeat)
{
    struct health_probe p = healthy();
    p.heartbeat_ms = NOW - 3 * INTERVAL - 1;
    char reason[256];
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_DEGRADED);
    ck_assert_ptr_nonnull(strstr(reason, "4501 ms"));
    ck_assert_int_eq(health_http_status(HEALTH_DEGRADED), 503);
}
END_TEST

START_TEST(degraded_without_heartbeat)
{
    struct health_probe p = healthy();
    p.heartbeat_found = false;
    char reason[256];
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_DEGRADED);
    ck_assert_str_eq(reason, "no feeder heartbeat");
    ck_assert_int_eq(health_heartbeat_age(&p, NOW), -1);
}
END_TEST

START_TEST(down_without_redis)
{
    struct health_probe p = {.connected = false, .error = "127.0.0.1:6379: Connection refused"};
    char reason[256];
    ck_assert_int_eq(health_evaluate(&p, NOW, INTERVAL, reason, sizeof reason), HEALTH_DOWN);
    ck_assert_str_eq(reason, "redis unreachable: 127.0.0.1:6379: Connection refused");
    ck_assert_str_eq(health_status_name(HEALTH_DOWN), "down");
    ck_assert_int_eq(health_http_status(HEALTH_DOWN), 503);
}
END_TEST

START_TEST(ok_json_has_protocol_shape)
{
    struct health_probe p = healthy();
    int status = 0;
    json_t *obj = health_to_json(&p, NOW, INTERVAL, &status);
    ck_assert_ptr_nonnull(obj);
    ck_assert_int_eq(status, 200);
    char *text = reply_json(obj);
    ck_assert_str_eq(text, "{\"status\":\"ok\",\"redis\":{\"connected\":true,\"latency_ms\":0.41,"
                           "\"version\":\"7.0.15\"},\"feeder\":{\"last_tick_age_ms\":812},"
                           "\"time\":1764442000000}");
    free(text);
    json_decref(obj);
}
END_TEST

START_TEST(down_json_keeps_shape_with_nulls)
{
    struct health_probe p = {.connected = false, .error = "timeout"};
    int status = 0;
    json_t *obj = health_to_json(&p, NOW, INTERVAL, &status);
    ck_assert_int_eq(status, 503);
    ck_assert_str_eq(json_string_value(json_object_get(obj, "status")), "down");
    ck_assert_str_eq(json_string_value(json_object_get(obj, "reason")),
                     "redis unreachable: timeout");
    json_t *redis = json_object_get(obj, "redis");
    ck_assert(json_is_false(json_object_get(redis, "connected")));
    ck_assert(json_is_null(json_object_get(redis, "latency_ms")));
    ck_assert(json_is_null(json_object_get(redis, "version")));
    ck_assert(json_is_null(json_object_get(json_object_get(obj, "feeder"), "last_tick_age_ms")));
    ck_assert_int_eq(json_integer_value(json_object_get(obj, "time")), NOW);
    json_decref(obj);
}
END_TEST

START_TEST(degraded_json_has_reason_and_age)
{
    struct health_probe p = healthy();
    p.heartbeat_ms = NOW - 10000;
    int status = 0;
    json_t *obj = health_to_json(&p, NOW, INTERVAL, &status);
    ck_assert_int_eq(status, 503);
    ck_assert_str_eq(json_string_value(json_object_get(obj, "status")), "degraded");
    ck_assert(json_is_string(json_object_get(obj, "reason")));
    ck_assert(json_is_true(json_object_get(json_object_get(obj, "redis"), "connected")));
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(obj, "feeder"), "last_tick_age_ms")),
        10000);
    json_decref(obj);
}
END_TEST

/* ---- reply ------------------------------------------------------------ */

START_TEST(formats_cgi_headers_and_body)
{
    size_t len;
    char *out = reply_format(503, NULL, "{\"a\":1}", false, &len);
    ck_assert_str_eq(out, "Status: 503 Service Unavailable\r\n"
                          "Content-Type: application/json\r\n"
                          "Cache-Control: no-store\r\n"
                          "Content-Length: 7\r\n"
                          "\r\n"
                          "{\"a\":1}");
    ck_assert_uint_eq(len, strlen(out));
    free(out);
}
END_TEST

START_TEST(head_keeps_length_without_body)
{
    size_t len;
    char *out = reply_format(405, ROUTE_ALLOW, "{\"a\":1}", true, &len);
    ck_assert_ptr_nonnull(strstr(out, "Content-Length: 7\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "Allow: GET, HEAD\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "Status: 405 Method Not Allowed\r\n"));
    ck_assert_uint_eq(len, strlen(out));
    ck_assert_str_eq(out + len - 4, "\r\n\r\n");
    free(out);
}
END_TEST

START_TEST(error_body_is_json)
{
    char *body = reply_error_body("not_found", "no \"such\" thing");
    ck_assert_str_eq(body, "{\"error\":\"not_found\",\"message\":\"no \\\"such\\\" thing\"}");
    free(body);
}
END_TEST

static Suite *health_suite(void)
{
    Suite *s = suite_create("health");
    TCase *r = tcase_create("route");
    tcase_add_test(r, routes_apache_mod_proxy_fcgi);
    tcase_add_test(r, routes_apache_mod_fcgid);
    tcase_add_test(r, routes_apache_mod_cgi);
    tcase_add_test(r, routes_lighttpd);
    tcase_add_test(r, routes_on_request_uri_when_nothing_else_is_set);
    tcase_add_test(r, ignores_trailing_slash);
    tcase_add_test(r, rejects_other_paths);
    tcase_add_test(r, rejects_other_methods_on_health);
    tcase_add_test(r, joins_script_name_and_path_info);
    tcase_add_test(r, routes_stats_and_history_for_every_server);
    tcase_add_test(r, reads_query_parameters);
    tcase_add_test(r, drops_indexed_query_words_from_argv);
    tcase_add_test(r, keeps_argv_that_is_not_the_query);
    suite_add_tcase(s, r);
    TCase *h = tcase_create("health");
    tcase_add_test(h, ok_with_fresh_heartbeat);
    tcase_add_test(h, degraded_with_stale_heartbeat);
    tcase_add_test(h, degraded_without_heartbeat);
    tcase_add_test(h, down_without_redis);
    tcase_add_test(h, ok_json_has_protocol_shape);
    tcase_add_test(h, down_json_keeps_shape_with_nulls);
    tcase_add_test(h, degraded_json_has_reason_and_age);
    suite_add_tcase(s, h);
    TCase *y = tcase_create("reply");
    tcase_add_test(y, formats_cgi_headers_and_body);
    tcase_add_test(y, head_keeps_length_without_body);
    tcase_add_test(y, error_body_is_json);
    suite_add_tcase(s, y);
    return s;
}

CHECK_MAIN(health_suite)
