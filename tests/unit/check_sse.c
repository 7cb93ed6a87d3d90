#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "sse.h"

#include <stdlib.h>
#include <string.h>

static void expect_event(const char *id, const char *event, const char *data, const char *want)
{
    size_t len;
    char *got = sse_event_new(id, event, data, strlen(data), &len);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert(memcmp(got, want, len) == 0);
    free(got);
}

START_TEST(encodes_id_event_data_and_blank_line)
{
    expect_event("17-0", "price-update", "{\"a\":1}",
                 "id: 17-0\nevent: price-update\ndata: {\"a\":1}\n\n");
}
END_TEST

START_TEST(splits_multi_line_data_into_data_fields)
{
    expect_event(NULL, NULL, "one\ntwo\r\nthree\rfour",
                 "data: one\ndata: two\ndata: three\ndata: four\n\n");
}
END_TEST

START_TEST(empty_data_is_one_empty_field)
{
    expect_event(NULL, "x", "", "event: x\ndata: \n\n");
}
END_TEST

START_TEST(ids_with_line_breaks_are_invalid)
{
    ck_assert(sse_id_valid("1764442000123-0"));
    ck_assert(!sse_id_valid("1\n2"));
    ck_assert(!sse_id_valid("1\r"));
}
END_TEST

START_TEST(symbol_lists_parse_and_explain_errors)
{
    char out[4][PRICE_SYMBOL_MAX], err[128];
    ck_assert_int_eq(sse_parse_symbols("*", out, 4, err, sizeof err), 0);
    ck_assert_int_eq(sse_parse_symbols("BTC,ETH", out, 4, err, sizeof err), 2);
    ck_assert_str_eq(out[1], "ETH");
    struct {
        const char *list, *why;
    } bad[] = {
        {"", "empty"},
        {"BTC,", "empty"},
        {",BTC", "empty"},
        {"BTC,,ETH", "empty"},
        {"btc", "not a symbol"},
        {"BTC,*", "not a symbol"},
        {"BTC,BTC", "repeated"},
        {"A,B,C,D,E", "one too many"},
        {"AVERYLONGSYMBOLNAME", "not a symbol"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(sse_parse_symbols(bad[i].list, out, 4, err, sizeof err), CP_EINVAL);
        ck_assert_msg(strstr(err, bad[i].why), "%s: %s", bad[i].list, err);
    }
}
END_TEST

/* WHATWG HTML §9.2.6: a block with an id and no data sets the last event id
 * and dispatches nothing. */
START_TEST(id_block_is_an_id_line_and_a_blank_line)
{
    size_t len;
    char *b = sse_id_block_new("1764442000123-0", &len);
    ck_assert_uint_eq(len, strlen("id: 1764442000123-0\n\n"));
    ck_assert(memcmp(b, "id: 1764442000123-0\n\n", len) == 0);
    free(b);
}
END_TEST

static Suite *sse_suite(void)
{
    Suite *s = suite_create("sse");
    TCase *tc = tcase_create("encoder");
    tcase_add_test(tc, encodes_id_event_data_and_blank_line);
    tcase_add_test(tc, splits_multi_line_data_into_data_fields);
    tcase_add_test(tc, empty_data_is_one_empty_field);
    tcase_add_test(tc, ids_with_line_breaks_are_invalid);
    tcase_add_test(tc, symbol_lists_parse_and_explain_errors);
    tcase_add_test(tc, id_block_is_an_id_line_and_a_blank_line);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(sse_suite)
