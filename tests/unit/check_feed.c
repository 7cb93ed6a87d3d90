/* Unit tests of feeder/feed.c: the prices of each tick from a replay or the
 * mock walk. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "feed.h"

#include <string.h>

static char err[256];
static struct price prices[16];
static size_t n;

/* Three minutes; ETH misses the second one. */
static struct feed *small_replay(bool loop)
{
    struct replay *r = replay_new();
    ck_assert_int_eq(replay_add_text(r, "m.csv",
                                     "ts_ms,symbol,open,high,low,close,volume\n"
                                     "1738454400000,ETH-USD,1,1,1,3000.004,10\n"
                                     "1738454400000,BTC-USD,1,1,1,100000.5,1\n"
                                     "1738454400000,ZZZ-USD,1,1,1,7,1\n"
                                     "1738454460000,BTC-USD,1,1,1,101000.5,2\n"
                                     "1738454520000,BTC-USD,1,1,1,99000.5,0\n"
                                     "1738454520000,ETH-USD,1,1,1,3100,5\n",
                                     err, sizeof err),
                     CP_OK);
    ck_assert_int_eq(replay_finish(r, err, sizeof err), CP_OK);
    return feed_new_replay(r, "BTC,SOL,ETH", loop);
}

START_TEST(replay_orders_symbols_by_the_configured_list)
{
    struct feed *f = small_replay(false);
    ck_assert_uint_eq(feed_symbol_count(f), 3);
    ck_assert_str_eq(feed_symbols(f), "BTC,ETH,ZZZ");
    feed_free(f);
}
END_TEST

START_TEST(replay_gives_one_minute_per_tick_with_id_and_ts)
{
    struct feed *f = small_replay(false);
    ck_assert_int_eq(feed_next(f, 5000, "5000-0", prices, &n), CP_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(prices[0].symbol, "BTC");
    ck_assert(prices[0].price == 100000.5);
    ck_assert_int_eq(prices[0].ts, 5000);
    ck_assert_str_eq(prices[0].id, "5000-0");
    ck_assert_str_eq(prices[1].symbol, "ETH");
    ck_assert(prices[1].price == 3000.004);
    ck_assert_str_eq(prices[2].symbol, "ZZZ");
    feed_free(f);
}
END_TEST

START_TEST(replay_leaves_out_symbols_missing_in_a_minute)
{
    struct feed *f = small_replay(false);
    feed_next(f, 1, "1-0", prices, &n);
    ck_assert_int_eq(feed_next(f, 2, "2-0", prices, &n), CP_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(prices[0].symbol, "BTC");
    ck_assert(prices[0].high24h == 101000.5);
    ck_assert(prices[0].volume24h == 3.0);
    ck_assert_double_eq_tol(prices[0].change24h, 1000.0 / 100000.5 * 100.0, 1e-6);
    feed_free(f);
}
END_TEST

START_TEST(replay_ends_without_loop)
{
    struct feed *f = small_replay(false);
    for (int i = 0; i < 3; i++) {
        ck_assert(!feed_done(f));
        ck_assert_int_eq(feed_next(f, i, "x", prices, &n), CP_OK);
    }
    ck_assert(feed_done(f));
    ck_assert_int_eq(feed_next(f, 9, "x", prices, &n), CP_ENOENT);
    ck_assert_uint_eq(n, 0);
    feed_free(f);
}
END_TEST

START_TEST(replay_with_loop_starts_over_with_fresh_24h_figures)
{
    struct feed *f = small_replay(true);
    for (int i = 0; i < 3; i++)
        feed_next(f, i, "x", prices, &n);
    ck_assert(!feed_done(f));
    ck_assert_int_eq(feed_next(f, 9, "x", prices, &n), CP_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert(prices[0].price == 100000.5);
    ck_assert(prices[0].volume24h == 1.0);
    ck_assert(prices[0].change24h == 0.0);
    feed_free(f);
}
END_TEST

START_TEST(mock_gives_every_symbol_each_tick)
{
    struct feed *f = feed_new_mock("BTC,ETH", 5, 1500, err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(feed_symbols(f), "BTC,ETH");
    int64_t t = 1738454400000LL;
    for (int i = 0; i < 100; i++) {
        ck_assert_int_eq(feed_next(f, t + i * 1500, "id", prices, &n), CP_OK);
        ck_assert_uint_eq(n, 2);
        ck_assert(prices[0].price > 0);
        ck_assert(prices[0].low24h <= prices[0].price && prices[0].price <= prices[0].high24h);
        ck_assert(prices[1].volume24h > 0);
    }
    ck_assert(!feed_done(f));
    feed_free(f);
    ck_assert_ptr_null(feed_new_mock("BTC,,", 5, 1500, err, sizeof err));
}
END_TEST

static Suite *feed_suite(void)
{
    Suite *s = suite_create("feed");
    TCase *t = tcase_create("ticks");
    tcase_add_test(t, replay_orders_symbols_by_the_configured_list);
    tcase_add_test(t, replay_gives_one_minute_per_tick_with_id_and_ts);
    tcase_add_test(t, replay_leaves_out_symbols_missing_in_a_minute);
    tcase_add_test(t, replay_ends_without_loop);
    tcase_add_test(t, replay_with_loop_starts_over_with_fresh_24h_figures);
    tcase_add_test(t, mock_gives_every_symbol_each_tick);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(feed_suite)
