/* check_exch_parse: feeder/exch_parse.c — what every exchange's parser
 * shares: malformed JSON, the message length, the map reaching the parser. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "exch_testdata.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- malformed JSON, for every exchange ---- */

START_TEST(malformed_json_is_invalid_on_every_exchange)
{
    static char deep[20001];
    memset(deep, '[', sizeof deep - 1);
    static char deep_obj[30001];
    for (size_t i = 0; i + 5 < sizeof deep_obj; i += 5)
        memcpy(deep_obj + i, "{\"a\":", 5);
    const char *valid = binance(NULL, NULL);
    char truncated[512];
    snprintf(truncated, sizeof truncated, "%.*s", (int)strlen(valid) - 3, valid);
    const char *const bad[] = {"",
                               " ",
                               "null",
                               "42",
                               "\"text\"",
                               "[]",
                               "[1,\"ticker\"]",
                               "{",
                               "{\"channel\":\"ticker\"",
                               "{\"channel\":\"ticker\"}x",
                               "{\"channel\":\"ticker\"} {}",
                               "{'channel':'ticker'}",
                               "{\"channel\":\"tick\\u0000er\"}",
                               "{\"channel\":\"heartbeat\",\"channel\":\"heartbeats\"}",
                               "{\"e\":NaN}",
                               "{\"e\":Infinity}",
                               "{\"a\":1e400}",
                               "{\"a\":99999999999999999999999}",
                               "\xef\xbb\xbf{}",
                               "{\"a\":\"\xff\"}",
                               truncated,
                               deep,
                               deep_obj};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int id = 0; id < EXCH_COUNT; id++) {
            int rc = parse((enum exch_id)id, bad[i]);
            ck_assert_msg(rc == CP_EINVAL, "%s: \"%.40s\": %d", exch_name((enum exch_id)id), bad[i],
                          rc);
            ck_assert_uint_eq(nq, 0);
        }
    }
}
END_TEST

START_TEST(length_bounds_the_message)
{
    const char *msg = "{\"channel\":\"heartbeat\"}garbage";
    ck_assert_int_eq(exch_parse(map, EXCH_KRAKEN, msg, 23, q, QMAX, &nq, err, sizeof err),
                     EXCH_HEARTBEAT);
    ck_assert_int_eq(exch_parse(map, EXCH_KRAKEN, msg, 24, q, QMAX, &nq, err, sizeof err),
                     CP_EINVAL);
    ck_assert_int_eq(exch_parse(map, EXCH_KRAKEN, msg, 0, q, QMAX, &nq, err, sizeof err),
                     CP_EINVAL);
}
END_TEST

START_TEST(extra_map_entries_reach_the_parser)
{
    exch_map_free(map);
    map = exch_map_new("kraken:BTC=XBT/USD", err, sizeof err);
    ck_assert_ptr_nonnull(map);
    ck_assert_int_eq(parse(EXCH_KRAKEN, kraken("symbol", "\"XBT/USD\"")), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 1);
    ck_assert_str_eq(q[0].symbol, "BTC");
    ck_assert_int_eq(parse(EXCH_KRAKEN, kraken(NULL, NULL)), EXCH_QUOTES);
    ck_assert_uint_eq(nq, 0);
}
END_TEST

static Suite *exch_parse_suite(void)
{
    Suite *s = suite_create("exch_parse");
    TCase *t0 = tcase_create("parse");
    tcase_add_checked_fixture(t0, setup, teardown);
    tcase_add_test(t0, malformed_json_is_invalid_on_every_exchange);
    tcase_add_test(t0, length_bounds_the_message);
    tcase_add_test(t0, extra_map_entries_reach_the_parser);
    suite_add_tcase(s, t0);
    return s;
}

CHECK_MAIN(exch_parse_suite)
