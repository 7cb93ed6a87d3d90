/* Unit tests of feeder/ohlc.c: samples into 1m/5m/1h/1d candles, the
 * changes a tick writes, rollback, and seeding from stored candles. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "ohlc.h"

#include <string.h>

#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL
#define T0 1738454400000LL /* 2025-02-02T00:00:00Z: a day, hour and minute start */

static struct ohlc *a;

static void setup(void)
{
    a = ohlc_new();
}

static void teardown(void)
{
    ohlc_free(a);
}

/* A tick-shaped sample (mock or live): o = h = l = c = price. */
static int tick(const char *sym, int64_t t, double price, double v)
{
    struct ohlc_sample s = {.t = t, .o = price, .h = price, .l = price, .c = price, .v = v};
    strcpy(s.symbol, sym);
    return ohlc_add(a, &s);
}

/* A replay-shaped sample: one CSV row's own OHLC. */
static int row(const char *sym, int64_t t, double o, double h, double l, double c, double v)
{
    struct ohlc_sample s = {.t = t, .o = o, .h = h, .l = l, .c = c, .v = v};
    strcpy(s.symbol, sym);
    return ohlc_add(a, &s);
}

static struct ohlcv get(const char *sym, enum candles_interval iv)
{
    struct ohlcv c;
    ck_assert(ohlc_get(a, sym, iv, &c));
    return c;
}

/* The member of change i, checked to be of sym and iv. */
static const char *change(size_t i, const char *sym, enum candles_interval iv)
{
    static struct ohlc_write w;
    ck_assert_uint_lt(i, ohlc_changes(a));
    ohlc_change(a, i, &w);
    ck_assert_str_eq(w.symbol, sym);
    ck_assert_int_eq(w.iv, iv);
    ck_assert_uint_eq(strlen(w.member), w.member_len);
    return w.member;
}

START_TEST(first_tick_opens_a_candle_of_every_interval_at_its_bucket)
{
    ck_assert_int_eq(tick("BTC", T0 + 90 * MIN + 1234, 100.5, 2), 4);
    ck_assert_int_eq(get("BTC", CANDLES_1M).open_ms, T0 + 90 * MIN);
    ck_assert_int_eq(get("BTC", CANDLES_5M).open_ms, T0 + 90 * MIN);
    ck_assert_int_eq(get("BTC", CANDLES_1H).open_ms, T0 + HOUR);
    ck_assert_int_eq(get("BTC", CANDLES_1D).open_ms, T0);
    ck_assert(get("BTC", CANDLES_1H).is_open);
    ck_assert_uint_eq(ohlc_changes(a), 4);
    ck_assert_str_eq(change(2, "BTC", CANDLES_1H), "o[1738458000000,100.5,100.5,100.5,100.5,2.0]");
}
END_TEST

START_TEST(a_sample_exactly_at_a_boundary_opens_the_next_candle)
{
    tick("BTC", T0 + DAY - 1, 100, 1); /* the last ms of the day */
    ohlc_commit(a);
    tick("BTC", T0 + DAY, 101, 1); /* a new minute, 5 minutes, hour and day */
    ck_assert_int_eq(get("BTC", CANDLES_1D).open_ms, T0 + DAY);
    ck_assert_int_eq(get("BTC", CANDLES_1M).open_ms, T0 + DAY);
    /* each interval: the old candle closed and the new one open */
    ck_assert_uint_eq(ohlc_changes(a), 8);
    ck_assert_str_eq(change(0, "BTC", CANDLES_1M), "c[1738540740000,100.0,100.0,100.0,100.0,1.0]");
    ck_assert_str_eq(change(1, "BTC", CANDLES_1M), "o[1738540800000,101.0,101.0,101.0,101.0,1.0]");
    ck_assert_str_eq(change(6, "BTC", CANDLES_1D), "c[1738454400000,100.0,100.0,100.0,100.0,1.0]");
    ck_assert_str_eq(change(7, "BTC", CANDLES_1D), "o[1738540800000,101.0,101.0,101.0,101.0,1.0]");
}
END_TEST

START_TEST(samples_of_a_bucket_merge_first_open_max_high_min_low_latest_close_summed_volume)
{
    tick("ETH", T0 + 5 * MIN, 3000, 1);
    tick("ETH", T0 + 6 * MIN, 3100, 2);
    tick("ETH", T0 + 7 * MIN, 2900, 3);
    tick("ETH", T0 + 8 * MIN, 3050, 4);
    struct ohlcv c = get("ETH", CANDLES_5M);
    ck_assert(c.open == 3000 && c.high == 3100 && c.low == 2900 && c.close == 3050);
    ck_assert(c.volume == 10);
    /* uncommitted: one entry per candle, the latest state */
    ck_assert_str_eq(change(1, "ETH", CANDLES_5M),
                     "o[1738454700000,3000.0,3100.0,2900.0,3050.0,10.0]");
}
END_TEST

START_TEST(gaps_stay_gaps)
{
    tick("SOL", T0, 200, 1);
    ohlc_commit(a);
    tick("SOL", T0 + 3 * HOUR + 5 * MIN, 210, 1); /* nothing in between */
    ck_assert_int_eq(get("SOL", CANDLES_1H).open_ms, T0 + 3 * HOUR);
    ck_assert(get("SOL", CANDLES_1H).open == 210); /* not carried over from 200 */
    /* only the closed old and the new open candle of each interval */
    ck_assert_uint_eq(ohlc_changes(a), 7); /* the day candle stays the same one */
}
END_TEST

START_TEST(a_late_sample_of_an_earlier_bucket_is_not_applied_and_counted)
{
    tick("BTC", T0 + 2 * MIN, 100, 1);
    ohlc_commit(a);
    /* earlier minute: late for 1m; the same 5m, 1h and 1d bucket though */
    ck_assert_int_eq(tick("BTC", T0 + MIN, 90, 1), 3);
    ck_assert_uint_eq(ohlc_late(a), 1);
    ck_assert(get("BTC", CANDLES_1M).low == 100);
    ck_assert(get("BTC", CANDLES_5M).low == 90);
    ck_assert(get("BTC", CANDLES_5M).close == 100);  /* older than the last: not the close */
    ck_assert_int_eq(tick("BTC", T0 - 1, 80, 1), 0); /* the day before: late everywhere */
    ck_assert_uint_eq(ohlc_late(a), 5);
}
END_TEST

START_TEST(an_older_sample_of_the_open_bucket_updates_high_low_volume_not_close)
{
    tick("BTC", T0 + 30000, 100, 1);
    tick("BTC", T0 + 10000, 120, 2);
    tick("BTC", T0 + 20000, 80, 3);
    struct ohlcv c = get("BTC", CANDLES_1M);
    ck_assert(c.open == 100 && c.high == 120 && c.low == 80 && c.close == 100 && c.volume == 6);
    tick("BTC", T0 + 30000, 99, 0); /* the same time as the last: it is the latest */
    ck_assert(get("BTC", CANDLES_1M).close == 99);
}
END_TEST

START_TEST(replay_rows_aggregate_into_an_hour)
{
    /* a fast replay tick covering three minutes of rows */
    row("BTC", T0, 100, 105, 99, 101, 10);
    row("BTC", T0 + MIN, 101, 110, 100, 108, 20);
    row("BTC", T0 + 2 * MIN, 108, 109, 95, 96, 30);
    struct ohlcv h = get("BTC", CANDLES_1H), m = get("BTC", CANDLES_1M);
    ck_assert(h.open == 100 && h.high == 110 && h.low == 95 && h.close == 96 && h.volume == 60);
    ck_assert(m.open == 108 && m.close == 96 && m.open_ms == T0 + 2 * MIN);
    /* 1m: two closed and one open; 5m, 1h, 1d: one open each */
    ck_assert_uint_eq(ohlc_changes(a), 6);
    ck_assert_str_eq(change(0, "BTC", CANDLES_1M), "c[1738454400000,100.0,105.0,99.0,101.0,10.0]");
}
END_TEST

START_TEST(live_shaped_samples_of_several_symbols_keep_apart)
{
    tick("BTC", T0 + 1500, 100000.004, 0); /* first live tick: no volume yet */
    tick("XRP", T0 + 1500, 2.71828, 0);
    tick("BTC", T0 + 3000, 100001.5, 12.5);
    ck_assert(get("XRP", CANDLES_1M).close == 2.71828);
    ck_assert(get("BTC", CANDLES_1M).volume == 12.5);
    ck_assert_uint_eq(ohlc_changes(a), 8);
}
END_TEST

START_TEST(members_are_rounded_to_the_tick_size_and_volume_to_a_thousandth)
{
    tick("BTC", T0, 100624.8984375, 4130816.12345);
    ck_assert_str_eq(change(0, "BTC", CANDLES_1M),
                     "o[1738454400000,100624.9,100624.9,100624.9,100624.9,4130816.123]");
    tick("XRP", T0, 2.7182818, 1);
    ck_assert_str_eq(change(4, "XRP", CANDLES_1M),
                     "o[1738454400000,2.7183,2.7183,2.7183,2.7183,1.0]");
    ck_assert(ohlc_round("BTC", 100624.8984375) == 100624.9);
    ck_assert(ohlc_round("XRP", 2.7182818) == 2.7183);
}
END_TEST

START_TEST(rollback_forgets_everything_since_the_commit)
{
    tick("BTC", T0, 100, 1);
    ohlc_commit(a);
    tick("BTC", T0 + 10000, 150, 5); /* the tick that failed to write */
    tick("BTC", T0 + MIN, 160, 5);
    tick("NEW", T0 + MIN, 1, 1);
    ohlc_rollback(a);
    ck_assert_uint_eq(ohlc_changes(a), 0);
    struct ohlcv c = get("BTC", CANDLES_1M);
    ck_assert(c.open_ms == T0 && c.high == 100 && c.close == 100 && c.volume == 1 && c.is_open);
    struct ohlcv none;
    ck_assert(!ohlc_get(a, "NEW", CANDLES_1M, &none));
    /* and goes on as if the failed tick never happened */
    tick("BTC", T0 + 20000, 90, 1);
    c = get("BTC", CANDLES_1M);
    ck_assert(c.high == 100 && c.low == 90 && c.volume == 2);
    ck_assert_uint_eq(ohlc_changes(a), 4);
}
END_TEST

START_TEST(rollback_without_a_commit_empties)
{
    tick("BTC", T0, 100, 1);
    ohlc_rollback(a);
    struct ohlcv c;
    ck_assert(!ohlc_get(a, "BTC", CANDLES_1M, &c));
}
END_TEST

START_TEST(a_loaded_open_candle_continues)
{
    struct ohlcv stored;
    const char *m = "o[1738458000000,100.5,110,90,105,1000]";
    ck_assert_int_eq(candles_member_parse(m, strlen(m), &stored), CP_OK);
    ohlc_load(a, "BTC", CANDLES_1H, &stored);
    ohlc_commit(a);
    tick("BTC", T0 + HOUR + 30 * MIN, 111, 5);
    ck_assert_str_eq(change(2, "BTC", CANDLES_1H),
                     "o[1738458000000,100.5,111.0,90.0,111.0,1005.0]");
    ohlc_commit(a);
    tick("BTC", T0 + 2 * HOUR, 112, 1); /* the next hour closes it */
    ck_assert_str_eq(change(4, "BTC", CANDLES_1H),
                     "c[1738458000000,100.5,111.0,90.0,111.0,1005.0]");
}
END_TEST

START_TEST(a_loaded_closed_candle_takes_no_more_samples_of_its_bucket)
{
    struct ohlcv stored = {T0, 1, 2, 1, 2, 3, false};
    ohlc_load(a, "BTC", CANDLES_1D, &stored);
    ck_assert_int_eq(tick("BTC", T0 + HOUR, 5, 1), 3);
    ck_assert(get("BTC", CANDLES_1D).high == 2);
    ck_assert_uint_eq(ohlc_late(a), 1);
}
END_TEST

START_TEST(close_ended_closes_only_intervals_over_by_the_wall_clock)
{
    tick("BTC", T0 + 2 * MIN + 1, 100, 1);
    ohlc_commit(a);
    ohlc_close_ended(a, T0 + 5 * MIN); /* 1m and 5m are over, 1h and 1d are not */
    ck_assert(!get("BTC", CANDLES_1M).is_open);
    ck_assert(!get("BTC", CANDLES_5M).is_open);
    ck_assert(get("BTC", CANDLES_1H).is_open);
    ck_assert_uint_eq(ohlc_changes(a), 2);
    ck_assert_str_eq(change(0, "BTC", CANDLES_1M), "c[1738454520000,100.0,100.0,100.0,100.0,1.0]");
}
END_TEST

static Suite *ohlc_suite(void)
{
    Suite *s = suite_create("ohlc");
    TCase *t = tcase_create("candles");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, first_tick_opens_a_candle_of_every_interval_at_its_bucket);
    tcase_add_test(t, a_sample_exactly_at_a_boundary_opens_the_next_candle);
    tcase_add_test(
        t, samples_of_a_bucket_merge_first_open_max_high_min_low_latest_close_summed_volume);
    tcase_add_test(t, gaps_stay_gaps);
    tcase_add_test(t, a_late_sample_of_an_earlier_bucket_is_not_applied_and_counted);
    tcase_add_test(t, an_older_sample_of_the_open_bucket_updates_high_low_volume_not_close);
    tcase_add_test(t, replay_rows_aggregate_into_an_hour);
    tcase_add_test(t, live_shaped_samples_of_several_symbols_keep_apart);
    tcase_add_test(t, members_are_rounded_to_the_tick_size_and_volume_to_a_thousandth);
    tcase_add_test(t, rollback_forgets_everything_since_the_commit);
    tcase_add_test(t, rollback_without_a_commit_empties);
    tcase_add_test(t, a_loaded_open_candle_continues);
    tcase_add_test(t, a_loaded_closed_candle_takes_no_more_samples_of_its_bucket);
    tcase_add_test(t, close_ended_closes_only_intervals_over_by_the_wall_clock);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(ohlc_suite)
