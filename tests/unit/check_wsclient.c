/* check_wsclient: feeder/wsclient.c — connecting, the opening handshake,
 * refusals, URLs, the life cycle from callbacks — against real servers on
 * 127.0.0.1 (wsclient_testsrv.h). */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "wsclient.h"
#include "wsclient_testsrv.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

START_TEST(opens_and_exchanges_masked_text_both_ways)
{
    struct run r;
    struct server *s = setup(&r, S_ECHO, NULL, NULL, 1024);
    r.send_on_open = "{\"op\":\"subscribe\"}";
    r.close_after_message = true;
    run(&r, s, url(&r, "ws://127.0.0.1:%d/stream?streams=btcusdt@ticker", s->port), 2000);
    ck_assert_int_eq(r.opens, 1);
    ck_assert_int_eq(r.messages, 1);
    ck_assert_str_eq(r.msg, "{\"op\":\"subscribe\"}");
    ck_assert_int_eq(s->texts, 1);
    ck_assert_str_eq(s->text, "{\"op\":\"subscribe\"}");
    ck_assert_int_eq(s->parse_error, 0);
    ck_assert_int_eq(s->unmasked, 0);
    ck_assert(strstr(s->head, "GET /stream?streams=btcusdt@ticker HTTP/1.1\r\n") == s->head);
    char host[64];
    snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d\r\n", s->port);
    ck_assert(strstr(s->head, host));
    ck_assert(!strcasestr(s->head, "Sec-WebSocket-Extensions"));
    /* our close, answered */
    ck_assert_int_eq(s->close_code, 1000);
    ck_assert_int_eq(r.closes, 1);
    ck_assert_int_eq(r.code, 1000);
    ck_assert_str_eq(r.why, "closed by the client: 1000 bye");
    cleanup(&r, s, NULL);
}
END_TEST

START_TEST(reports_a_refused_handshake)
{
    struct run r;
    struct server *s = setup(&r, S_404, NULL, NULL, 1024);
    run(&r, s, url(&r, "ws://127.0.0.1:%d/nowhere", s->port), 2000);
    ck_assert_int_eq(r.opens, 0);
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.why, "handshake: HTTP 404");
    cleanup(&r, s, NULL);

    s = setup(&r, S_BAD_ACCEPT, NULL, NULL, 1024);
    run(&r, s, url(&r, "ws://127.0.0.1:%d/", s->port), 2000);
    ck_assert_int_eq(r.opens, 0);
    ck_assert(strstr(r.why, "handshake: bad 101"));
    cleanup(&r, s, NULL);
}
END_TEST

START_TEST(reports_a_refused_connection)
{
    struct run r;
    struct server *s = setup(&r, S_ECHO, NULL, NULL, 1024);
    int port = s->port;
    server_free(s); /* nobody listens there now */
    run(&r, NULL, url(&r, "ws://127.0.0.1:%d/", port), 2000);
    ck_assert_int_eq(r.opens, 0);
    ck_assert_int_eq(r.closes, 1);
    ck_assert_str_eq(r.why, "connect: Connection refused");
    cleanup(&r, NULL, NULL);

    SSL_CTX *tls = client_tls(false);
    setup(&r, S_NONE, NULL, tls, 1024);
    run(&r, NULL, url(&r, "wss://127.0.0.1:%d/", port), 2000);
    ck_assert_int_eq(r.closes, 1);
    ck_assert_str_eq(r.why, "connect: Connection refused");
    cleanup(&r, NULL, tls);
}
END_TEST

START_TEST(rejects_bad_urls_with_einval_and_no_callback)
{
    struct run r;
    setup(&r, S_NONE, NULL, NULL, 1024);
    const char *bad[] = {"http://127.0.0.1/", "ws://",      "ws://127.0.0.1:99999/",
                         "127.0.0.1:80",      "ws://[::1/", "ws://h/#x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_int_eq(wsclient_connect(r.c, bad[i], 100), CP_EINVAL);
    event_base_loop(r.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(r.closes, 0);
    cleanup(&r, NULL, NULL);
}
END_TEST

START_TEST(refuses_a_second_connect_while_one_is_under_way)
{
    struct run r;
    struct server *s = setup(&r, S_SILENT, NULL, NULL, 1024);
    run(&r, s, url(&r, "ws://127.0.0.1:%d/", s->port), 100);
    ck_assert_int_eq(wsclient_connect(r.c, r.url, 100), 0);
    ck_assert_int_eq(wsclient_connect(r.c, r.url, 100), CP_EIO);
    ck_assert_int_eq(wsclient_send(r.c, "x", 1), CP_EIO);
    cleanup(&r, s, NULL); /* freed while connecting: no callback */
    ck_assert_int_eq(r.closes, 1);
}
END_TEST

START_TEST(may_reconnect_from_on_close_and_free_from_on_message)
{
    struct run r;
    struct server *s = setup(&r, S_ECHO, NULL, NULL, 1024);
    int port = s->port;
    server_free(s);
    r.reconnects = 2;
    run(&r, NULL, url(&r, "ws://127.0.0.1:%d/", port), 1000);
    ck_assert_int_eq(r.closes, 3);
    cleanup(&r, NULL, NULL);

    s = setup(&r, S_ECHO, NULL, NULL, 1024);
    r.send_on_open = "bye";
    r.free_in_message = true;
    run(&r, s, url(&r, "ws://127.0.0.1:%d/", s->port), 1000);
    ck_assert_int_eq(r.messages, 1);
    ck_assert_ptr_null(r.c);
    ck_assert_int_eq(r.closes, 0);
    cleanup(&r, s, NULL);
}
END_TEST

START_TEST(wss_needs_a_tls_context)
{
    struct run r;
    setup(&r, S_NONE, NULL, NULL, 1024);
    run(&r, NULL, url(&r, "wss://127.0.0.1:%d/", 9), 1000);
    ck_assert_int_eq(r.closes, 1);
    ck_assert_str_eq(r.why, "wss:// without a TLS context");
    cleanup(&r, NULL, NULL);
}
END_TEST

static Suite *wsclient_suite(void)
{
    Suite *s = suite_create("wsclient");
    TCase *t0 = tcase_create("plain");
    tcase_set_timeout(t0, 60);
    tcase_add_unchecked_fixture(t0, ignore_sigpipe, NULL);
    tcase_add_test(t0, opens_and_exchanges_masked_text_both_ways);
    tcase_add_test(t0, reports_a_refused_handshake);
    tcase_add_test(t0, reports_a_refused_connection);
    tcase_add_test(t0, rejects_bad_urls_with_einval_and_no_callback);
    tcase_add_test(t0, refuses_a_second_connect_while_one_is_under_way);
    tcase_add_test(t0, may_reconnect_from_on_close_and_free_from_on_message);
    tcase_add_test(t0, wss_needs_a_tls_context);
    suite_add_tcase(s, t0);
    return s;
}

CHECK_MAIN(wsclient_suite)
