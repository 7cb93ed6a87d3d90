/* check_wsclient_frames: feeder/wsclient_frames.c — reassembly, pings,
 * the closing handshake and the refusals of oversize, binary and invalid
 * UTF-8 messages — against scripted servers on 127.0.0.1
 * (wsclient_testsrv.h). */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "wsclient.h"
#include "wsclient_testsrv.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

START_TEST(reassembles_a_fragmented_message_around_a_ping)
{
    struct run r;
    struct server *s = setup(&r, S_FRAGMENTS, NULL, NULL, 1024);
    r.close_after_message = true;
    run(&r, s, url(&r, "ws://127.0.0.1:%d/", s->port), 2000);
    ck_assert_int_eq(r.messages, 1);
    ck_assert_str_eq(r.msg, "Hello, world");
    ck_assert_uint_eq(r.msg_len, 12);
    ck_assert_int_eq(s->pongs, 1);
    ck_assert_str_eq(s->pong, "x");
    ck_assert_int_eq(r.code, 1000);
    cleanup(&r, s, NULL);
}
END_TEST

START_TEST(answers_a_ping_with_its_payload)
{
    struct run r;
    struct server *s = setup(&r, S_PING, NULL, NULL, 1024);
    run(&r, s, url(&r, "ws://127.0.0.1:%d/", s->port), 2000);
    ck_assert_int_eq(s->pongs, 1);
    ck_assert_str_eq(s->pong, "ping-42");
    ck_assert_int_eq(s->unmasked, 0);
    ck_assert_int_eq(s->parse_error, 0);
    ck_assert_int_eq(r.code, 1000);
    ck_assert_str_eq(r.why, "closed by the server: 1000 done");
    cleanup(&r, s, NULL);
}
END_TEST

START_TEST(reports_the_servers_close_and_echoes_it)
{
    struct run r;
    struct server *s = setup(&r, S_CLOSE, NULL, NULL, 1024);
    run(&r, s, url(&r, "ws://127.0.0.1:%d/", s->port), 2000);
    ck_assert_int_eq(r.opens, 1);
    ck_assert_int_eq(r.closes, 1);
    ck_assert_int_eq(r.code, 1001);
    ck_assert_str_eq(r.why, "closed by the server: 1001 going away");
    ck_assert_int_eq(s->closes, 1);
    ck_assert_int_eq(s->close_code, 1001);
    cleanup(&r, s, NULL);
}
END_TEST

START_TEST(closes_with_1009_over_max_message)
{
    struct run r;
    struct server *s = setup(&r, S_BIG, NULL, NULL, 1024);
    run(&r, s, url(&r, "ws://127.0.0.1:%d/", s->port), 2000);
    ck_assert_int_eq(r.messages, 0);
    ck_assert_int_eq(s->close_code, 1009);
    ck_assert_int_eq(r.code, 1009);
    ck_assert_str_eq(r.why, "message over 1024 bytes: closed with 1009");
    cleanup(&r, s, NULL);
}
END_TEST

START_TEST(refuses_an_oversize_frame_from_its_header)
{
    struct run r;
    struct server *s = setup(&r, S_HUGE, NULL, NULL, 65536);
    run(&r, s, url(&r, "ws://127.0.0.1:%d/", s->port), 2000);
    ck_assert_int_eq(r.messages, 0);
    ck_assert_int_eq(s->close_code, 1009);
    ck_assert(strstr(r.why, "1009"));
    cleanup(&r, s, NULL);
}
END_TEST

START_TEST(closes_with_1003_on_binary)
{
    struct run r;
    struct server *s = setup(&r, S_BINARY, NULL, NULL, 1024);
    run(&r, s, url(&r, "ws://127.0.0.1:%d/", s->port), 2000);
    ck_assert_int_eq(r.messages, 0);
    ck_assert_int_eq(s->close_code, 1003);
    ck_assert_str_eq(r.why, "binary message refused: closed with 1003");
    cleanup(&r, s, NULL);
}
END_TEST

START_TEST(closes_with_1007_on_invalid_utf8)
{
    struct run r;
    struct server *s = setup(&r, S_BAD_UTF8, NULL, NULL, 1024);
    run(&r, s, url(&r, "ws://127.0.0.1:%d/", s->port), 2000);
    ck_assert_int_eq(r.messages, 0);
    ck_assert_int_eq(s->close_code, 1007);
    ck_assert(strstr(r.why, "UTF-8"));
    cleanup(&r, s, NULL);
}
END_TEST

static Suite *wsclient_frames_suite(void)
{
    Suite *s = suite_create("wsclient_frames");
    TCase *t0 = tcase_create("plain");
    tcase_set_timeout(t0, 60);
    tcase_add_unchecked_fixture(t0, ignore_sigpipe, NULL);
    tcase_add_test(t0, reassembles_a_fragmented_message_around_a_ping);
    tcase_add_test(t0, answers_a_ping_with_its_payload);
    tcase_add_test(t0, reports_the_servers_close_and_echoes_it);
    tcase_add_test(t0, closes_with_1009_over_max_message);
    tcase_add_test(t0, refuses_an_oversize_frame_from_its_header);
    tcase_add_test(t0, closes_with_1003_on_binary);
    tcase_add_test(t0, closes_with_1007_on_invalid_utf8);
    suite_add_tcase(s, t0);
    return s;
}

CHECK_MAIN(wsclient_frames_suite)
