/* check_wsclient_tls: feeder/wsclient_tls.c — wss:// against servers on
 * 127.0.0.1 with a test CA and certificates made at start with the openssl
 * command: the CA file, unknown CAs, host names, the TLS connect timeout. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "wsclient_tls.h"
#include "wsclient.h"
#include "wsclient_testsrv.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

START_TEST(bounds_the_handshake_and_the_tls_connect_by_the_timeout)
{
    struct run r;
    struct server *s = setup(&r, S_SILENT, NULL, NULL, 1024);
    /* 1 s: the TCP connect must be done well within it, even under
     * valgrind, for the handshake to be what times out. */
    run(&r, s, url(&r, "ws://127.0.0.1:%d/", s->port), 1000);
    ck_assert_int_eq(r.closes, 1);
    ck_assert_str_eq(r.why, "handshake timeout (1000 ms)");
    cleanup(&r, s, NULL);

    /* TLS to a server that never speaks TLS: the handshake never ends */
    SSL_CTX *tls = client_tls(true);
    s = setup(&r, S_SILENT, NULL, tls, 1024);
    run(&r, s, url(&r, "wss://127.0.0.1:%d/", s->port), 300);
    ck_assert_int_eq(r.closes, 1);
    ck_assert_str_eq(r.why, "connect timeout (300 ms)");
    cleanup(&r, s, tls);
}
END_TEST

START_TEST(opens_over_tls_with_a_ca_file)
{
    SSL_CTX *tls = client_tls(true);
    struct run r;
    struct server *s = setup(&r, S_ECHO, "good", tls, 1024);
    r.send_on_open = "over TLS";
    r.close_after_message = true;
    run(&r, s, url(&r, "wss://127.0.0.1:%d/ws", s->port), 5000);
    ck_assert_msg(r.opens == 1, "%s", r.why);
    ck_assert_str_eq(r.msg, "over TLS");
    ck_assert_int_eq(s->unmasked, 0);
    ck_assert_str_eq(s->sni, ""); /* no SNI for an address */
    ck_assert_int_eq(r.code, 1000);
    cleanup(&r, s, NULL);

    /* a host name: resolved (/etc/hosts), verified, sent in SNI, in Host */
    s = setup(&r, S_ECHO, "good", tls, 1024);
    r.send_on_open = "by name";
    r.close_after_message = true;
    run(&r, s, url(&r, "wss://localhost:%d/ws", s->port), 5000);
    ck_assert_msg(r.opens == 1, "%s", r.why);
    ck_assert_str_eq(r.msg, "by name");
    ck_assert_str_eq(s->sni, "localhost");
    char host[64];
    snprintf(host, sizeof host, "\r\nHost: localhost:%d\r\n", s->port);
    ck_assert(strstr(s->head, host));
    cleanup(&r, s, tls);
}
END_TEST

START_TEST(refuses_a_certificate_of_an_unknown_ca)
{
    SSL_CTX *tls = client_tls(false);
    struct run r;
    struct server *s = setup(&r, S_ECHO, "good", tls, 1024);
    run(&r, s, url(&r, "wss://127.0.0.1:%d/", s->port), 5000);
    ck_assert_int_eq(r.opens, 0);
    ck_assert_int_eq(r.closes, 1);
    ck_assert_msg(strstr(r.why, "TLS: certificate verify failed: ") == r.why, "%s", r.why);
    ck_assert_msg(strstr(r.why, "issuer"), "%s", r.why);
    cleanup(&r, s, tls);
}
END_TEST

START_TEST(refuses_a_certificate_for_another_host)
{
    SSL_CTX *tls = client_tls(true);
    struct run r;
    struct server *s = setup(&r, S_ECHO, "wrong", tls, 1024);
    run(&r, s, url(&r, "wss://127.0.0.1:%d/", s->port), 5000);
    ck_assert_int_eq(r.opens, 0);
    ck_assert_msg(strstr(r.why, "TLS: certificate verify failed: IP address mismatch"), "%s",
                  r.why);
    cleanup(&r, s, NULL);

    s = setup(&r, S_ECHO, "wrong", tls, 1024);
    run(&r, s, url(&r, "wss://localhost:%d/", s->port), 5000);
    ck_assert_int_eq(r.opens, 0);
    ck_assert_msg(strstr(r.why, "TLS: certificate verify failed: hostname mismatch"), "%s", r.why);
    cleanup(&r, s, tls);
}
END_TEST

START_TEST(tls_context_names_a_bad_ca_file)
{
    char err[256];
    ck_assert_ptr_null(wsclient_tls_new("/nonexistent/ca.pem", err, sizeof err));
    ck_assert_msg(strstr(err, "/nonexistent/ca.pem"), "%s", err);
    wsclient_free(NULL);
    wsclient_tls_free(NULL);
}
END_TEST

static Suite *wsclient_tls_suite(void)
{
    Suite *s = suite_create("wsclient_tls");
    TCase *t0 = tcase_create("tls");
    tcase_set_timeout(t0, 60);
    tcase_add_unchecked_fixture(t0, ignore_sigpipe, NULL);
    tcase_add_unchecked_fixture(t0, make_certs, remove_certs);
    tcase_add_test(t0, bounds_the_handshake_and_the_tls_connect_by_the_timeout);
    tcase_add_test(t0, opens_over_tls_with_a_ca_file);
    tcase_add_test(t0, refuses_a_certificate_of_an_unknown_ca);
    tcase_add_test(t0, refuses_a_certificate_for_another_host);
    tcase_add_test(t0, tls_context_names_a_bad_ca_file);
    suite_add_tcase(s, t0);
    return s;
}

CHECK_MAIN(wsclient_tls_suite)
