#include "config.h"

#include "check_main.h"
#include "live.h"

#include <string.h>

static const char *const three[] = {"binance", "coinbase", "kraken"};
static const struct live_rule rule = {.stale_ms = 10000, .max_dev_pct = 5};

static struct live *new_live(const char *symbols, size_t n_sources)
{
    char err[128];
    struct live *l = live_new(symbols, three, n_sources, &rule, err, sizeof err);
    ck_assert_msg(l != NULL, "%s", err);
    return l;
}

static struct exch_quote quote(const char *symbol, double price)
{
    struct exch_quote q = {.price = price};
    snprintf(q.symbol, sizeof q.symbol, "%s", symbol);
    return q;
}

static void say(struct live *l, size_t src, const char *symbol, double price, int64_t at)
{
    struct exch_quote q = quote(symbol, price);
    ck_assert(live_quote(l, src, &q, at));
}

/* The tick's prices at now; returns the count. */
static size_t tick(struct live *l, int64_t now, struct price *out)
{
    size_t n;
    live_prices(l, now, "1-0", out, &n);
    return n;
}

START_TEST(price_is_the_median_of_fresh_sources)
{
    struct live *l = new_live("BTC", 3);
    say(l, 0, "BTC", 95000.10, 1000);
    say(l, 1, "BTC", 95020.30, 1000);
    say(l, 2, "BTC", 95010.20, 1000);
    struct price p[1];
    ck_assert_uint_eq(tick(l, 1500, p), 1);
    ck_assert_double_eq(p[0].price, 95010.20);
    ck_assert(p[0].live && !p[0].stale);
    ck_assert_uint_eq(p[0].n_sources, 3);
    ck_assert_str_eq(p[0].sources[0], "binance");
    ck_assert_str_eq(p[0].sources[2], "kraken");
    ck_assert_int_eq(p[0].ts, 1500);
    live_free(l);
}
END_TEST

START_TEST(even_count_takes_the_mean_of_the_middle_two_rounded)
{
    struct live *l = new_live("BTC", 2);
    say(l, 0, "BTC", 95000.01, 1000);
    say(l, 1, "BTC", 95000.02, 1000);
    struct price p[1];
    tick(l, 1000, p);
    /* 95000.015 rounds half away from zero at BTC's 0.01 tick. */
    ck_assert_double_eq(p[0].price, 95000.02);
    live_free(l);
}
END_TEST

START_TEST(outlier_is_left_out_and_the_median_taken_again)
{
    struct live *l = new_live("BTC", 3);
    say(l, 0, "BTC", 95000.00, 1000);
    say(l, 1, "BTC", 133000.00, 1000); /* 40 % off */
    say(l, 2, "BTC", 95100.00, 1000);
    struct price p[1];
    tick(l, 1000, p);
    ck_assert_double_eq(p[0].price, 95050.00);
    ck_assert_uint_eq(p[0].n_sources, 2);
    ck_assert_str_eq(p[0].sources[1], "kraken");
    ck_assert_uint_eq(live_outliers(l, 1), 1);
    ck_assert_uint_eq(live_outliers(l, 0), 0);
    /* It agrees again: back in at once. */
    say(l, 1, "BTC", 95050.00, 2000);
    tick(l, 2000, p);
    ck_assert_uint_eq(p[0].n_sources, 3);
    ck_assert_uint_eq(live_outliers(l, 1), 1);
    live_free(l);
}
END_TEST

START_TEST(two_sources_far_apart_the_first_wins)
{
    struct live *l = new_live("ETH", 3);
    say(l, 1, "ETH", 3000.00, 1000);
    say(l, 2, "ETH", 3300.00, 1000); /* 10 % apart; binance silent */
    struct price p[1];
    tick(l, 1000, p);
    ck_assert_double_eq(p[0].price, 3000.00);
    ck_assert_uint_eq(p[0].n_sources, 1);
    ck_assert_str_eq(p[0].sources[0], "coinbase");
    ck_assert_uint_eq(live_outliers(l, 2), 1);
    live_free(l);
}
END_TEST

START_TEST(silent_sources_go_stale_and_the_last_price_is_kept)
{
    struct live *l = new_live("BTC,ETH", 3);
    say(l, 0, "BTC", 95000.00, 1000);
    say(l, 2, "BTC", 95002.00, 5000);
    struct price p[2];
    ck_assert_uint_eq(tick(l, 6000, p), 1); /* ETH: never quoted, left out */
    ck_assert_double_eq(p[0].price, 95001.00);
    ck_assert_uint_eq(tick(l, 12000, p), 1); /* binance's quote is 11 s old */
    ck_assert_double_eq(p[0].price, 95002.00);
    ck_assert_str_eq(p[0].sources[0], "kraken");
    ck_assert(!p[0].stale);
    ck_assert_uint_eq(live_fresh_sources(l, 12000), 1);
    ck_assert_uint_eq(tick(l, 15000, p), 1); /* nobody fresh */
    ck_assert(p[0].stale);
    ck_assert_double_eq(p[0].price, 95002.00);
    ck_assert_str_eq(p[0].sources[0], "kraken");
    ck_assert_int_eq(p[0].ts, 15000);
    ck_assert_uint_eq(live_fresh_sources(l, 15000), 0);
    say(l, 1, "BTC", 95100.00, 16000);
    tick(l, 16000, p);
    ck_assert(!p[0].stale);
    ck_assert_double_eq(p[0].price, 95100.00);
    live_free(l);
}
END_TEST

START_TEST(statistics_come_from_the_first_source_used_that_has_them)
{
    struct live *l = new_live("BTC", 3);
    struct exch_quote a = quote("BTC", 95000), b = quote("BTC", 95010);
    b.has_stats = true;
    b.change24h = -1.5;
    b.high24h = 96000;
    b.low24h = 94000;
    b.volume24h = 1234.5;
    live_quote(l, 0, &a, 1000); /* binance first, but without 24 h figures */
    live_quote(l, 1, &b, 1000);
    struct price p[1];
    tick(l, 1000, p);
    ck_assert_double_eq(p[0].change24h, -1.5);
    ck_assert_double_eq(p[0].high24h, 96000);
    ck_assert_double_eq(p[0].volume24h, 1234.5);
    live_free(l);
}
END_TEST

START_TEST(a_quote_older_than_the_last_is_refused)
{
    struct live *l = new_live("BTC", 1);
    struct exch_quote q = quote("BTC", 95000);
    q.ts_ms = 5000;
    ck_assert(live_quote(l, 0, &q, 5000));
    q.price = 1;
    q.ts_ms = 4000; /* the exchange's clock went back */
    ck_assert(!live_quote(l, 0, &q, 5100));
    struct price p[1];
    tick(l, 5200, p);
    ck_assert_double_eq(p[0].price, 95000);
    /* A clock an hour ahead is not believed: it would pin BTC till then. */
    q.price = 96000;
    q.ts_ms = 5300 + 3600000;
    ck_assert(!live_quote(l, 0, &q, 5300));
    q.ts_ms = 5300;
    ck_assert(live_quote(l, 0, &q, 5300));
    tick(l, 5400, p);
    ck_assert_double_eq(p[0].price, 96000);
    live_free(l);
}
END_TEST

START_TEST(bad_symbol_lists_are_refused)
{
    char err[128];
    ck_assert_ptr_null(live_new("BTC,,ETH", three, 3, &rule, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "SYMBOLS"));
    ck_assert_ptr_null(live_new("BTC,BTC", three, 3, &rule, err, sizeof err));
    ck_assert_ptr_null(live_new("BTC", three, 0, &rule, err, sizeof err));
}
END_TEST

static Suite *live_suite(void)
{
    Suite *s = suite_create("live");
    TCase *tc = tcase_create("rule");
    tcase_add_test(tc, price_is_the_median_of_fresh_sources);
    tcase_add_test(tc, even_count_takes_the_mean_of_the_middle_two_rounded);
    tcase_add_test(tc, outlier_is_left_out_and_the_median_taken_again);
    tcase_add_test(tc, two_sources_far_apart_the_first_wins);
    tcase_add_test(tc, silent_sources_go_stale_and_the_last_price_is_kept);
    tcase_add_test(tc, statistics_come_from_the_first_source_used_that_has_them);
    tcase_add_test(tc, a_quote_older_than_the_last_is_refused);
    tcase_add_test(tc, bad_symbol_lists_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(live_suite)
