#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "price.h"

#include <stdlib.h>
#include <string.h>

static char *dump(const struct price *p)
{
    json_t *j = price_to_json(p);
    char *s = json_dumps(j, PRICE_JSON_FLAGS);
    json_decref(j);
    return s;
}

START_TEST(float_noise_is_rounded_away)
{
    struct price p = {.symbol = "BTC",
                      .price = 100624.8984375,
                      .change24h = -1.2345678,
                      .volume24h = 4130816,
                      .high24h = 101000.00000000001,
                      .low24h = 0.1 + 0.2 + 99999.7,
                      .ts = 1738454400000,
                      .id = "1-0"};
    char *s = dump(&p);
    ck_assert_str_eq(s, "{\"symbol\":\"BTC\",\"price\":100624.9,\"change24h\":-1.23,"
                        "\"volume24h\":4130816.0,\"high24h\":101000.0,\"low24h\":100000.0,"
                        "\"ts\":1738454400000,\"id\":\"1-0\"}");
    free(s);
}
END_TEST

START_TEST(small_prices_keep_their_tick_size)
{
    struct price p = {.symbol = "ADA", .price = 0.8976321816444397, .ts = 1, .id = "1-0"};
    char *s = dump(&p);
    ck_assert_ptr_nonnull(strstr(s, "\"price\":0.8976,"));
    free(s);
    strcpy(p.symbol, "DOGE");
    p.price = 0.30000000000000004;
    s = dump(&p);
    ck_assert_ptr_nonnull(strstr(s, "\"price\":0.3,"));
    free(s);
}
END_TEST

START_TEST(tiny_negative_change_is_plain_zero)
{
    struct price p = {.symbol = "USDT", .price = 1, .change24h = -0.0001, .ts = 1, .id = "1-0"};
    char *s = dump(&p);
    ck_assert_ptr_nonnull(strstr(s, "\"change24h\":0.0,"));
    free(s);
}
END_TEST

START_TEST(unknown_symbols_get_six_significant_digits)
{
    ck_assert_int_eq(price_decimals("BTC", 1), 2);
    ck_assert_int_eq(price_decimals("ZZZ", 1234.5678), 2);
    ck_assert_int_eq(price_decimals("ZZZ", 0.0123456), 7);
    ck_assert_int_eq(price_decimals("ZZZ", 123456789), 0);
}
END_TEST

START_TEST(price_json_round_trips)
{
    struct price p = {.symbol = "ETH",
                      .price = 3100.5,
                      .change24h = 1.5,
                      .volume24h = 10,
                      .high24h = 3200,
                      .low24h = 3000,
                      .ts = 42,
                      .id = "42-1"};
    json_t *j = price_to_json(&p);
    struct price q;
    char err[128];
    ck_assert_int_eq(price_from_json(j, &q, err, sizeof err), CP_OK);
    ck_assert_str_eq(q.symbol, "ETH");
    ck_assert(q.price == 3100.5);
    ck_assert_str_eq(q.id, "42-1");
    ck_assert_int_eq(q.ts, 42);
    json_decref(j);
}
END_TEST

START_TEST(invalid_price_objects_are_explained)
{
    char err[128];
    struct price q;
    json_t *j = json_loads("{\"symbol\":\"BTC\",\"price\":-1,\"change24h\":0,\"volume24h\":0,"
                           "\"high24h\":0,\"low24h\":0,\"ts\":1,\"id\":\"1-0\"}",
                           0, NULL);
    ck_assert_int_eq(price_from_json(j, &q, err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "price"));
    json_decref(j);
    j = json_loads("{\"symbol\":\"b t c\",\"price\":1}", 0, NULL);
    ck_assert_int_eq(price_from_json(j, &q, err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "symbol"));
    json_decref(j);
}
END_TEST

START_TEST(symbols_are_upper_case_alphanumerics)
{
    ck_assert(price_symbol_valid("BTC"));
    ck_assert(price_symbol_valid("1INCH"));
    ck_assert(!price_symbol_valid("btc"));
    ck_assert(!price_symbol_valid("BTC-USD"));
    ck_assert(!price_symbol_valid(""));
    ck_assert(!price_symbol_valid("ABCDEFGHIJKLMNOP"));
}
END_TEST

START_TEST(tick_json_has_id_ts_and_prices)
{
    struct price ps[2] = {{.symbol = "BTC", .price = 1, .ts = 7, .id = "7-0"},
                          {.symbol = "ETH", .price = 2, .ts = 7, .id = "7-0"}};
    json_t *t = price_tick_to_json("7-0", 7, ps, 2);
    ck_assert_str_eq(json_string_value(json_object_get(t, "id")), "7-0");
    ck_assert_int_eq(json_integer_value(json_object_get(t, "ts")), 7);
    ck_assert_uint_eq(json_array_size(json_object_get(t, "prices")), 2);
    json_decref(t);
}
END_TEST

static char *clean_dump(const char *text, char *err, size_t errlen)
{
    json_t *in = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(in);
    json_t *out = price_clean(in, err, errlen);
    json_decref(in);
    char *s = out ? json_dumps(out, PRICE_JSON_FLAGS) : NULL;
    json_decref(out);
    return s;
}

#define PRICE_FIELDS                                                                               \
    "\"symbol\":\"BTC\",\"price\":97123.45,\"change24h\":-1.5,\"volume24h\":12.5,"                 \
    "\"high24h\":98000.1,\"low24h\":95000.2,\"ts\":17,\"id\":\"17-0\""

START_TEST(clean_price_keeps_only_the_contract_fields)
{
    char err[128];
    char *s =
        clean_dump("{\"big\":\"xxxx\"," PRICE_FIELDS ",\"nested\":{\"a\":[1]}}", err, sizeof err);
    ck_assert_str_eq(s, "{" PRICE_FIELDS "}");
    free(s);
    s = clean_dump("{" PRICE_FIELDS ",\"sources\":[\"binance\",\"coinbase\"],\"stale\":true}", err,
                   sizeof err);
    ck_assert_str_eq(s, "{" PRICE_FIELDS ",\"sources\":[\"binance\",\"coinbase\"],\"stale\":true}");
    free(s);
}
END_TEST

START_TEST(clean_price_refuses_malformed_optional_fields)
{
    static const char *const bad[] = {
        "{" PRICE_FIELDS ",\"sources\":\"binance\"}",
        "{" PRICE_FIELDS ",\"sources\":[]}",
        "{" PRICE_FIELDS ",\"sources\":[1]}",
        "{" PRICE_FIELDS ",\"sources\":[\"Binance\"]}",
        "{" PRICE_FIELDS ",\"sources\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}",
        "{" PRICE_FIELDS ",\"stale\":1}",
        "{\"symbol\":\"BTC\",\"price\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[128] = "";
        char *s = clean_dump(bad[i], err, sizeof err);
        ck_assert_msg(s == NULL, "accepted %s", bad[i]);
        ck_assert_msg(err[0] != '\0', "no reason for %s", bad[i]);
    }
}
END_TEST

START_TEST(clean_tick_rebuilds_id_ts_and_prices_only)
{
    char err[128];
    json_t *in = json_loads("{\"id\":\"17-0\",\"ts\":17,\"prices\":[{" PRICE_FIELDS
                            ",\"x\":1}],\"padding\":\"yyyy\"}",
                            0, NULL);
    json_t *out = price_tick_clean(in, err, sizeof err);
    char *s = json_dumps(out, PRICE_JSON_FLAGS);
    ck_assert_str_eq(s, "{\"id\":\"17-0\",\"ts\":17,\"prices\":[{" PRICE_FIELDS "}]}");
    free(s);
    json_decref(out);
    json_decref(in);
    /* One bad price spoils the tick, and the reason names it. */
    in = json_loads("{\"id\":\"17-0\",\"ts\":17,\"prices\":[{" PRICE_FIELDS
                    "},{\"symbol\":\"ETH\"}]}",
                    0, NULL);
    ck_assert_ptr_null(price_tick_clean(in, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "tick 17-0, price 1"));
    json_decref(in);
    in = json_loads("{\"id\":\"seventeen\",\"ts\":17,\"prices\":[]}", 0, NULL);
    ck_assert_ptr_null(price_tick_clean(in, err, sizeof err));
    json_decref(in);
}
END_TEST

START_TEST(clean_tick_holds_one_price_per_symbol_with_the_tick_id)
{
    char err[128];
    json_t *in = json_loads(
        "{\"id\":\"17-0\",\"ts\":17,\"prices\":[{" PRICE_FIELDS "},{" PRICE_FIELDS "}]}", 0, NULL);
    ck_assert_ptr_null(price_tick_clean(in, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "a second price of BTC"));
    json_decref(in);
    in = json_loads("{\"id\":\"18-0\",\"ts\":18,\"prices\":[{" PRICE_FIELDS "}]}", 0, NULL);
    ck_assert_ptr_null(price_tick_clean(in, err, sizeof err)); /* its id is 17-0 */
    ck_assert_ptr_nonnull(strstr(err, "not the tick's"));
    json_decref(in);
    in = json_loads("{\"id\":\"+17-0\",\"ts\":17,\"prices\":[]}", 0, NULL);
    ck_assert_ptr_null(price_tick_clean(in, err, sizeof err));
    json_decref(in);
}
END_TEST

START_TEST(values_out_of_range_are_refused)
{
    static const char *const bad[] = {
        "{\"symbol\":\"BTC\",\"price\":1e300,\"change24h\":0,\"volume24h\":1,\"high24h\":2,"
        "\"low24h\":1,\"ts\":1,\"id\":\"1-0\"}",
        "{\"symbol\":\"BTC\",\"price\":1,\"change24h\":0,\"volume24h\":-1,\"high24h\":2,"
        "\"low24h\":1,\"ts\":1,\"id\":\"1-0\"}",
        "{\"symbol\":\"BTC\",\"price\":1,\"change24h\":0,\"volume24h\":1,\"high24h\":1,"
        "\"low24h\":2,\"ts\":1,\"id\":\"1-0\"}",
        "{\"symbol\":\"BTC\",\"price\":1,\"change24h\":-101,\"volume24h\":1,\"high24h\":2,"
        "\"low24h\":1,\"ts\":1,\"id\":\"1-0\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[128] = "";
        char *s = clean_dump(bad[i], err, sizeof err);
        ck_assert_msg(s == NULL, "accepted %s", bad[i]);
        ck_assert_ptr_nonnull(strstr(err, "range") ? err : strstr(err, "above"));
    }
    /* Not known yet: high and low 0, as a feed's first price may be. */
    char err[128];
    char *s = clean_dump("{\"symbol\":\"BTC\",\"price\":1,\"change24h\":0,\"volume24h\":0,"
                         "\"high24h\":0,\"low24h\":0,\"ts\":1,\"id\":\"1-0\"}",
                         err, sizeof err);
    ck_assert_ptr_nonnull(s);
    free(s);
}
END_TEST

static Suite *price_suite(void)
{
    Suite *s = suite_create("price");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, float_noise_is_rounded_away);
    tcase_add_test(tc, small_prices_keep_their_tick_size);
    tcase_add_test(tc, tiny_negative_change_is_plain_zero);
    tcase_add_test(tc, unknown_symbols_get_six_significant_digits);
    tcase_add_test(tc, price_json_round_trips);
    tcase_add_test(tc, invalid_price_objects_are_explained);
    tcase_add_test(tc, symbols_are_upper_case_alphanumerics);
    tcase_add_test(tc, tick_json_has_id_ts_and_prices);
    tcase_add_test(tc, clean_price_keeps_only_the_contract_fields);
    tcase_add_test(tc, clean_price_refuses_malformed_optional_fields);
    tcase_add_test(tc, clean_tick_rebuilds_id_ts_and_prices_only);
    tcase_add_test(tc, clean_tick_holds_one_price_per_symbol_with_the_tick_id);
    tcase_add_test(tc, values_out_of_range_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(price_suite)
