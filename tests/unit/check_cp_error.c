/* Unit tests of lib/cp_error.c: a description for every code. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"

#include <string.h>

static const struct {
    int code;
    const char *text;
} codes[] = {
    {CP_OK, "success"},
    {CP_EAGAIN, "need more input"},
    {CP_EPROTO, "protocol error"},
    {CP_ETOOBIG, "size limit exceeded"},
    {CP_EUTF8, "invalid UTF-8"},
    {CP_ENOMEM, "out of memory"},
    {CP_EIO, "input/output error"},
    {CP_EINVAL, "invalid value"},
    {CP_ENOENT, "not found"},
    {CP_ESYNTAX, "syntax error"},
};

START_TEST(every_code_has_its_own_text)
{
    ck_assert_str_eq(cp_strerror(codes[_i].code), codes[_i].text);
    for (size_t j = 0; j < sizeof codes / sizeof codes[0]; j++)
        if (j != (size_t)_i)
            ck_assert_str_ne(cp_strerror(codes[_i].code), cp_strerror(codes[j].code));
}
END_TEST

START_TEST(codes_are_zero_and_negative_and_distinct)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        ck_assert_int_eq(codes[i].code, -(int)i); /* the table lists every code, in order */
        ck_assert_str_ne(cp_strerror(codes[i].code), "unknown error");
    }
}
END_TEST

START_TEST(other_numbers_are_unknown)
{
    ck_assert_str_eq(cp_strerror(1), "unknown error");
    ck_assert_str_eq(cp_strerror(CP_ESYNTAX - 1), "unknown error");
    ck_assert_str_eq(cp_strerror(-1000), "unknown error");
}
END_TEST

static Suite *cp_error_suite(void)
{
    Suite *s = suite_create("cp_error");
    TCase *tc = tcase_create("strerror");
    tcase_add_loop_test(tc, every_code_has_its_own_text, 0, sizeof codes / sizeof codes[0]);
    tcase_add_test(tc, codes_are_zero_and_negative_and_distinct);
    tcase_add_test(tc, other_numbers_are_unknown);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(cp_error_suite)
