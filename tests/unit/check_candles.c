/* Unit tests of lib/candles.c: intervals, the stored member, the request
 * check and the response built from members; and lib/etag.c. */
#include "config.h"

#include "candles.h"
#include "check_main.h"
#include "cp_error.h"
#include "etag.h"
#include "history.h"
#include "keys.h"

#include <stdlib.h>
#include <string.h>

START_TEST(buckets_are_utc_aligned_and_a_start_is_its_own_bucket)
{
    int64_t day = 1738454400000LL; /* 2025-02-02T00:00:00Z */
    ck_assert_int_eq(candles_bucket(day, CANDLES_1D), day);
    ck_assert_int_eq(candles_bucket(day - 1, CANDLES_1D), day - 86400000LL);
    ck_assert_int_eq(candles_bucket(day + 3599999, CANDLES_1H), day);
    ck_assert_int_eq(candles_bucket(day + 3600000, CANDLES_1H), day + 3600000);
    ck_assert_int_eq(candles_bucket(day + 299999, CANDLES_5M), day);
    ck_assert_int_eq(candles_bucket(day + 61000, CANDLES_1M), day + 60000);
    enum candles_interval iv;
    ck_assert_int_eq(candles_interval_parse("5m", &iv), CP_OK);
    ck_assert_int_eq(iv, CANDLES_5M);
    ck_assert_int_eq(candles_interval_ms(iv), 300000);
    ck_assert_str_eq(candles_interval_name(CANDLES_1D), "1d");
    ck_assert_int_eq(candles_interval_parse("1M", &iv), CP_EINVAL);
    ck_assert_int_eq(candles_interval_parse("15m", &iv), CP_EINVAL);
    ck_assert_int_eq(candles_interval_parse(NULL, &iv), CP_EINVAL);
}
END_TEST

START_TEST(keys_name_symbol_and_interval)
{
    char k[KEYS_MAX];
    ck_assert_int_gt(candles_key(k, sizeof k, "cryptopulse:", "ETH", CANDLES_5M), 0);
    ck_assert_str_eq(k, "cryptopulse:candles:ETH:5m");
}
END_TEST

START_TEST(members_round_to_the_tick_size_and_parse_back)
{
    char m[CANDLES_MEMBER_MAX];
    struct ohlcv b = {1738454400000LL, 100624.8984375, 100700.004, 100500.1,
                      100650.126,      4130816.00049,  true};
    int n = candles_member(&b, "BTC", m, sizeof m);
    ck_assert_str_eq(m, "o[1738454400000,100624.9,100700.0,100500.1,100650.13,4130816.0]");
    ck_assert_int_eq(n, (int)strlen(m));
    struct ohlcv back;
    ck_assert_int_eq(candles_member_parse(m, (size_t)n, &back), CP_OK);
    ck_assert(back.is_open);
    ck_assert_int_eq(back.open_ms, b.open_ms);
    ck_assert_double_eq(back.close, 100650.13);
    b.is_open = false;
    b.open = b.high = b.low = b.close = 0.8976321816444397;
    b.volume = 0;
    candles_member(&b, "ADA", m, sizeof m);
    ck_assert_str_eq(m, "c[1738454400000,0.8976,0.8976,0.8976,0.8976,0.0]");
    ck_assert_int_eq(candles_member_parse(m, strlen(m), &back), CP_OK);
    ck_assert(!back.is_open);
}
END_TEST

START_TEST(members_that_are_not_ours_are_refused)
{
    static const char *const bad[] = {
        "x[1,1,1,1,1,1]",
        "c[1,1,1,1,1]",
        "c[1,1,1,1,1,1,1]",
        "c[1,3,2,1,1,1]",
        "c[1,1,1,1,1,1] ",
        "c[1,1,1,1,1,\"1\"]",
        "c[1.5,1,1,1,1,1]",
        "c[1,-1,1,1,1,1]",
        "c[1,1,1,1,1,1e999]",
        "c[1,01,1,1,1,1]",
        "c[1,1,1,1,1,1}",
        "c[1,1,1,2,1,1]",
        "c[1,1,0.5,0.5,1,1]",
        "c[1,1,1,1,1,1],[2]]",
        "",
        "c[]",
    };
    struct ohlcv b;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(candles_member_parse(bad[i], strlen(bad[i]), &b) == CP_ESYNTAX, "%s", bad[i]);
    ck_assert_int_eq(candles_member_parse("c[1,1,2,0.5,1.5,1e3]", 20, &b), CP_OK);
    ck_assert_double_eq(b.volume, 1000);
}
END_TEST

static int check(const char *sym, const char *iv, const char *from, const char *to,
                 const char *limit, struct candles_query *q, char *err)
{
    return candles_query_check(sym, iv, from, to, limit, q, err, 160);
}

START_TEST(requests_are_checked_parameter_by_parameter)
{
    struct candles_query q;
    char err[160];
    ck_assert_int_eq(check("BTC", NULL, NULL, NULL, "5", &q, err), CP_ENOENT);
    ck_assert_int_eq(check("BTC", NULL, "1", NULL, NULL, &q, err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "interval"));
    ck_assert_int_eq(check("BTC", "1w", NULL, NULL, NULL, &q, err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "interval"));
    ck_assert_int_eq(check("btc", "1h", NULL, NULL, NULL, &q, err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "symbol"));
    ck_assert_int_eq(check("BTC", "1h", "-1", NULL, NULL, &q, err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "from"));
    ck_assert_int_eq(check("BTC", "1h", NULL, "1e3", NULL, &q, err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "to"));
    ck_assert_int_eq(check("BTC", "1h", NULL, "253402300800000", NULL, &q, err), CP_EINVAL);
    ck_assert_int_eq(check("BTC", "1h", "5", "4", NULL, &q, err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "after"));
    ck_assert_int_eq(check("BTC", "1h", NULL, NULL, "0", &q, err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "limit"));
    ck_assert_int_eq(check("BTC", "1h", NULL, NULL, "5001", &q, err), CP_EINVAL);
    ck_assert_int_eq(check("BTC", "1h", "5", "5", "5000", &q, err), CP_OK);
    ck_assert(q.has_from && q.has_to);
    ck_assert_int_eq(q.from, 5);
    ck_assert_int_eq(q.limit, 5000);
    ck_assert_int_eq(check("BTC", "1d", NULL, NULL, NULL, &q, err), CP_OK);
    ck_assert_int_eq(q.limit, CANDLES_DEFAULT_LIMIT);
    ck_assert_int_eq(q.interval, CANDLES_1D);
    ck_assert(!q.has_from && !q.has_to);
}
END_TEST

START_TEST(with_from_the_range_reads_forward_else_backward_from_to)
{
    struct candles_query q;
    char err[160], min[24], max[24];
    bool rev;
    check("BTC", "1h", "100", NULL, NULL, &q, err);
    candles_query_range(&q, min, max, &rev);
    ck_assert(!rev);
    ck_assert_str_eq(min, "100");
    ck_assert_str_eq(max, "+inf");
    check("BTC", "1h", NULL, "200", NULL, &q, err);
    candles_query_range(&q, min, max, &rev);
    ck_assert(rev);
    ck_assert_str_eq(min, "-inf");
    ck_assert_str_eq(max, "200");
}
END_TEST

START_TEST(responses_join_members_oldest_first_and_skip_bad_ones)
{
    struct candles_query q;
    char err[160];
    check("BTC", "1h", NULL, "7200000", NULL, &q, err);
    const char *m[] = {"o[7200000,2,3,1,2,5.0]", "junk", "c[3600000,1,1,1,1,0.0]"};
    size_t lens[] = {strlen(m[0]), strlen(m[1]), strlen(m[2])};
    bool cacheable;
    size_t len;
    char *body = candles_response(&q, m, lens, 3, true, m[0], lens[0], &cacheable, &len);
    ck_assert_str_eq(body, "{\"symbol\":\"BTC\",\"interval\":\"1h\",\"candles\":[[3600000,1,1,1,1,"
                           "0.0],[7200000,2,3,1,2,5.0]],\"last_open\":true}");
    ck_assert_int_eq(len, strlen(body));
    ck_assert(!cacheable); /* to reaches the open candle */
    free(body);
    check("BTC", "1h", "0", "3600000", NULL, &q, err);
    body = candles_response(&q, m + 2, lens + 2, 1, false, m[0], lens[0], &cacheable, &len);
    ck_assert_ptr_nonnull(strstr(body, "\"last_open\":false"));
    ck_assert(cacheable);
    free(body);
    /* The first candle would be trimmed within the max-age: not cacheable. */
    q.retention_ms = 3600000LL * 24;
    body = candles_response(&q, m + 2, lens + 2, 1, false, m[0], lens[0], &cacheable, &len);
    ck_assert(!cacheable);
    free(body);
    q.retention_ms = 3600000LL * 24 * 3; /* ...but with three days kept, it stays */
    body = candles_response(&q, m + 2, lens + 2, 1, false, m[0], lens[0], &cacheable, &len);
    ck_assert(cacheable);
    free(body);
    body = candles_response(&q, NULL, NULL, 0, false, NULL, 0, &cacheable, &len);
    ck_assert_str_eq(body, "{\"symbol\":\"BTC\",\"interval\":\"1h\",\"candles\":[],"
                           "\"last_open\":false}");
    ck_assert(!cacheable); /* an empty key may still fill */
    free(body);
}
END_TEST

START_TEST(etags_name_the_bytes_and_match_lists)
{
    char a[ETAG_MAX], b[ETAG_MAX];
    etag_format("abc", 3, NULL, a);
    etag_format("abd", 3, NULL, b);
    ck_assert_str_ne(a, b);
    ck_assert_int_eq(a[0], '"');
    etag_format("abc", 3, "-gz", b);
    ck_assert_ptr_nonnull(strstr(b, "-gz\""));
    ck_assert(etag_matches(a, a));
    ck_assert(etag_matches("\"x\", W/\"y\"", "\"y\""));
    ck_assert(etag_matches("*", a));
    ck_assert(!etag_matches("\"x\"", a));
}
END_TEST

START_TEST(history_queries_choose_candles_or_points_from_the_url)
{
    struct history_query hq;
    char err[160];
    ck_assert_int_eq(
        history_query_parse("symbol=BTC&interval=1h&from=5&to=9&limit=2", &hq, err, sizeof err),
        CP_OK);
    ck_assert(hq.candles);
    ck_assert_str_eq(hq.q.symbol, "BTC");
    ck_assert_int_eq(hq.q.from, 5);
    ck_assert_int_eq(hq.q.to, 9);
    ck_assert_int_eq(hq.q.limit, 2);
    ck_assert_int_eq(history_query_parse("symbol=ETH&limit=7", &hq, err, sizeof err), CP_OK);
    ck_assert(!hq.candles);
    ck_assert_str_eq(hq.q.symbol, "ETH");
    ck_assert_int_eq(hq.limit, 7);
    ck_assert_int_eq(history_query_parse("interval=1h", &hq, err, sizeof err), CP_EINVAL);
    ck_assert_str_eq(err, "symbol is required");
    ck_assert_int_eq(
        history_query_parse("symbol=ABCDEFGHIJKLMNOPQ&interval=1h", &hq, err, sizeof err),
        CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "symbol must be"));
    ck_assert_int_eq(history_query_parse("symbol=BTC&interval=1h&to=%zz", &hq, err, sizeof err),
                     CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "to must be"));
    ck_assert_int_eq(history_query_parse("symbol=BTC&from=1", &hq, err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "interval"));
    ck_assert_int_eq(history_query_parse("symbol=BTC&limit=1001", &hq, err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "limit"));
}
END_TEST

static Suite *candles_suite(void)
{
    Suite *s = suite_create("candles");
    TCase *t = tcase_create("core");
    tcase_add_test(t, buckets_are_utc_aligned_and_a_start_is_its_own_bucket);
    tcase_add_test(t, keys_name_symbol_and_interval);
    tcase_add_test(t, members_round_to_the_tick_size_and_parse_back);
    tcase_add_test(t, members_that_are_not_ours_are_refused);
    tcase_add_test(t, requests_are_checked_parameter_by_parameter);
    tcase_add_test(t, with_from_the_range_reads_forward_else_backward_from_to);
    tcase_add_test(t, responses_join_members_oldest_first_and_skip_bad_ones);
    tcase_add_test(t, etags_name_the_bytes_and_match_lists);
    tcase_add_test(t, history_queries_choose_candles_or_points_from_the_url);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(candles_suite)
