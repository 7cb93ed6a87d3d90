#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "http.h"
#include "urlcode.h"

#include <stdio.h>
#include <string.h>

static const char upgrade_req[] = "GET /ws?x=1 HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                                  "Connection: keep-alive, Upgrade\r\n"
                                  "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                  "Sec-WebSocket-Version: 13\r\n\r\n";

/* Feed parts in turn, as separate reads; the last must complete the head.
 * Returns the last result (earlier ones must be CP_EAGAIN). */
static int feed_parts(struct http_request *r, const char *const *parts, size_t n)
{
    int rc = CP_EAGAIN;
    for (size_t i = 0; i < n; i++) {
        size_t used;
        rc = http_request_feed(r, parts[i], strlen(parts[i]), &used);
        if (rc != CP_EAGAIN)
            return rc;
        ck_assert_uint_eq(used, strlen(parts[i]));
    }
    return rc;
}

static int feed_one(struct http_request *r, const char *req)
{
    return feed_parts(r, &req, 1);
}

START_TEST(parses_upgrade_request_with_case_insensitive_headers)
{
    struct http_request *r = http_request_new(8192, 100);
    size_t used;
    ck_assert_int_eq(http_request_feed(r, upgrade_req, strlen(upgrade_req), &used), CP_OK);
    ck_assert_uint_eq(used, strlen(upgrade_req));
    ck_assert_str_eq(http_request_path(r), "/ws");
    ck_assert_str_eq(http_request_query(r), "x=1");
    ck_assert_str_eq(http_request_header(r, HTTP_H_WS_KEY), "dGhlIHNhbXBsZSBub25jZQ==");
    ck_assert(http_token_list_has(http_request_header(r, HTTP_H_CONNECTION), "upgrade"));
    ck_assert(http_request_is_get(r));
    http_request_free(r);
}
END_TEST

START_TEST(accepts_a_request_one_byte_at_a_time)
{
    struct http_request *r = http_request_new(8192, 100);
    size_t used, n = strlen(upgrade_req);
    int rc = CP_EAGAIN;
    for (size_t i = 0; i < n; i++) {
        rc = http_request_feed(r, upgrade_req + i, 1, &used);
        ck_assert_uint_eq(used, 1);
        if (i + 1 < n)
            ck_assert_int_eq(rc, CP_EAGAIN);
    }
    ck_assert_int_eq(rc, CP_OK);
    ck_assert_str_eq(http_request_header(r, HTTP_H_WS_VERSION), "13");
    http_request_free(r);
}
END_TEST

START_TEST(leaves_bytes_after_the_head_unconsumed)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%s\x81\x85", upgrade_req);
    struct http_request *r = http_request_new(8192, 100);
    size_t used;
    ck_assert_int_eq(http_request_feed(r, buf, (size_t)n, &used), CP_OK);
    ck_assert_uint_eq(used, strlen(upgrade_req));
    http_request_free(r);
}
END_TEST

/* Found by fuzz/http.c: the parser's upgrade flag is set from the head on,
 * and was taken for an error while the body was still to come. */
START_TEST(upgrade_request_body_in_a_later_read_is_need_more)
{
    static const char head[] = "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nContent-Length: 5\r\n\r\n";
    struct http_request *r = http_request_new(8192, 100);
    size_t used;
    ck_assert_int_eq(http_request_feed(r, head, strlen(head), &used), CP_EAGAIN);
    ck_assert_uint_eq(used, strlen(head));
    ck_assert_int_eq(http_request_feed(r, "hello", 5, &used), CP_OK);
    ck_assert_uint_eq(used, 5);
    http_request_free(r);
}
END_TEST

/* RFC 9110 §6.5.1: trailer fields are not merged into the header section;
 * one named Origin or Host must not change what the head said. */
START_TEST(trailer_fields_are_not_taken_for_headers)
{
    static const char req[] = "GET /events HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                              "\r\n0\r\nOrigin: http://evil.example\r\nHost: b\r\n"
                              "Connection: close\r\n\r\n";
    struct http_request *r = http_request_new(8192, 100);
    ck_assert_int_eq(feed_one(r, req), CP_OK);
    ck_assert_str_eq(http_request_header(r, HTTP_H_HOST), "a");
    ck_assert_ptr_null(http_request_header(r, HTTP_H_ORIGIN));
    ck_assert_ptr_null(http_request_header(r, HTTP_H_CONNECTION));
    ck_assert(http_request_keep_alive(r));
    http_request_free(r);
}
END_TEST

START_TEST(head_over_the_limit_is_too_big)
{
    struct http_request *r = http_request_new(256, 100);
    char buf[1024] = "GET / HTTP/1.1\r\nX-Long: ";
    memset(buf + strlen(buf), 'a', 600);
    size_t used;
    ck_assert_int_eq(http_request_feed(r, buf, strlen(buf), &used), CP_ETOOBIG);
    http_request_free(r);
}
END_TEST

START_TEST(malformed_request_is_a_protocol_error)
{
    struct http_request *r = http_request_new(8192, 100);
    const char *bad = "GARBAGE\r\n\r\n";
    size_t used;
    ck_assert_int_eq(http_request_feed(r, bad, strlen(bad), &used), CP_EPROTO);
    http_request_free(r);
}
END_TEST

/* An unknown method in a well-formed request line is told apart from other
 * malformed heads: the gateway answers it 501 (RFC 9110 §9.1), the rest 400
 * ("garbage line" starts like a method too, but is no request line). */
START_TEST(unknown_method_is_told_apart_from_a_malformed_head)
{
    static const char *const unknown[] = {"BREW / HTTP/1.1\r\nHost: x\r\n\r\n",
                                          "get / HTTP/1.1\r\nHost: x\r\n\r\n"};
    static const char *const malformed[] = {"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
                                            "garbage line\r\n\r\n"};
    size_t used;
    for (size_t i = 0; i < 2; i++) {
        struct http_request *r = http_request_new(8192, 100);
        ck_assert_int_eq(http_request_feed(r, unknown[i], strlen(unknown[i]), &used), CP_EPROTO);
        ck_assert(http_request_method_unknown(r));
        http_request_free(r);
        r = http_request_new(8192, 100);
        ck_assert_int_eq(http_request_feed(r, malformed[i], strlen(malformed[i]), &used),
                         CP_EPROTO);
        ck_assert(!http_request_method_unknown(r));
        http_request_free(r);
    }
}
END_TEST

START_TEST(keep_alive_requests_parse_after_reset)
{
    const char *two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    struct http_request *r = http_request_new(8192, 100);
    size_t used;
    ck_assert_int_eq(http_request_feed(r, two, strlen(two), &used), CP_OK);
    ck_assert_str_eq(http_request_path(r), "/a");
    ck_assert(http_request_keep_alive(r));
    http_request_reset(r);
    size_t used2;
    ck_assert_int_eq(http_request_feed(r, two + used, strlen(two) - used, &used2), CP_OK);
    ck_assert_str_eq(http_request_path(r), "/b");
    http_request_free(r);
}
END_TEST

/* RFC 9110 §5.5: OWS before and after a field value is not part of it. */
START_TEST(trailing_whitespace_is_not_part_of_a_value)
{
    static const char req[] = "GET /ws HTTP/1.1\r\nHost: a \r\nUpgrade:\twebsocket\t\r\n"
                              "Connection:Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==  \r\n"
                              "Sec-WebSocket-Version: \t13 \t \r\n"
                              "Origin: http://a.example\t\r\n"
                              "Last-Event-ID: 1738454400000-3 \r\n\r\n";
    struct http_request *r = http_request_new(8192, 100);
    ck_assert_int_eq(feed_one(r, req), CP_OK);
    ck_assert_str_eq(http_request_header(r, HTTP_H_HOST), "a");
    ck_assert_str_eq(http_request_header(r, HTTP_H_UPGRADE), "websocket");
    ck_assert_str_eq(http_request_header(r, HTTP_H_CONNECTION), "Upgrade");
    ck_assert_str_eq(http_request_header(r, HTTP_H_WS_KEY), "dGhlIHNhbXBsZSBub25jZQ==");
    ck_assert_str_eq(http_request_header(r, HTTP_H_WS_VERSION), "13");
    ck_assert_str_eq(http_request_header(r, HTTP_H_ORIGIN), "http://a.example");
    ck_assert_str_eq(http_request_header(r, HTTP_H_LAST_EVENT_ID), "1738454400000-3");
    http_request_free(r);
}
END_TEST

/* http-parser hands a value over at the end of each read: the whitespace
 * in the second read must still be found to be trailing. */
START_TEST(trailing_whitespace_in_a_later_read_is_trimmed)
{
    static const char *const parts[] = {
        "GET /ws HTTP/1.1\r\nHost: a\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        " \t ",
        "\r\nSec-WebSocket-Version: 1",
        "3",
        "\t",
        "\r",
        "\n",
        "If-Modified-Since: Sun, 02 Feb 2025 00:00:00 GMT",
        " ",
        "\r\n\r\n"};
    struct http_request *r = http_request_new(8192, 100);
    ck_assert_int_eq(feed_parts(r, parts, sizeof parts / sizeof parts[0]), CP_OK);
    ck_assert_str_eq(http_request_header(r, HTTP_H_WS_KEY), "dGhlIHNhbXBsZSBub25jZQ==");
    ck_assert_str_eq(http_request_header(r, HTTP_H_WS_VERSION), "13");
    ck_assert_str_eq(http_request_header(r, HTTP_H_IF_MODIFIED_SINCE),
                     "Sun, 02 Feb 2025 00:00:00 GMT");
    http_request_free(r);
}
END_TEST

/* Repeated lines are joined after each is trimmed; whitespace inside a
 * value stays. */
START_TEST(repeated_lines_are_trimmed_before_they_are_joined)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br ;q=1 \t\r\n"
                              "Accept-Encoding:\tgzip\t\r\nIf-None-Match: \"x\" \r\n"
                              "If-None-Match: \r\nConnection: keep-alive\t\r\n\r\n";
    struct http_request *r = http_request_new(8192, 100);
    ck_assert_int_eq(feed_one(r, req), CP_OK);
    ck_assert_str_eq(http_request_header(r, HTTP_H_ACCEPT_ENCODING), "br ;q=1, gzip");
    ck_assert_str_eq(http_request_header(r, HTTP_H_IF_NONE_MATCH), "\"x\", ");
    ck_assert_str_eq(http_request_header(r, HTTP_H_CONNECTION), "keep-alive");
    http_request_free(r);
}
END_TEST

/* RFC 9112 §5.2: a server may refuse obs-fold with 400; the gateway does,
 * on any line, however the bytes are split into reads. */
START_TEST(obs_fold_is_a_protocol_error)
{
    static const char *const folds[] = {
        "GET / HTTP/1.1\r\nHost: a\r\nX-Foo: a\r\n b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n Connection: Upgrade\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: web\r\n\tsocket\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\nX-Foo: a\n\tb\n\n",
        "GET / HTTP/1.1\r\n Host: a\r\n\r\n", /* §2.2: before the first field */
    };
    struct http_request *r = http_request_new(8192, 100);
    ck_assert_int_eq(feed_one(r, folds[_i]), CP_EPROTO);
    ck_assert_msg(strstr(http_request_error(r), "folding"), "%s", http_request_error(r));
    http_request_free(r);
}
END_TEST

START_TEST(obs_fold_is_found_when_its_space_comes_in_a_later_read)
{
    static const char *const parts[] = {"GET / HTTP/1.1\r\nHost: a\r\nX-Foo: a\r", "\n",
                                        " b\r\n\r\n"};
    static const char *const parts2[] = {"GET / HTTP/1.1\r\nHost: a\r\nX-Foo: a\r\n", "\t",
                                         "b\r\n\r\n"};
    struct http_request *r = http_request_new(8192, 100);
    ck_assert_int_eq(feed_parts(r, parts, 3), CP_EPROTO);
    http_request_reset(r);
    ck_assert_int_eq(feed_parts(r, parts2, 3), CP_EPROTO);
    http_request_free(r);
}
END_TEST

/* The blank line ends the scan: whitespace at a line start after the head,
 * in a body or in the next pipelined request line, is not a fold. */
START_TEST(whitespace_after_the_head_is_not_a_fold)
{
    static const char req[] = "\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n\n x\n";
    struct http_request *r = http_request_new(8192, 100);
    size_t used;
    ck_assert_int_eq(http_request_feed(r, req, strlen(req), &used), CP_OK);
    ck_assert_uint_eq(used, strlen(req));
    http_request_free(r);
}
END_TEST

/* RFC 9112 §5.1: no whitespace between a field name and the colon; this
 * http-parser build would take "Host " as another header's name. */
START_TEST(whitespace_before_the_colon_is_a_protocol_error)
{
    static const char *const parts[] = {"GET / HTTP/1.1\r\nHo", "st : a\r\n\r\n"};
    struct http_request *r = http_request_new(8192, 100);
    ck_assert_int_eq(feed_parts(r, parts, 2), CP_EPROTO);
    ck_assert_msg(strstr(http_request_error(r), "colon"), "%s", http_request_error(r));
    http_request_reset(r);
    ck_assert_int_eq(feed_one(r, "GET / HTTP/1.1\r\nHost: a\r\nX Y: z\r\n\r\n"), CP_EPROTO);
    http_request_free(r);
}
END_TEST

/* RFC 9112 §3.2: an HTTP/1.1 request must carry exactly one valid Host;
 * an HTTP/1.0 one may leave it out. */
static const struct {
    const char *req;
    const char *error; /* NULL: accepted, else a word of the reason */
} host_cases[] = {
    {"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", "without a Host"},
    {"GET /health HTTP/1.1\r\n\r\n", "without a Host"},
    {"GET /health HTTP/1.0\r\n\r\n", NULL},
    {"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", NULL},
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "more than one"},
    {"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", "more than one"},
    {"GET / HTTP/1.1\r\nHost: a\r\nHOST:\r\n\r\n", "more than one"},
    {"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", "more than one"},
    {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "not a valid"},
    {"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", "not a valid"},
    {"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", "not a valid"},
    {"GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", "not a valid"},
    {"GET / HTTP/1.1\r\nHost: []\r\n\r\n", "not a valid"},
    {"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", "not a valid"},
    {"GET / HTTP/1.1\r\nHost:\r\n\r\n", NULL}, /* allowed empty */
    {"GET / HTTP/1.1\r\nHost: example.com:8080 \r\n\r\n", NULL},
    {"GET / HTTP/1.1\r\nHost: [::1]:3000\r\n\r\n", NULL},
    {"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", NULL},
    {"GET / HTTP/1.1\r\nHost: xn--bcher-kva.example:\r\n\r\n", NULL},
    {"GET / HTTP/1.1\r\nHost: a%2Db_c~\r\n\r\n", NULL},
};

START_TEST(host_is_required_once_on_http_1_1)
{
    struct http_request *r = http_request_new(8192, 100);
    int rc = feed_one(r, host_cases[_i].req);
    if (!host_cases[_i].error) {
        ck_assert_msg(rc == CP_OK, "refused (%s): %s", http_request_error(r), host_cases[_i].req);
    } else {
        ck_assert_msg(rc == CP_EPROTO, "accepted: %s", host_cases[_i].req);
        ck_assert_msg(strstr(http_request_error(r), host_cases[_i].error), "%s",
                      http_request_error(r));
    }
    http_request_free(r);
}
END_TEST

/* RFC 9112 §9.3 with the Connection options as a list with OWS: http-parser
 * missed "close" before a tab. */
static const struct {
    const char *req;
    bool keep;
} persistence[] = {
    {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
    {"GET / HTTP/1.1\r\nHost: a\r\nConnection:\tclose\t\r\n\r\n", false},
    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade ,\tClose\t\r\n\r\n", false},
    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", true},
    {"GET / HTTP/1.0\r\n\r\n", false},
    {"GET / HTTP/1.0\r\nConnection: keep-alive\t\r\n\r\n", true},
    {"GET / HTTP/1.0\r\nConnection: x ,\tKeep-Alive\r\n\r\n", true},
    {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
};

START_TEST(connection_close_and_keep_alive_are_found_in_the_list)
{
    struct http_request *r = http_request_new(8192, 100);
    ck_assert_int_eq(feed_one(r, persistence[_i].req), CP_OK);
    ck_assert_msg(http_request_keep_alive(r) == persistence[_i].keep, "%s", persistence[_i].req);
    http_request_free(r);
}
END_TEST

START_TEST(query_parameters_are_percent_decoded)
{
    char out[64];
    ck_assert_int_eq(urlcode_query_param("a=1&symbols=BTC%2CETH&b", "symbols", out, sizeof out), 0);
    ck_assert_str_eq(out, "BTC,ETH");
    ck_assert_int_eq(urlcode_query_param("a=1", "symbols", out, sizeof out), CP_ENOENT);
    ck_assert_int_eq(urlcode_query_param("s=%zz", "s", out, sizeof out), CP_EINVAL);
    ck_assert_int_eq(urlcode_query_param("s=%00", "s", out, sizeof out), CP_EINVAL);
    ck_assert_int_eq(urlcode_query_param("s=abcdef", "s", out, 4), CP_ETOOBIG);
}
END_TEST

START_TEST(token_lists_match_whole_tokens)
{
    ck_assert(http_token_list_has("keep-alive, Upgrade", "upgrade"));
    ck_assert(http_token_list_has("Upgrade", "upgrade"));
    ck_assert(!http_token_list_has("upgrades", "upgrade"));
    ck_assert(!http_token_list_has("", "upgrade"));
}
END_TEST

/* RFC 9110 §5.6.1: OWS around elements, and empty elements, are allowed. */
START_TEST(token_lists_allow_whitespace_around_elements)
{
    ck_assert(http_token_list_has("keep-alive ,\tUpgrade\t", "upgrade"));
    ck_assert(http_token_list_has(" ,\t, websocket , ", "websocket"));
    ck_assert(http_token_list_has("a,upgrade", "upgrade"));
    ck_assert(!http_token_list_has("up grade", "upgrade"));
    ck_assert(!http_token_list_has("\t,  ,", "upgrade"));
    ck_assert(!http_token_list_has(NULL, "upgrade"));
    /* As the parser hands them over: trimmed, repeated lines joined. */
    struct http_request *r = http_request_new(8192, 100);
    ck_assert_int_eq(feed_one(r, "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive ,\t\r\n"
                                 "Connection:\tUpgrade \r\nUpgrade: h2c\t,websocket \r\n\r\n"),
                     CP_OK);
    ck_assert_str_eq(http_request_header(r, HTTP_H_CONNECTION), "keep-alive ,, Upgrade");
    ck_assert(http_token_list_has(http_request_header(r, HTTP_H_CONNECTION), "upgrade"));
    ck_assert_str_eq(http_request_header(r, HTTP_H_UPGRADE), "h2c\t,websocket");
    ck_assert(http_token_list_has(http_request_header(r, HTTP_H_UPGRADE), "websocket"));
    http_request_free(r);
}
END_TEST

START_TEST(methods_and_versions_are_reported)
{
    struct http_request *r = http_request_new(8192, 100);
    ck_assert(!http_request_started(r));
    ck_assert_int_eq(feed_one(r, "HEAD /a HTTP/1.0\r\n\r\n"), CP_OK);
    ck_assert(http_request_started(r));
    ck_assert_str_eq(http_request_method(r), "HEAD");
    ck_assert(http_request_is_head(r) && !http_request_is_get(r) && !http_request_is_options(r));
    ck_assert_int_eq(http_request_major(r), 1);
    ck_assert_int_eq(http_request_minor(r), 0);
    http_request_reset(r);
    ck_assert(!http_request_started(r));
    ck_assert_int_eq(feed_one(r, "OPTIONS /stats HTTP/1.1\r\nHost: a\r\n\r\n"), CP_OK);
    ck_assert_str_eq(http_request_method(r), "OPTIONS");
    ck_assert(http_request_is_options(r) && !http_request_is_head(r));
    ck_assert_int_eq(http_request_minor(r), 1);
    http_request_free(r);
}
END_TEST

/* A URL over HTTP_URL_MAX is told apart from a head over the limit: 414,
 * not 431. */
START_TEST(url_over_the_limit_is_too_long)
{
    static char req[HTTP_URL_MAX + 64];
    snprintf(req, sizeof req, "GET /%0*d HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_URL_MAX, 0);
    struct http_request *r = http_request_new(sizeof req, 100);
    ck_assert_int_eq(feed_one(r, req), CP_ETOOBIG);
    ck_assert(http_request_url_too_long(r));
    http_request_free(r);
    r = http_request_new(64, 100);
    ck_assert_int_eq(feed_one(r, "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: "
                                 "0123456789012345678901234567890123456789\r\n\r\n"),
                     CP_ETOOBIG);
    ck_assert(!http_request_url_too_long(r));
    http_request_free(r);
}
END_TEST

START_TEST(status_texts_are_the_standard_reason_phrases)
{
    ck_assert_str_eq(http_status_text(101), "Switching Protocols");
    ck_assert_str_eq(http_status_text(304), "Not Modified");
    ck_assert_str_eq(http_status_text(414), "URI Too Long");
    ck_assert_str_eq(http_status_text(431), "Request Header Fields Too Large");
    ck_assert_str_eq(http_status_text(413), "Content Too Large"); /* RFC 9110 §15.5.14 */
    ck_assert_str_eq(http_status_text(503), "Service Unavailable");
    ck_assert_str_eq(http_status_text(299), "Unknown");
}
END_TEST

/* Request bodies (http_request_set_max_body): read up to the limit, by Content-Length or
 * chunked (data, not framing, counted), 413's CP_ETOOBIG beyond; else skipped as before. */
static const char post_head[] = "POST /socket.io/?EIO=4 HTTP/1.1\r\nHost: a\r\n";

static struct http_request *body_request(size_t max_body)
{
    struct http_request *r = http_request_new(8192, 100);
    http_request_set_max_body(r, max_body);
    return r;
}

START_TEST(a_content_length_body_is_read_across_reads)
{
    struct http_request *r = body_request(100);
    char head[256];
    snprintf(head, sizeof head, "%sContent-Length: 10\r\n\r\n", post_head);
    const char *parts[] = {head, "40\x1e", "42[\"", "x\"]"};
    ck_assert_int_eq(feed_parts(r, parts, 4), CP_OK);
    ck_assert(http_request_is_post(r));
    ck_assert(!http_request_is_get(r));
    size_t len;
    const char *body = http_request_body(r, &len);
    ck_assert_uint_eq(len, 10);
    ck_assert_str_eq(body, "40\x1e"
                           "42[\"x\"]"); /* NUL-terminated */
    ck_assert(!http_request_body_too_large(r));
    http_request_free(r);
}
END_TEST

START_TEST(a_chunked_body_counts_its_data_not_its_framing)
{
    struct http_request *r = body_request(5); /* exactly the data */
    const char *parts[] = {post_head, "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
                           "2\r\nde\r\n0\r\n\r\n"};
    ck_assert_int_eq(feed_parts(r, parts, 3), CP_OK);
    size_t len;
    ck_assert_str_eq(http_request_body(r, &len), "abcde");
    ck_assert_uint_eq(len, 5);
    http_request_free(r);
}
END_TEST

START_TEST(a_body_over_max_body_is_too_big)
{
    struct http_request *r = body_request(5);
    const char *cl[] = {post_head, "Content-Length: 6\r\n\r\nabcdef"};
    ck_assert_int_eq(feed_parts(r, cl, 2), CP_ETOOBIG);
    ck_assert(http_request_body_too_large(r) && !http_request_url_too_long(r));
    http_request_free(r);
    r = body_request(5); /* chunked: the second chunk passes the limit */
    const char *chunked[] = {post_head, "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef"};
    ck_assert_int_eq(feed_parts(r, chunked, 2), CP_ETOOBIG);
    ck_assert(http_request_body_too_large(r));
    http_request_free(r);
    r = http_request_new(64, 100); /* a head over max_head is 431's, not a body's */
    http_request_set_max_body(r, 1000);
    static const char long_head[] =
        "GET / HTTP/1.1\r\nX-Long: 012345678901234567890123456789012345678901234567890\r\n";
    ck_assert_int_eq(feed_one(r, long_head), CP_ETOOBIG);
    ck_assert(!http_request_body_too_large(r));
    http_request_free(r);
}
END_TEST

/* Head and body in one read longer than max_head stopped there with CP_EAGAIN, and serve.c
 * waited for a read that never came. */
START_TEST(a_body_in_the_read_of_its_head_may_pass_max_head)
{
    struct http_request *r = http_request_new(128, 100);
    http_request_set_max_body(r, 4096);
    char req[2048];
    int n = snprintf(req, sizeof req, "%sContent-Length: 1000\r\n\r\n", post_head);
    memset(req + n, 'b', 1000);
    size_t used, len;
    int rc = http_request_feed(r, req, (size_t)n + 1000, &used);
    http_request_body(r, &len);
    http_request_free(r); /* before the assertion: valgrind sees no leak of it */
    ck_assert_msg(rc == CP_OK && used == (size_t)n + 1000 && len == 1000, "rc %d, used %zu of %d",
                  rc, used, n + 1000);
}
END_TEST

START_TEST(without_max_body_a_body_is_skipped_within_max_head)
{
    struct http_request *r = http_request_new(8192, 100); /* max_body 0: the default */
    const char *parts[] = {post_head, "Content-Length: 5\r\n\r\nhello"};
    ck_assert_int_eq(feed_parts(r, parts, 2), CP_OK);
    size_t len = 99;
    ck_assert_str_eq(http_request_body(r, &len), "");
    ck_assert_uint_eq(len, 0);
    http_request_free(r);
    r = http_request_new(80, 100); /* head and body within max_head, as before */
    ck_assert_int_eq(feed_one(r, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 40\r\n\r\n"
                                 "0123456789012345678901234567890123456789"),
                     CP_ETOOBIG);
    ck_assert(!http_request_body_too_large(r));
    http_request_free(r);
}
END_TEST

START_TEST(a_body_is_freed_by_reset_and_the_limit_kept)
{
    struct http_request *r = body_request(8);
    char two[256];
    int n = snprintf(two, sizeof two,
                     "%sContent-Length: 5\r\n\r\nfirst"
                     "%sContent-Length: 9\r\n\r\ntoo long!",
                     post_head, post_head);
    size_t used, used2, len;
    ck_assert_int_eq(http_request_feed(r, two, (size_t)n, &used), CP_OK);
    ck_assert_str_eq(http_request_body(r, &len), "first");
    http_request_reset(r); /* frees it (valgrind) */
    ck_assert_str_eq(http_request_body(r, &len), "");
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(http_request_feed(r, two + used, (size_t)n - used, &used2), CP_ETOOBIG);
    ck_assert(http_request_body_too_large(r));
    http_request_reset(r);
    ck_assert(!http_request_body_too_large(r));
    ck_assert_int_eq(feed_one(r, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"), CP_OK);
    ck_assert_str_eq(http_request_body(r, &len), "");
    ck_assert(!http_request_is_post(r));
    http_request_free(r);
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("request");
    tcase_add_test(tc, parses_upgrade_request_with_case_insensitive_headers);
    tcase_add_test(tc, accepts_a_request_one_byte_at_a_time);
    tcase_add_test(tc, leaves_bytes_after_the_head_unconsumed);
    tcase_add_test(tc, upgrade_request_body_in_a_later_read_is_need_more);
    tcase_add_test(tc, trailer_fields_are_not_taken_for_headers);
    tcase_add_test(tc, head_over_the_limit_is_too_big);
    tcase_add_test(tc, malformed_request_is_a_protocol_error);
    tcase_add_test(tc, unknown_method_is_told_apart_from_a_malformed_head);
    tcase_add_test(tc, keep_alive_requests_parse_after_reset);
    tcase_add_test(tc, trailing_whitespace_is_not_part_of_a_value);
    tcase_add_test(tc, trailing_whitespace_in_a_later_read_is_trimmed);
    tcase_add_test(tc, repeated_lines_are_trimmed_before_they_are_joined);
    tcase_add_loop_test(tc, obs_fold_is_a_protocol_error, 0, 5);
    tcase_add_test(tc, obs_fold_is_found_when_its_space_comes_in_a_later_read);
    tcase_add_test(tc, whitespace_after_the_head_is_not_a_fold);
    tcase_add_test(tc, whitespace_before_the_colon_is_a_protocol_error);
    tcase_add_loop_test(tc, host_is_required_once_on_http_1_1, 0,
                        (int)(sizeof host_cases / sizeof host_cases[0]));
    tcase_add_test(tc, query_parameters_are_percent_decoded);
    tcase_add_test(tc, token_lists_match_whole_tokens);
    tcase_add_test(tc, token_lists_allow_whitespace_around_elements);
    tcase_add_test(tc, methods_and_versions_are_reported);
    tcase_add_test(tc, url_over_the_limit_is_too_long);
    tcase_add_test(tc, status_texts_are_the_standard_reason_phrases);
    tcase_add_test(tc, a_content_length_body_is_read_across_reads);
    tcase_add_test(tc, a_chunked_body_counts_its_data_not_its_framing);
    tcase_add_test(tc, a_body_over_max_body_is_too_big);
    tcase_add_test(tc, a_body_in_the_read_of_its_head_may_pass_max_head);
    tcase_add_test(tc, without_max_body_a_body_is_skipped_within_max_head);
    tcase_add_test(tc, a_body_is_freed_by_reset_and_the_limit_kept);
    tcase_add_loop_test(tc, connection_close_and_keep_alive_are_found_in_the_list, 0,
                        (int)(sizeof persistence / sizeof persistence[0]));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(http_suite)
