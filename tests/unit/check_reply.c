/* Unit tests of fcgi/reply.c: the CGI bytes of an answer (status line,
 * headers, body, HEAD) and the JSON error body. */
#include "config.h"

#include "check_main.h"
#include "reply.h"
#include "route.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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

START_TEST(json_body_is_compact_and_short)
{
    json_t *obj = json_pack("{s:s, s:f}", "status", "ok", "latency_ms", 0.4);
    char *text = reply_json(obj);
    ck_assert_str_eq(text, "{\"status\":\"ok\",\"latency_ms\":0.4}");
    free(text);
    json_decref(obj);
}
END_TEST

START_TEST(status_lines_for_every_answer)
{
    int codes[] = {200, 400, 404, 500};
    const char *lines[] = {"Status: 200 OK\r\n", "Status: 400 Bad Request\r\n",
                           "Status: 404 Not Found\r\n", "Status: 500 Internal Server Error\r\n"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        size_t len;
        char *out = reply_format(codes[i], NULL, "{}", false, &len);
        ck_assert_msg(strncmp(out, lines[i], strlen(lines[i])) == 0, "%d: %s", codes[i], out);
        ck_assert_str_eq(out + len - 2, "{}");
        free(out);
    }
}
END_TEST

static Suite *reply_suite(void)
{
    Suite *s = suite_create("reply");
    TCase *y = tcase_create("reply");
    tcase_add_test(y, formats_cgi_headers_and_body);
    tcase_add_test(y, head_keeps_length_without_body);
    tcase_add_test(y, error_body_is_json);
    tcase_add_test(y, json_body_is_compact_and_short);
    tcase_add_test(y, status_lines_for_every_answer);
    suite_add_tcase(s, y);
    return s;
}

CHECK_MAIN(reply_suite)
