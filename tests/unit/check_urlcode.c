/* Unit tests of lib/urlcode.c: query parameters and percent-decoded paths. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "urlcode.h"

#include <string.h>

static char buf[64];

static int q(const char *query, const char *name)
{
    strcpy(buf, "untouched");
    return urlcode_query_param(query, name, buf, sizeof buf);
}

START_TEST(finds_a_parameter_by_its_whole_name)
{
    ck_assert_int_eq(q("symbol=BTC&limit=5", "limit"), CP_OK);
    ck_assert_str_eq(buf, "5");
    ck_assert_int_eq(q("symbol=BTC&limit=5", "symbol"), CP_OK);
    ck_assert_str_eq(buf, "BTC");
    ck_assert_int_eq(q("limit=5;symbol=ETH", "symbol"), CP_OK);
    ck_assert_str_eq(buf, "ETH");
    ck_assert_int_eq(q("symbols=BTC&sym=ETH", "symbol"), CP_ENOENT);
    ck_assert_int_eq(q("xsymbol=BTC", "symbol"), CP_ENOENT);
    ck_assert_int_eq(q("&&symbol=SOL&", "symbol"), CP_OK);
    ck_assert_str_eq(buf, "SOL");
}
END_TEST

START_TEST(the_first_of_repeated_parameters_wins)
{
    ck_assert_int_eq(q("a=1&a=2", "a"), CP_OK);
    ck_assert_str_eq(buf, "1");
}
END_TEST

START_TEST(absent_or_empty_queries_have_no_parameters)
{
    ck_assert_int_eq(q(NULL, "a"), CP_ENOENT);
    ck_assert_int_eq(q("", "a"), CP_ENOENT);
    ck_assert_str_eq(buf, "untouched");
}
END_TEST

START_TEST(a_bare_name_or_empty_value_is_empty)
{
    ck_assert_int_eq(q("a=1&flag", "flag"), CP_OK);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(q("flag=&a=1", "flag"), CP_OK);
    ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(query_values_are_form_decoded)
{
    ck_assert_int_eq(q("s=%42T%63", "s"), CP_OK);
    ck_assert_str_eq(buf, "BTc");
    ck_assert_int_eq(q("s=a+b%2Bc%20d", "s"), CP_OK);
    ck_assert_str_eq(buf, "a b+c d");
    ck_assert_int_eq(q("s=%e2%82%ac", "s"), CP_OK);
    ck_assert_str_eq(buf, "\xe2\x82\xac");
    ck_assert_int_eq(q("s=%41&t=%4", "s"), CP_OK); /* a bad escape elsewhere does not matter */
    ck_assert_str_eq(buf, "A");
}
END_TEST

START_TEST(bad_escapes_and_nul_are_invalid)
{
    static const char *const bad[] = {"s=%4", "s=%", "s=%zz", "s=%4g", "s=%00", "s=a%0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(q(bad[i], "s") == CP_EINVAL, "%s", bad[i]);
}
END_TEST

START_TEST(values_that_do_not_fit_are_too_big)
{
    char small[4];
    ck_assert_int_eq(urlcode_query_param("s=abc", "s", small, sizeof small), CP_OK);
    ck_assert_str_eq(small, "abc");
    ck_assert_int_eq(urlcode_query_param("s=abcd", "s", small, sizeof small), CP_ETOOBIG);
    ck_assert_int_eq(urlcode_query_param("s=%41%41%41%41", "s", small, sizeof small), CP_ETOOBIG);
    ck_assert_int_eq(urlcode_query_param("s", "s", small, 0), CP_ETOOBIG);
}
END_TEST

START_TEST(paths_decode_percent_but_keep_plus)
{
    ck_assert_int_eq(urlcode_path_decode("/a%20b+c/%7Euser", buf, sizeof buf), CP_OK);
    ck_assert_str_eq(buf, "/a b+c/~user");
    ck_assert_int_eq(urlcode_path_decode("", buf, sizeof buf), CP_OK);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(urlcode_path_decode("/%2e%2E/x", buf, sizeof buf), CP_OK);
    ck_assert_str_eq(buf, "/../x");
    ck_assert_int_eq(urlcode_path_decode("/x%00.html", buf, sizeof buf), CP_EINVAL);
    ck_assert_int_eq(urlcode_path_decode("/x%2", buf, sizeof buf), CP_EINVAL);
    char small[4];
    ck_assert_int_eq(urlcode_path_decode("/abc", small, sizeof small), CP_ETOOBIG);
    ck_assert_int_eq(urlcode_path_decode("/ab", small, sizeof small), CP_OK);
}
END_TEST

static Suite *urlcode_suite(void)
{
    Suite *s = suite_create("urlcode");
    TCase *tc = tcase_create("query");
    tcase_add_test(tc, finds_a_parameter_by_its_whole_name);
    tcase_add_test(tc, the_first_of_repeated_parameters_wins);
    tcase_add_test(tc, absent_or_empty_queries_have_no_parameters);
    tcase_add_test(tc, a_bare_name_or_empty_value_is_empty);
    tcase_add_test(tc, query_values_are_form_decoded);
    tcase_add_test(tc, bad_escapes_and_nul_are_invalid);
    tcase_add_test(tc, values_that_do_not_fit_are_too_big);
    suite_add_tcase(s, tc);
    tc = tcase_create("path");
    tcase_add_test(tc, paths_decode_percent_but_keep_plus);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(urlcode_suite)
