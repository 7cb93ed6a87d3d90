/* Unit tests of lib/jsontext.c: JSON strings of text that may not be UTF-8,
 * each byte outside a whole valid character made '?'. */
#include "config.h"

#include "check_main.h"
#include "jsontext.h"

#include <jansson.h>
#include <string.h>

static void assert_text(const char *in, const char *want)
{
    json_t *s = jsontext_string(in, strlen(in));
    ck_assert_msg(json_is_string(s), "no string for %s", want);
    ck_assert_str_eq(json_string_value(s), want);
    json_decref(s);
}

START_TEST(valid_text_is_kept_as_it_is)
{
    assert_text("", "");
    assert_text("plain \"ascii\"\n", "plain \"ascii\"\n");
    assert_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80",
                "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80");
}
END_TEST

START_TEST(bytes_outside_a_whole_character_become_question_marks)
{
    assert_text("cut \xe2\x82", "cut ??");                 /* cut mid-character */
    assert_text("\x80x\xbf", "?x?");                       /* stray continuations */
    assert_text("\xc0\xaf", "??");                         /* overlong '/' */
    assert_text("\xed\xa0\x80", "???");                    /* a surrogate */
    assert_text("\xf4\x90\x80\x80", "????");               /* above U+10FFFF */
    assert_text("\xff\xc3\xa9\xfe", "?\xc3\xa9?");         /* good ones between stay */
    assert_text("\xe2\x82\xac\xe2\x82", "\xe2\x82\xac??"); /* a whole one, then a cut one */
}
END_TEST

START_TEST(only_n_bytes_are_read)
{
    json_t *s = jsontext_string("ab\xc3\xa9", 3); /* the 2-byte é cut by n */
    ck_assert_str_eq(json_string_value(s), "ab?");
    json_decref(s);
}
END_TEST

static Suite *jsontext_suite(void)
{
    Suite *s = suite_create("jsontext");
    TCase *tc = tcase_create("string");
    tcase_add_test(tc, valid_text_is_kept_as_it_is);
    tcase_add_test(tc, bytes_outside_a_whole_character_become_question_marks);
    tcase_add_test(tc, only_n_bytes_are_read);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(jsontext_suite)
