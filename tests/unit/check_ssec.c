/* Unit tests of load/ssec.c. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "ssec.h"

#include <string.h>

static char scratch[256];

static bool is(const char *p, size_t n, const char *want)
{
    return p && n == strlen(want) && memcmp(p, want, n) == 0;
}

START_TEST(parses_id_event_and_data)
{
    const char *s = "id: 17-0\nevent: price-update\ndata: {\"a\":1}\n\nid: 18";
    struct ssec_event ev;
    int n = ssec_parse(s, strlen(s), &ev, scratch, sizeof scratch);
    ck_assert_int_eq(n, (int)(strstr(s, "\n\n") - s + 2));
    ck_assert(is(ev.id, ev.id_len, "17-0"));
    ck_assert(is(ev.event, ev.event_len, "price-update"));
    ck_assert(is(ev.data, ev.data_len, "{\"a\":1}"));
    ck_assert_int_eq(ssec_parse(s + n, strlen(s + n), &ev, scratch, sizeof scratch), CP_EAGAIN);
}
END_TEST

START_TEST(needs_the_blank_line_byte_by_byte)
{
    const char *s = "retry: 2000\r\n\r\ndata: x\r\n\r\n";
    struct ssec_event ev;
    size_t used = 0;
    int events = 0;
    for (size_t have = 1; have <= strlen(s); have++) {
        int n = ssec_parse(s + used, have - used, &ev, scratch, sizeof scratch);
        if (n == CP_EAGAIN)
            continue;
        ck_assert_int_gt(n, 0);
        if (events++ == 0) {
            ck_assert_int_eq(ev.retry, 2000);
            ck_assert_ptr_null(ev.data);
        } else {
            ck_assert(is(ev.data, ev.data_len, "x"));
        }
        used += (size_t)n;
    }
    ck_assert_int_eq(events, 2);
    ck_assert_uint_eq(used, strlen(s));
}
END_TEST

START_TEST(joins_data_lines_and_skips_comments)
{
    const char *s = ": keep-alive\ndata: one\ndata:two\rdata\n\n";
    struct ssec_event ev;
    ck_assert_int_eq(ssec_parse(s, strlen(s), &ev, scratch, sizeof scratch), (int)strlen(s));
    ck_assert(is(ev.data, ev.data_len, "one\ntwo\n"));
    ck_assert_ptr_null(ev.event);
    ck_assert_ptr_null(ev.id);
    ck_assert_int_eq(ssec_parse(s, strlen(s), &ev, scratch, 4), CP_ETOOBIG);
}
END_TEST

START_TEST(comment_only_block_has_no_fields)
{
    const char *s = ": keep-alive\n\n";
    struct ssec_event ev;
    ck_assert_int_eq(ssec_parse(s, strlen(s), &ev, scratch, sizeof scratch), (int)strlen(s));
    ck_assert_ptr_null(ev.data);
    ck_assert_int_eq(ev.retry, -1);
}
END_TEST

START_TEST(a_final_cr_waits_for_a_possible_lf)
{
    const char *s = "data: x\r\n\r";
    struct ssec_event ev;
    ck_assert_int_eq(ssec_parse(s, strlen(s), &ev, scratch, sizeof scratch), CP_EAGAIN);
    ck_assert_int_eq(ssec_parse("data: x\r\n\r\n", 11, &ev, scratch, sizeof scratch), 11);
}
END_TEST

static Suite *ssec_suite(void)
{
    Suite *s = suite_create("ssec");
    TCase *t = tcase_create("core");
    tcase_add_test(t, parses_id_event_and_data);
    tcase_add_test(t, needs_the_blank_line_byte_by_byte);
    tcase_add_test(t, joins_data_lines_and_skips_comments);
    tcase_add_test(t, comment_only_block_has_no_fields);
    tcase_add_test(t, a_final_cr_waits_for_a_possible_lf);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(ssec_suite)
