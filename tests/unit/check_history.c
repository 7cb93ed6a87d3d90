#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tick texts newest first, as XREVRANGE gives them. */
static const char *ticks[] = {
    "{\"id\":\"3-0\",\"ts\":3,\"prices\":[{\"symbol\":\"BTC\",\"price\":3.5,\"ts\":3}]}",
    "{\"id\":\"2-0\",\"ts\":2,\"prices\":[{\"symbol\":\"ETH\",\"price\":9,\"ts\":2}]}",
    "not json",
    "{\"id\":\"1-0\",\"ts\":1,\"prices\":[{\"symbol\":\"ETH\",\"price\":8,\"ts\":1},"
    "{\"symbol\":\"BTC\",\"price\":1.25,\"ts\":1}]}",
};

static char *points_of(const char *symbol, int limit)
{
    size_t lens[4];
    for (int i = 0; i < 4; i++)
        lens[i] = strlen(ticks[i]);
    json_t *j = history_points(symbol, ticks, lens, 4, limit);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

START_TEST(points_are_oldest_first_skipping_gaps_and_garbage)
{
    char *s = points_of("BTC", 60);
    ck_assert_str_eq(s, "{\"symbol\":\"BTC\",\"points\":[[1,1.25],[3,3.5]]}");
    free(s);
}
END_TEST

START_TEST(limit_keeps_the_newest_points)
{
    char *s = points_of("ETH", 1);
    ck_assert_str_eq(s, "{\"symbol\":\"ETH\",\"points\":[[2,9]]}");
    free(s);
    s = points_of("DOGE", 5);
    ck_assert_str_eq(s, "{\"symbol\":\"DOGE\",\"points\":[]}");
    free(s);
}
END_TEST

START_TEST(requests_are_checked)
{
    int limit;
    char err[128];
    ck_assert_int_eq(history_check("BTC", NULL, &limit, err, sizeof err), CP_OK);
    ck_assert_int_eq(limit, HISTORY_DEFAULT_LIMIT);
    ck_assert_int_eq(history_check("BTC", "5", &limit, err, sizeof err), CP_OK);
    ck_assert_int_eq(limit, 5);
    const char *bad_limits[] = {"0", "-1", "1001", "5x", "", " 5"};
    for (size_t i = 0; i < sizeof bad_limits / sizeof bad_limits[0]; i++)
        ck_assert_int_eq(history_check("BTC", bad_limits[i], &limit, err, sizeof err), CP_EINVAL);
    ck_assert_int_eq(history_check("btc", NULL, &limit, err, sizeof err), CP_EINVAL);
    ck_assert_int_eq(history_check(NULL, NULL, &limit, err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "symbol"));
}
END_TEST

START_TEST(symbols_are_checked_against_the_feed_list)
{
    ck_assert(history_symbol_listed("BTC,ETH,SOL", "BTC"));
    ck_assert(history_symbol_listed("BTC,ETH,SOL", "ETH"));
    ck_assert(history_symbol_listed("BTC,ETH,SOL", "SOL"));
    ck_assert(!history_symbol_listed("BTC,ETH,SOL", "ET"));
    ck_assert(!history_symbol_listed("BTC,ETH,SOL", "SOLX"));
    ck_assert(!history_symbol_listed("BTC,ETH,SOL", "DOGE"));
    ck_assert(history_symbol_listed("", "DOGE"));
    ck_assert(history_symbol_listed(NULL, "DOGE"));
}
END_TEST

static Suite *history_suite(void)
{
    Suite *s = suite_create("history");
    TCase *tc = tcase_create("points");
    tcase_add_test(tc, points_are_oldest_first_skipping_gaps_and_garbage);
    tcase_add_test(tc, limit_keeps_the_newest_points);
    tcase_add_test(tc, requests_are_checked);
    tcase_add_test(tc, symbols_are_checked_against_the_feed_list);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(history_suite)
