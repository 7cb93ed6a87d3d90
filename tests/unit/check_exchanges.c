/* check_exchanges: feeder/exchanges.c — the live rule and the sources built
 * from the settings, each bad setting named in the error, and the sources'
 * state as the JSON written for /health and /stats.  Nothing connects: the
 * sources are built but never started. */
#include "config.h"

#include "check_main.h"
#include "conf.h"
#include "exchanges.h"
#include "live.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct cp_conf conf;
static struct event_base *base;
static struct live *live;
static char err[1024];

static void setup(void)
{
    conf_defaults(&conf);
    snprintf(conf.symbols, sizeof conf.symbols, "BTC,ETH");
    snprintf(conf.feed_sources, sizeof conf.feed_sources, "kraken,binance");
    base = event_base_new();
    live = NULL;
    err[0] = '\0';
}

static void teardown(void)
{
    live_free(live);
    event_base_free(base);
}

/* exchanges_new() for conf; NULL expected when want_err is set, and then
 * err must start with it. */
static struct exchanges *build(const char *want_err)
{
    live = exchanges_rule_new(&conf, err, sizeof err);
    ck_assert_msg(live != NULL, "%s", err);
    struct exchanges *x = exchanges_new(&conf, base, live, err, sizeof err);
    if (want_err) {
        ck_assert_ptr_null(x);
        ck_assert_msg(strncmp(err, want_err, strlen(want_err)) == 0, "%s", err);
    } else {
        ck_assert_msg(x != NULL, "%s", err);
    }
    return x;
}

START_TEST(rule_has_the_symbols_and_the_sources_in_order)
{
    live = exchanges_rule_new(&conf, err, sizeof err);
    ck_assert_ptr_nonnull(live);
    ck_assert_uint_eq(live_symbol_count(live), 2);
    ck_assert_str_eq(live_symbol(live, 0), "BTC");
    ck_assert_str_eq(live_symbol(live, 1), "ETH");
    ck_assert_str_eq(live_symbols(live), "BTC,ETH");
}
END_TEST

START_TEST(state_lists_every_source_before_any_message)
{
    struct exchanges *x = build(NULL);
    char *text = exchanges_state_json(x, 1700000000000);
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "ts")), 1700000000000);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "fresh")), 0);
    json_t *src = json_object_get(j, "sources");
    ck_assert_uint_eq(json_array_size(src), 2);
    const char *names[] = {"kraken", "binance"};
    for (size_t i = 0; i < 2; i++) {
        json_t *s = json_array_get(src, i);
        ck_assert_str_eq(json_string_value(json_object_get(s, "name")), names[i]);
        ck_assert(json_is_false(json_object_get(s, "connected")));
        ck_assert(json_is_false(json_object_get(s, "fresh")));
        ck_assert(json_is_null(json_object_get(s, "last_message_age_ms")));
        const char *zero[] = {"messages", "quotes",     "malformed",
                              "rejected", "reconnects", "outliers"};
        for (size_t k = 0; k < sizeof zero / sizeof zero[0]; k++)
            ck_assert_msg(json_integer_value(json_object_get(s, zero[k])) == 0 &&
                              json_is_integer(json_object_get(s, zero[k])),
                          "%s", zero[k]);
        ck_assert_str_eq(json_string_value(json_object_get(s, "last_error")), "");
    }
    json_decref(j);
    free(text);
    exchanges_free(x);
}
END_TEST

START_TEST(skips_a_source_that_lists_none_of_the_symbols)
{
    snprintf(conf.symbols, sizeof conf.symbols, "BNB");
    snprintf(conf.feed_sources, sizeof conf.feed_sources, "binance,kraken");
    struct exchanges *x = build(NULL);
    char *text = exchanges_state_json(x, 1);
    json_t *j = json_loads(text, 0, NULL);
    json_t *src = json_object_get(j, "sources");
    ck_assert_uint_eq(json_array_size(src), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(src, 0), "name")), "binance");
    json_decref(j);
    free(text);
    exchanges_free(x);
}
END_TEST

/* A source skipped before another must not shift the other's live-rule
 * figures: binance is the second of FEED_SOURCES, the first one built. */
START_TEST(a_skipped_source_does_not_shift_the_others_state)
{
    snprintf(conf.symbols, sizeof conf.symbols, "BNB");
    snprintf(conf.feed_sources, sizeof conf.feed_sources, "kraken,binance");
    struct exchanges *x = build(NULL);
    struct exch_quote q = {.symbol = "BNB", .price = 600.5, .ts_ms = 1000};
    ck_assert(live_quote(live, 1, &q, 1000)); /* binance's index in the rule */
    char *text = exchanges_state_json(x, 1001);
    json_t *j = json_loads(text, 0, NULL);
    json_t *src = json_object_get(j, "sources");
    ck_assert_uint_eq(json_array_size(src), 1);
    json_t *b = json_array_get(src, 0);
    ck_assert_str_eq(json_string_value(json_object_get(b, "name")), "binance");
    ck_assert(json_is_true(json_object_get(b, "fresh")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "fresh")), 1);
    json_decref(j);
    free(text);
    exchanges_free(x);
}
END_TEST

START_TEST(refuses_a_symbol_no_source_lists)
{
    snprintf(conf.symbols, sizeof conf.symbols, "BTC,BNB");
    snprintf(conf.feed_sources, sizeof conf.feed_sources, "kraken");
    build("SYMBOLS: BNB is listed by none of kraken (map it with FEED_SYMBOL_MAP)");
}
END_TEST

START_TEST(names_a_bad_symbol_map)
{
    snprintf(conf.feed_symbol_map, sizeof conf.feed_symbol_map, "kraken:BTC");
    build("FEED_SYMBOL_MAP: entry 1 \"kraken:BTC\": not exchange:SYMBOL=INSTRUMENT");
}
END_TEST

START_TEST(a_symbol_map_entry_lets_a_source_list_a_symbol)
{
    snprintf(conf.symbols, sizeof conf.symbols, "BNB");
    snprintf(conf.feed_sources, sizeof conf.feed_sources, "kraken");
    snprintf(conf.feed_symbol_map, sizeof conf.feed_symbol_map, "kraken:BNB=BNB/USD");
    exchanges_free(build(NULL));
}
END_TEST

START_TEST(names_a_bad_ca_file)
{
    snprintf(conf.feed_ca_file, sizeof conf.feed_ca_file, "/nonexistent/ca.pem");
    build("FEED_CA_FILE \"/nonexistent/ca.pem\": TLS: CA file /nonexistent/ca.pem");
}
END_TEST

START_TEST(names_a_bad_url_setting)
{
    snprintf(conf.kraken_ws_url, sizeof conf.kraken_ws_url, "http://ws.kraken.com/v2");
    build("KRAKEN_WS_URL: \"http://ws.kraken.com/v2\" is not a ws:// or wss:// URL");
    live_free(live);
    snprintf(conf.kraken_ws_url, sizeof conf.kraken_ws_url, "wss://ws.kraken.com/v2");
    snprintf(conf.binance_ws_url, sizeof conf.binance_ws_url, "wss://stream.binance.com/ws");
    build("BINANCE_WS_URL: \"wss://stream.binance.com/ws\" must name the host only");
    live_free(live);
    live = NULL;
    snprintf(conf.binance_ws_url, sizeof conf.binance_ws_url, "wss://stream.binance.com/stream");
    exchanges_free(build(NULL));
}
END_TEST

static Suite *exchanges_suite(void)
{
    Suite *s = suite_create("exchanges");
    TCase *t = tcase_create("settings");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, rule_has_the_symbols_and_the_sources_in_order);
    tcase_add_test(t, state_lists_every_source_before_any_message);
    tcase_add_test(t, skips_a_source_that_lists_none_of_the_symbols);
    tcase_add_test(t, a_skipped_source_does_not_shift_the_others_state);
    tcase_add_test(t, refuses_a_symbol_no_source_lists);
    tcase_add_test(t, names_a_bad_symbol_map);
    tcase_add_test(t, a_symbol_map_entry_lets_a_source_list_a_symbol);
    tcase_add_test(t, names_a_bad_ca_file);
    tcase_add_test(t, names_a_bad_url_setting);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(exchanges_suite)
