/* Unit tests of fcgi/route.c: which request is /health, /stats or /history,
 * for the CGI variables each web server sends, the query parameters it reads
 * (lib/urlcode) and the query words a CGI server passes as arguments. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "route.h"
#include "urlcode.h"

#include <string.h>

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

static Suite *route_suite(void)
{
    Suite *s = suite_create("route");
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
    return s;
}

CHECK_MAIN(route_suite)
