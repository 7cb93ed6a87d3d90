/* Unit tests of lib/keys.c: the Redis key and channel names. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "keys.h"

#include <string.h>

static char buf[KEYS_MAX];

static const char *key(const char *prefix, enum keys_kind kind, const char *suffix)
{
    ck_assert_int_eq(keys_format(buf, sizeof buf, prefix, kind, suffix), (int)strlen(buf));
    return buf;
}

START_TEST(every_kind_has_its_name_after_the_prefix)
{
    ck_assert_str_eq(key("cryptopulse:", KEYS_PRICE, "BTC"), "cryptopulse:price:BTC");
    ck_assert_str_eq(key("cryptopulse:", KEYS_HISTORY, NULL), "cryptopulse:history");
    ck_assert_str_eq(key("cryptopulse:", KEYS_CHANNEL, NULL), "cryptopulse:ticks");
    ck_assert_str_eq(key("cryptopulse:", KEYS_HEARTBEAT, NULL), "cryptopulse:feeder:heartbeat");
    ck_assert_str_eq(key("cryptopulse:", KEYS_SYMBOLS, NULL), "cryptopulse:symbols");
    ck_assert_str_eq(key("cryptopulse:", KEYS_STATS, "host:3000/2"),
                     "cryptopulse:stats:host:3000/2");
    ck_assert_str_eq(key("cryptopulse:", KEYS_STATS_INDEX, NULL), "cryptopulse:stats");
    ck_assert_str_eq(key("cryptopulse:", KEYS_SOURCES, NULL), "cryptopulse:feeder:sources");
    ck_assert_str_eq(key("cryptopulse:", KEYS_CANDLES, "BTC:1h"), "cryptopulse:candles:BTC:1h");
    ck_assert_str_eq(key("", KEYS_CHANNEL, NULL), "ticks");
}
END_TEST

START_TEST(only_price_and_stats_take_a_suffix)
{
    ck_assert_str_eq(key("p:", KEYS_HISTORY, "BTC"), "p:history");
    ck_assert_str_eq(key("p:", KEYS_CHANNEL, "BTC"), "p:ticks");
    ck_assert_str_eq(key("p:", KEYS_PRICE, NULL), "p:price:");
}
END_TEST

START_TEST(a_key_that_does_not_fit_is_too_big)
{
    char small[16];
    /* "p:price:BTC" is 11 bytes: it needs 12 with its NUL. */
    ck_assert_int_eq(keys_format(small, 12, "p:", KEYS_PRICE, "BTC"), 11);
    ck_assert_str_eq(small, "p:price:BTC");
    ck_assert_int_eq(keys_format(small, 11, "p:", KEYS_PRICE, "BTC"), CP_ETOOBIG);
    ck_assert_int_eq(keys_format(small, sizeof small, "a-very-long-prefix:", KEYS_HISTORY, NULL),
                     CP_ETOOBIG);
}
END_TEST

static Suite *keys_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, every_kind_has_its_name_after_the_prefix);
    tcase_add_test(tc, only_price_and_stats_take_a_suffix);
    tcase_add_test(tc, a_key_that_does_not_fit_is_too_big);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(keys_suite)
