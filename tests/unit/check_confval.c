/* Unit tests of lib/confval.c: the checks of one setting's text. */
#include "config.h"

#include "check_main.h"
#include "confval.h"
#include "cp_error.h"

#include <string.h>

static char err[256];

START_TEST(whole_numbers_in_bounds_only)
{
    int v = 7;
    ck_assert_int_eq(confval_int("PORT", "3000", 1, 65535, &v, err, sizeof err), CP_OK);
    ck_assert_int_eq(v, 3000);
    ck_assert_int_eq(confval_int("N", "-5", -10, 10, &v, err, sizeof err), CP_OK);
    ck_assert_int_eq(v, -5);
    static const char *const bad[] = {"0",  "65536", "12ab", "",
                                      " 1", "+1",    "1.5",  "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 7;
        ck_assert_msg(confval_int("PORT", bad[i], 1, 65535, &v, err, sizeof err) == CP_EINVAL, "%s",
                      bad[i]);
        ck_assert_int_eq(v, 7);
    }
    ck_assert_str_eq(err, "PORT: \"99999999999999999999999\" is not a whole number from 1 to "
                          "65535");
}
END_TEST

START_TEST(booleans_in_any_case)
{
    bool b = false;
    ck_assert_int_eq(confval_bool("X", "YES", &b, err, sizeof err), CP_OK);
    ck_assert(b);
    ck_assert_int_eq(confval_bool("X", "Off", &b, err, sizeof err), CP_OK);
    ck_assert(!b);
    ck_assert_int_eq(confval_bool("X", "1", &b, err, sizeof err), CP_OK);
    ck_assert(b);
    ck_assert_int_eq(confval_bool("CLUSTER_ENABLED", "maybe", &b, err, sizeof err), CP_EINVAL);
    ck_assert(b);
    ck_assert_str_eq(err, "CLUSTER_ENABLED: \"maybe\" is not one of true, false, 1, 0, yes, no, "
                          "on, off");
}
END_TEST

START_TEST(symbol_lists_hold_distinct_symbols_without_blanks)
{
    ck_assert_int_eq(confval_symbols("SYMBOLS", "BTC", err, sizeof err), CP_OK);
    ck_assert_int_eq(confval_symbols("SYMBOLS", "BTC,ETH,1INCH", err, sizeof err), CP_OK);
    ck_assert_int_eq(confval_symbols("SYMBOLS", "BTC,ETH,BTC", err, sizeof err), CP_EINVAL);
    ck_assert_str_eq(err, "SYMBOLS: \"BTC,ETH,BTC\": \"BTC\" is repeated (a comma list of "
                          "distinct symbols like BTC,ETH)");
    ck_assert_int_eq(confval_symbols("SYMBOLS", "BTC, ETH", err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "\" ETH\" is not a symbol"));
    static const char *const bad[] = {"",         "BTC,", ",BTC",
                                      "BTC,,ETH", "btc",  "ABCDEFGHIJKLMNOPQRSTU"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(confval_symbols("SYMBOLS", bad[i], err, sizeof err) == CP_EINVAL, "%s",
                      bad[i]);
        ck_assert_ptr_nonnull(strstr(err, "is not a symbol"));
    }
}
END_TEST

START_TEST(address_lists_are_host_port_entries)
{
    static const char *const good[] = {
        "", "a:1", "redis:26379,10.0.0.2:26379", "[::1]:26379", "h:00080", "a:1:2"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(confval_addrs("S", good[i], err, sizeof err) == CP_OK, "%s: %s", good[i],
                      err);
    static const char *const bad[] = {
        "a",     ":80",  "a:",   "a:0",      "a:65536",
        "a:+80", "a:1 ", "a:1x", "a:1,,b:2", "a:99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(confval_addrs("S", bad[i], err, sizeof err) == CP_EINVAL, "%s", bad[i]);
        ck_assert_msg(strstr(err, "is not host:port (port 1-65535)"), "%s: %s", bad[i], err);
    }
    ck_assert_int_eq(confval_addrs("REDIS_SENTINELS", "a:1,b", err, sizeof err), CP_EINVAL);
    ck_assert_str_eq(err, "REDIS_SENTINELS: \"b\" is not host:port (port 1-65535)");
    ck_assert_int_eq(confval_addrs("REDIS_SENTINELS", "a:1,", err, sizeof err), CP_EINVAL);
    ck_assert_str_eq(err, "REDIS_SENTINELS: \"a:1,\" ends with an empty entry");
}
END_TEST

START_TEST(choices_are_words_of_the_set_once_each)
{
    const char *modes = "mock|replay|live", *srcs = "binance|coinbase|kraken";
    ck_assert_int_eq(confval_choices("FEED_MODE", modes, false, "live", err, sizeof err), CP_OK);
    ck_assert_int_eq(confval_choices("FEED_MODE", modes, false, "mock,live", err, sizeof err),
                     CP_EINVAL);
    ck_assert_str_eq(err, "FEED_MODE: \"mock,live\" is not one of mock|replay|live");
    ck_assert_int_eq(confval_choices("FEED_MODE", modes, false, "moc", err, sizeof err), CP_EINVAL);
    ck_assert_int_eq(confval_choices("FEED_SOURCES", srcs, true, "kraken,binance", err, sizeof err),
                     CP_OK);
    ck_assert_int_eq(confval_choices("FEED_SOURCES", srcs, true, "kraken,kraken", err, sizeof err),
                     CP_EINVAL);
    ck_assert_str_eq(err, "FEED_SOURCES: \"kraken\" is repeated; each once, from "
                          "binance|coinbase|kraken");
    ck_assert_int_eq(confval_choices("FEED_SOURCES", srcs, true, "kraken,", err, sizeof err),
                     CP_EINVAL);
    ck_assert_str_eq(err, "FEED_SOURCES: \"\" is not one of binance|coinbase|kraken");
    ck_assert_int_eq(confval_choices("FEED_SOURCES", srcs, true, "", err, sizeof err), CP_EINVAL);
}
END_TEST

START_TEST(text_must_be_utf8)
{
    ck_assert_int_eq(confval_text("INSTANCE_ID", "", err, sizeof err), CP_OK);
    ck_assert_int_eq(
        confval_text("INSTANCE_ID", "gw-1 \xe2\x82\xac \xf0\x9f\x9a\x80", err, sizeof err), CP_OK);
    /* Cut mid-character, a stray continuation, an overlong '/', a surrogate,
     * above U+10FFFF. */
    static const char *const bad[] = {"caf\xc3", "\x80", "\xc0\xaf", "\xed\xa0\x80",
                                      "\xf4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(confval_text("INSTANCE_ID", bad[i], err, sizeof err) == CP_EINVAL, "%zu", i);
        ck_assert_str_eq(err, "INSTANCE_ID: not valid UTF-8 text");
    }
}
END_TEST

START_TEST(tls_settings_must_fit_together)
{
    ck_assert_int_eq(confval_tls(3000, 0, "", "", err, sizeof err), CP_OK);
    ck_assert_int_eq(confval_tls(3000, 3443, "c.pem", "k.pem", err, sizeof err), CP_OK);
    ck_assert_int_eq(confval_tls(3000, 3443, "", "", err, sizeof err), CP_EINVAL);
    ck_assert_str_eq(err, "TLS_PORT 3443 needs TLS_CERT_FILE and TLS_KEY_FILE: set "
                          "--tls-cert-file and --tls-key-file (the PEM files of this server)");
    ck_assert_int_eq(confval_tls(3000, 3443, "c.pem", "", err, sizeof err), CP_EINVAL);
    ck_assert_str_eq(err, "TLS_PORT 3443 needs TLS_KEY_FILE: set --tls-key-file (the PEM file "
                          "of this server)");
    ck_assert_int_eq(confval_tls(3000, 0, "c.pem", "", err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "TLS_CERT_FILE is set but TLS_PORT is 0"));
    ck_assert_int_eq(confval_tls(3000, 3000, "c.pem", "k.pem", err, sizeof err), CP_EINVAL);
    ck_assert_str_eq(err, "TLS_PORT and PORT are both 3000: TLS needs a port of its own");
}
END_TEST

static Suite *confval_suite(void)
{
    Suite *s = suite_create("confval");
    TCase *tc = tcase_create("values");
    tcase_add_test(tc, whole_numbers_in_bounds_only);
    tcase_add_test(tc, booleans_in_any_case);
    tcase_add_test(tc, symbol_lists_hold_distinct_symbols_without_blanks);
    tcase_add_test(tc, address_lists_are_host_port_entries);
    tcase_add_test(tc, choices_are_words_of_the_set_once_each);
    tcase_add_test(tc, text_must_be_utf8);
    tcase_add_test(tc, tls_settings_must_fit_together);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(confval_suite)
