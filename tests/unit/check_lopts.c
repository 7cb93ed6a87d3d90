/* Unit tests of load/lopts.c. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "lopts.h"

#include <string.h>

static struct load_opts o;
static char err[512];

START_TEST(url_gives_transport_host_port_and_path)
{
    ck_assert_int_eq(lopts_url(&o, "ws://127.0.0.1:47123/ws?x=1", err, sizeof err), CP_OK);
    ck_assert_int_eq(o.transport, LOAD_WS);
    ck_assert_str_eq(o.host, "127.0.0.1");
    ck_assert_int_eq(o.port, 47123);
    ck_assert_str_eq(o.path, "/ws?x=1");
    ck_assert_int_eq(lopts_url(&o, "http://localhost", err, sizeof err), CP_OK);
    ck_assert_int_eq(o.transport, LOAD_SSE);
    ck_assert_int_eq(o.port, 80);
    ck_assert_str_eq(o.path, "/events");
    ck_assert_int_eq(lopts_url(&o, "socketio://127.0.0.1:3000", err, sizeof err), CP_OK);
    ck_assert_int_eq(o.transport, LOAD_SIO);
    ck_assert_int_eq(o.port, 3000);
    ck_assert_str_eq(o.path, "/socket.io/");
    ck_assert_int_eq(lopts_url(&o, "socketio://h/sio/?token=1", err, sizeof err), CP_OK);
    ck_assert_str_eq(o.path, "/sio/?token=1");
}
END_TEST

START_TEST(url_with_junk_after_the_port_is_refused)
{
    static const char *const bad[] = {
        "ws://127.0.0.1:47123x/ws", "ws://127.0.0.1:/ws", "ws://127.0.0.1:0/ws",
        "ws://127.0.0.1:65536/ws",  "ws://127.0.0.1:+80", "ws://:80/ws",
        "wss://127.0.0.1/ws",       "ws:///ws",           "ws://127.0.0.1: 80/ws",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(lopts_url(&o, bad[i], err, sizeof err) == CP_EINVAL, "%s", bad[i]);
        ck_assert_msg(strstr(err, bad[i]) != NULL, "'%s' does not name %s", err, bad[i]);
    }
}
END_TEST

START_TEST(symbol_lists_split_on_commas)
{
    ck_assert_int_eq(lopts_symbols(&o, "BTC,ETH,SOL", err, sizeof err), CP_OK);
    ck_assert_int_eq(o.nsymbols, 3);
    ck_assert_str_eq(o.symbols[2], "SOL");
}
END_TEST

START_TEST(empty_symbols_are_refused_with_a_message)
{
    static const char *const bad[] = {"", "BTC,,ETH", ",BTC", "BTC,", "BTC,e t h"};
    ck_assert_int_eq(lopts_symbols(&o, "BTC", err, sizeof err), CP_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(lopts_symbols(&o, bad[i], err, sizeof err) == CP_EINVAL, "'%s'", bad[i]);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        ck_assert_msg(strstr(err, quoted) != NULL, "'%s' does not name '%s'", err, bad[i]);
        ck_assert_int_eq(o.nsymbols, 1); /* unchanged */
    }
}
END_TEST

START_TEST(pid_lists_are_numbers)
{
    ck_assert_int_eq(lopts_pids("1", err, sizeof err), 1);
    ck_assert_int_eq(lopts_pids("123,456,999999", err, sizeof err), 3);
    static const char *const bad[] = {"abc", "", "12,", "12,,13", "0", "-5", "12x", "99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(lopts_pids(bad[i], err, sizeof err) == CP_EINVAL, "'%s'", bad[i]);
        ck_assert_msg(strstr(err, bad[i]) != NULL, "'%s' does not name '%s'", err, bad[i]);
    }
}
END_TEST

static Suite *lopts_suite(void)
{
    Suite *s = suite_create("lopts");
    TCase *t = tcase_create("core");
    tcase_add_test(t, url_gives_transport_host_port_and_path);
    tcase_add_test(t, url_with_junk_after_the_port_is_refused);
    tcase_add_test(t, symbol_lists_split_on_commas);
    tcase_add_test(t, empty_symbols_are_refused_with_a_message);
    tcase_add_test(t, pid_lists_are_numbers);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(lopts_suite)
