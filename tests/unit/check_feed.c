/* Unit tests of feeder/feed.c: the prices of each tick from a replay or the
 * mock walk. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "feed.h"
#include "live.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

static char err[256];
static struct price prices[16];
static size_t n;

/* Three minutes; ETH misses the second one. */
static struct feed *small_replay(bool loop)
{
    struct replay *r = replay_new();
    ck_assert_int_eq(
        replay_add_text(r, "m.csv",
                        "ts_ms,symbol,open,high,low,close,volume\n"
                        "1738454400000,ETH-USD,3000.004,3000.004,3000.004,3000.004,10\n"
                        "1738454400000,BTC-USD,100000.5,100000.5,100000.5,100000.5,1\n"
                        "1738454400000,ZZZ-USD,7,7,7,7,1\n"
                        "1738454460000,BTC-USD,101000.5,101000.5,101000.5,101000.5,2\n"
                        "1738454520000,BTC-USD,99000.5,99000.5,99000.5,99000.5,0\n"
                        "1738454520000,ETH-USD,3100,3100,3100,3100,5\n",
                        err, sizeof err),
        CP_OK);
    ck_assert_int_eq(replay_finish(r, err, sizeof err), CP_OK);
    return feed_new_replay(r, "BTC,SOL,ETH", loop, 0, 1500);
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
    ck_assert(prices[1].price == 3000.0); /* ETH's tick is 0.01 */
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

/* Is v a whole number of ticks of decimals places? */
static bool on_tick_grid(double v, int decimals)
{
    double scaled = v * pow(10.0, decimals);
    return fabs(scaled - round(scaled)) < 1e-6;
}

START_TEST(mock_prices_are_rounded_and_24h_fields_follow_the_emitted_series)
{
    struct feed *f = feed_new_mock("BTC,XRP,DOGE,SHIB", 9, 1500, err, sizeof err);
    static const int decimals[] = {2, 4, 5, 8};
    double first[4], high[4], low[4], volume[4] = {0};
    int64_t t = 1738454400000LL;
    for (int k = 0; k < 2000; k++) {
        ck_assert_int_eq(feed_next(f, t + k * 1500, "id", prices, &n), CP_OK);
        feed_commit(f);
        for (size_t i = 0; i < 4; i++) {
            double p = prices[i].price;
            ck_assert_msg(on_tick_grid(p, decimals[i]), "%s %.12g off its tick", prices[i].symbol,
                          p);
            if (k == 0)
                first[i] = high[i] = low[i] = p;
            high[i] = fmax(high[i], p);
            low[i] = fmin(low[i], p);
            ck_assert(prices[i].high24h == high[i]);
            ck_assert(prices[i].low24h == low[i]);
            ck_assert_double_eq_tol(prices[i].change24h, (p - first[i]) / first[i] * 100, 1e-9);
            ck_assert(prices[i].volume24h > volume[i]);
            volume[i] = prices[i].volume24h;
        }
    }
    feed_free(f);
}
END_TEST

START_TEST(replay_closes_go_out_on_the_symbols_tick)
{
    struct feed *f = small_replay(false);
    feed_next(f, 1, "1-0", prices, &n);
    ck_assert(prices[0].price == 100000.5);
    ck_assert(prices[1].price == 3000.0); /* 3000.004 at ETH's 0.01 */
    ck_assert(prices[1].high24h == 3000.0);
    feed_free(f);
}
END_TEST

/* speed 80 at 1500 ms: two minutes of market time per tick. */
START_TEST(fast_replay_conflates_minutes_into_one_tick)
{
    struct replay *r = replay_new();
    replay_add_text(r, "m.csv",
                    "1738454400000,BTC-USD,100000.5,100000.5,100000.5,100000.5,1\n"
                    "1738454460000,BTC-USD,101000.5,101000.5,101000.5,101000.5,2\n"
                    "1738454460000,ETH-USD,3000,3000,3000,3000,2\n"
                    "1738454520000,BTC-USD,99000.5,99000.5,99000.5,99000.5,0\n"
                    "1738454640000,BTC-USD,98000.5,98000.5,98000.5,98000.5,0\n",
                    err, sizeof err);
    ck_assert_int_eq(replay_finish(r, err, sizeof err), CP_OK);
    struct feed *f = feed_new_replay(r, "", false, 80, 1500);
    ck_assert_int_eq(feed_next(f, 1, "1-0", prices, &n), CP_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert(prices[0].price == 100000.5);
    ck_assert_int_eq(feed_next(f, 2, "2-0", prices, &n), CP_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert(prices[0].price == 99000.5); /* the latest of two minutes */
    ck_assert(prices[0].volume24h == 3.0);
    ck_assert(prices[0].high24h == 101000.5);
    ck_assert(prices[1].price == 3000.0);
    ck_assert_int_eq(feed_next(f, 3, "3-0", prices, &n), CP_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert(prices[0].price == 98000.5);
    ck_assert(feed_done(f));
    feed_free(f);
}
END_TEST

/* speed 20 at 1500 ms: half a minute per tick, so every other tick is empty. */
START_TEST(slow_replay_leaves_ticks_without_a_candle_empty)
{
    struct replay *r = replay_new();
    replay_add_text(r, "m.csv",
                    "1738454400000,BTC-USD,1,1,1,1,1\n"
                    "1738454460000,BTC-USD,2,2,2,2,2\n",
                    err, sizeof err);
    ck_assert_int_eq(replay_finish(r, err, sizeof err), CP_OK);
    struct feed *f = feed_new_replay(r, "", true, 20, 1500);
    static const size_t want[] = {1, 0, 1, 1, 0, 1}; /* loops back after the 3rd */
    for (size_t k = 0; k < 6; k++) {
        ck_assert_int_eq(feed_next(f, (int64_t)k, "x", prices, &n), CP_OK);
        ck_assert_msg(n == want[k], "tick %zu has %zu prices", k, n);
    }
    ck_assert(!feed_done(f));
    feed_free(f);
}
END_TEST

START_TEST(mock_adopts_published_prices)
{
    struct feed *f = feed_new_mock("BTC,ETH", 5, 1500, err, sizeof err);
    feed_next(f, 1000, "a", prices, &n);
    struct price theirs = {.symbol = "ETH", .price = 2000.0};
    feed_adopt(f, &theirs, 1);
    feed_next(f, 2500, "b", prices, &n);
    ck_assert(fabs(prices[1].price / 2000.0 - 1) < 0.01);
    ck_assert(prices[1].change24h == 0.0); /* a fresh window */
    feed_free(f);
}
END_TEST

/* Ticks 100 to 699 are dropped (Redis away, or a standby): the walk goes on,
 * but the 24 h figures of every tick are those of the ticks written before
 * it plus its own price, never of a price nobody saw. */
START_TEST(mock_24h_fields_leave_out_ticks_not_written)
{
    struct feed *f = feed_new_mock("BTC,DOGE", 3, 1500, err, sizeof err);
    double first[2], high[2], low[2], volume[2] = {0};
    int64_t t = 1738454400000LL;
    for (int k = 0; k < 1000; k++) {
        bool written = k < 100 || k >= 700;
        ck_assert_int_eq(feed_next(f, t + k * 1500, "id", prices, &n), CP_OK);
        for (size_t i = 0; i < 2; i++) {
            double p = prices[i].price;
            double hi = k ? fmax(high[i], p) : p, lo = k ? fmin(low[i], p) : p;
            double from = k ? first[i] : p;
            ck_assert_msg(prices[i].high24h == hi && prices[i].low24h == lo,
                          "tick %d %s: high24h %.10g low24h %.10g, published %.10g..%.10g", k,
                          prices[i].symbol, prices[i].high24h, prices[i].low24h, lo, hi);
            ck_assert_double_eq_tol(prices[i].change24h, (p - from) / from * 100, 1e-9);
            ck_assert(prices[i].volume24h > volume[i]);
            if (written) {
                first[i] = from;
                high[i] = hi;
                low[i] = lo;
                volume[i] = prices[i].volume24h;
            }
        }
        if (written)
            feed_commit(f);
    }
    feed_free(f);
}
END_TEST

/* A tick as it lies in the history stream (only the fields feed_record reads). */
static struct price published(const char *symbol, int64_t ts, double price, double volume24h)
{
    struct price p = {.ts = ts, .price = price, .volume24h = volume24h};
    strcpy(p.symbol, symbol);
    return p;
}

/* Taking over (or restarting), the window is rebuilt from the ticks in the
 * stream, so that change24h, high24h, low24h and volume24h go on. */
START_TEST(mock_window_is_rebuilt_from_published_ticks)
{
    struct feed *f = feed_new_mock("BTC,ETH", 5, 1500, err, sizeof err);
    int64_t t = 1738454400000LL;
    feed_next(f, t - 9000, "mine", prices, &n); /* this feeder's own, never written */
    feed_commit(f);
    struct price newest = published("BTC", t - 1500, 48000.0, 6.0);
    feed_adopt(f, &newest, 1);
    struct price ticks[][2] = {
        {published("BTC", t - 4500, 50000.0, 1.0), published("XYZ", t - 4500, 1.0, 1.0)},
        {published("BTC", t - 3000, 52000.0, 3.0), published("ETH", t - 3000, 3000.0, 10.0)},
        {newest, published("ETH", t - 1500, 2900.0, 12.0)},
    };
    for (size_t k = 0; k < 3; k++)
        feed_record(f, ticks[k], 2);
    ck_assert_int_eq(feed_next(f, t, "id", prices, &n), CP_OK);
    double p = prices[0].price;
    ck_assert(fabs(p / 48000.0 - 1) < 0.01);
    ck_assert(prices[0].high24h == 52000.0);
    ck_assert(prices[0].low24h == fmin(48000.0, p));
    ck_assert_double_eq_tol(prices[0].change24h, (p - 50000.0) / 50000.0 * 100, 1e-9);
    ck_assert(prices[0].volume24h > 6.0 && prices[0].volume24h < 6.0 + 1e8);
    ck_assert(prices[1].high24h == fmax(3000.0, prices[1].price));
    ck_assert(prices[1].volume24h > 12.0);
    feed_free(f);
}
END_TEST

START_TEST(fast_replay_samples_are_every_row_with_its_own_time_and_ohlc)
{
    struct replay *r = replay_new();
    replay_add_text(r, "m.csv",
                    "1738454400000,BTC-USD,100000.004,100010.126,99990.5,100005.5,1\n"
                    "1738454460000,BTC-USD,100005.5,100020,100000,100015.5,2\n"
                    "1738454460000,ETH-USD,3000,3001,2999,3000.5,2\n",
                    err, sizeof err);
    ck_assert_int_eq(replay_finish(r, err, sizeof err), CP_OK);
    struct feed *f = feed_new_replay(r, "", false, 80, 1500); /* 2 minutes a tick */
    ck_assert_int_eq(feed_next(f, 1, "1-0", prices, &n), CP_OK);
    size_t ns;
    const struct ohlc_sample *s = feed_samples(f, &ns);
    ck_assert_uint_eq(ns, 1);
    ck_assert_int_eq(feed_next(f, 2, "2-0", prices, &n), CP_OK);
    s = feed_samples(f, &ns);
    ck_assert_uint_eq(ns, 2); /* both rows of the second minute */
    ck_assert_str_eq(s[0].symbol, "BTC");
    ck_assert_int_eq(s[0].t, 1738454460000LL); /* market time, not the tick's */
    ck_assert(s[0].o == 100005.5 && s[0].h == 100020 && s[0].l == 100000 && s[0].c == 100015.5);
    ck_assert(s[0].v == 2);
    ck_assert_str_eq(s[1].symbol, "ETH");
    feed_free(f);
    r = replay_new();
    replay_add_text(r, "m.csv", "1738454400000,BTC-USD,100000.004,100010.126,99990.5,100005.5,1\n",
                    err, sizeof err);
    replay_finish(r, err, sizeof err);
    f = feed_new_replay(r, "", false, 0, 1500);
    feed_next(f, 1, "1-0", prices, &n);
    s = feed_samples(f, &ns);
    ck_assert(s[0].o == 100000.0 && s[0].h == 100010.13); /* tick size */
    feed_free(f);
}
END_TEST

START_TEST(mock_samples_are_the_ticks_prices_and_volumes)
{
    struct feed *f = feed_new_mock("BTC,XRP", 7, 1500, err, sizeof err);
    ck_assert_int_eq(feed_next(f, 5000, "5000-0", prices, &n), CP_OK);
    size_t ns;
    const struct ohlc_sample *s = feed_samples(f, &ns);
    ck_assert_uint_eq(ns, 2);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_str_eq(s[i].symbol, prices[i].symbol);
        ck_assert_int_eq(s[i].t, 5000);
        ck_assert(s[i].o == prices[i].price && s[i].h == prices[i].price);
        ck_assert(s[i].l == prices[i].price && s[i].c == prices[i].price);
        ck_assert(s[i].v == prices[i].volume24h); /* the first tick's volume is all of it */
    }
    feed_free(f);
}
END_TEST

START_TEST(live_samples_take_the_growth_of_volume24h_as_quote_volume)
{
    static const char *const one[] = {"binance"};
    struct live_rule rule = {.stale_ms = 10000, .max_dev_pct = 5};
    struct live *l = live_new("BTC,ETH", one, 1, &rule, err, sizeof err);
    struct feed *f = feed_new_live(l);
    struct exch_quote q = {.symbol = "BTC", .price = 100, .has_stats = true, .volume24h = 50};
    q.high24h = q.low24h = 100;
    ck_assert(live_quote(l, 0, &q, 1000));
    ck_assert_int_eq(feed_next(f, 1500, "1500-0", prices, &n), CP_OK);
    size_t ns;
    const struct ohlc_sample *s = feed_samples(f, &ns);
    ck_assert_uint_eq(ns, 1); /* ETH: no quote yet, no sample */
    ck_assert(s[0].t == 1500 && s[0].o == 100 && s[0].c == 100 && s[0].v == 0);
    q.price = 102;
    q.volume24h = 52.5;
    live_quote(l, 0, &q, 2000);
    feed_next(f, 3000, "3000-0", prices, &n);
    s = feed_samples(f, &ns);
    ck_assert(s[0].c == 102 && s[0].v == 2.5 * 102);
    q.volume24h = 40; /* old trades left the window */
    live_quote(l, 0, &q, 3500);
    feed_next(f, 4500, "4500-0", prices, &n);
    s = feed_samples(f, &ns);
    ck_assert(s[0].v == 0);
    feed_next(f, 20000, "20000-0", prices, &n); /* stale: the last price kept, no sample */
    feed_samples(f, &ns);
    ck_assert_uint_eq(ns, 0);
    feed_free(f);
}
END_TEST

START_TEST(a_looping_replay_gives_each_lap_later_candle_times)
{
    struct feed *f = small_replay(true); /* three minutes */
    size_t ns;
    for (int i = 0; i < 3; i++)
        feed_next(f, i, "1-0", prices, &n);
    ck_assert_int_eq(feed_next(f, 3, "3-0", prices, &n), CP_OK); /* lap 2 */
    const struct ohlc_sample *s = feed_samples(f, &ns);
    ck_assert_uint_eq(ns, 3);
    ck_assert_int_eq(s[0].t, 1738454400000LL + 86400000); /* a day later */
    feed_free(f);
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
    tcase_add_test(t, mock_prices_are_rounded_and_24h_fields_follow_the_emitted_series);
    tcase_add_test(t, replay_closes_go_out_on_the_symbols_tick);
    tcase_add_test(t, fast_replay_conflates_minutes_into_one_tick);
    tcase_add_test(t, slow_replay_leaves_ticks_without_a_candle_empty);
    tcase_add_test(t, mock_adopts_published_prices);
    tcase_add_test(t, mock_24h_fields_leave_out_ticks_not_written);
    tcase_add_test(t, mock_window_is_rebuilt_from_published_ticks);
    tcase_add_test(t, fast_replay_samples_are_every_row_with_its_own_time_and_ohlc);
    tcase_add_test(t, mock_samples_are_the_ticks_prices_and_volumes);
    tcase_add_test(t, live_samples_take_the_growth_of_volume24h_as_quote_volume);
    tcase_add_test(t, a_looping_replay_gives_each_lap_later_candle_times);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(feed_suite)
