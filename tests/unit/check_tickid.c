/* Unit tests of lib/tickid.c: tick ids as Redis stream ids. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "tickid.h"

#include <stdint.h>

START_TEST(next_id_uses_the_clock_when_it_moved_on)
{
    struct tickid id = tickid_next((struct tickid){1000, 7}, 1500);
    ck_assert_int_eq(id.ms, 1500);
    ck_assert_uint_eq(id.seq, 0);
}
END_TEST

START_TEST(next_id_bumps_seq_when_the_clock_did_not_move_or_went_back)
{
    struct tickid id = tickid_next((struct tickid){1000, 7}, 1000);
    ck_assert_int_eq(id.ms, 1000);
    ck_assert_uint_eq(id.seq, 8);
    id = tickid_next(id, 400);
    ck_assert_int_eq(id.ms, 1000);
    ck_assert_uint_eq(id.seq, 9);
    ck_assert(tickid_after(id, (struct tickid){1000, 8}));
    ck_assert(!tickid_after((struct tickid){999, 100}, id));
}
END_TEST

START_TEST(formats_and_parses_stream_ids)
{
    char buf[48];
    struct tickid id;
    ck_assert_int_eq(tickid_format((struct tickid){1764442000123LL, 2}, buf, sizeof buf), 15);
    ck_assert_str_eq(buf, "1764442000123-2");
    ck_assert_int_eq(tickid_parse("1764442000123-2", &id), CP_OK);
    ck_assert_int_eq(id.ms, 1764442000123LL);
    ck_assert_uint_eq(id.seq, 2);
    ck_assert_int_eq(tickid_format(id, buf, 8), CP_ETOOBIG);
}
END_TEST

START_TEST(rejects_malformed_ids)
{
    struct tickid id;
    ck_assert_int_eq(tickid_parse("", &id), CP_EINVAL);
    ck_assert_int_eq(tickid_parse("123", &id), CP_EINVAL);
    ck_assert_int_eq(tickid_parse("123-", &id), CP_EINVAL);
    ck_assert_int_eq(tickid_parse("123-4x", &id), CP_EINVAL);
    ck_assert_int_eq(tickid_parse("-1-0", &id), CP_EINVAL);
    ck_assert_int_eq(tickid_parse("12-+3", &id), CP_EINVAL);
}
END_TEST

/* "a sorts after b" is a strict order: a duplicate is not new, which is how
 * the gateway and the feeder skip a tick delivered twice. */
START_TEST(an_id_is_not_after_itself)
{
    struct tickid ids[] = {
        {0, 0}, {1764442000123LL, 0}, {1764442000123LL, 5}, {INT64_MAX, UINT64_MAX}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        struct tickid copy = ids[i];
        ck_assert(!tickid_after(ids[i], copy));
        ck_assert(!tickid_after(copy, ids[i]));
    }
}
END_TEST

START_TEST(same_ms_higher_seq_is_after)
{
    struct tickid a = {1764442000123LL, 1}, b = {1764442000123LL, 0};
    ck_assert(tickid_after(a, b));
    ck_assert(!tickid_after(b, a));
}
END_TEST

/* The ms part decides first; seq only breaks ties within one ms. */
START_TEST(higher_ms_is_after_whatever_the_seq)
{
    struct tickid a = {1764442000124LL, 0}, b = {1764442000123LL, 9};
    ck_assert(tickid_after(a, b));
    ck_assert(!tickid_after(b, a));
    b.seq = UINT64_MAX;
    ck_assert(tickid_after(a, b));
    ck_assert(!tickid_after(b, a));
}
END_TEST

/* Redis compares stream ids as numbers, not text: "…-10" is after "…-9"
 * and "1000-0" after "999-0", though neither sorts so as a string. */
START_TEST(parsed_ids_compare_as_numbers_not_text)
{
    struct tickid a, b;
    ck_assert_int_eq(tickid_parse("1764442000123-10", &a), CP_OK);
    ck_assert_int_eq(tickid_parse("1764442000123-9", &b), CP_OK);
    ck_assert(tickid_after(a, b));
    ck_assert(!tickid_after(b, a));
    ck_assert_int_eq(tickid_parse("1000-0", &a), CP_OK);
    ck_assert_int_eq(tickid_parse("999-0", &b), CP_OK);
    ck_assert(tickid_after(a, b));
    ck_assert(!tickid_after(b, a));
}
END_TEST

/* seq is unsigned 64-bit, as in Redis: its top half is larger, not
 * negative. */
START_TEST(seq_compares_unsigned_over_its_whole_range)
{
    struct tickid top = {1000, UINT64_MAX}, mid = {1000, (uint64_t)INT64_MAX + 1}, low = {1000, 0};
    ck_assert(tickid_after(top, low));
    ck_assert(tickid_after(mid, low));
    ck_assert(tickid_after(top, mid));
    ck_assert(!tickid_after(low, mid));
    ck_assert(!tickid_after(low, top));
}
END_TEST

/* Every id tickid_next() makes is after the one it came from, whether the
 * clock moved on, stood still or stepped back. */
START_TEST(next_id_is_always_after_the_last)
{
    struct tickid id = {1764442000123LL, 0};
    const int64_t clock[] = {1764442000123LL, 1764442000200LL, 1764442000100LL, 0,
                             1764442000200LL, 1764442000201LL};
    for (size_t i = 0; i < sizeof clock / sizeof clock[0]; i++) {
        struct tickid next = tickid_next(id, clock[i]);
        ck_assert_msg(tickid_after(next, id), "step %zu", i);
        ck_assert_msg(!tickid_after(id, next), "step %zu", i);
        id = next;
    }
}
END_TEST

/* One id, one spelling: what reaches SSE id: lines and JSON is Redis' form. */
START_TEST(only_the_canonical_spelling_parses)
{
    static const char *const bad[] = {"+1-0", " 1-0", "01-0", "1-01",  "1- 0",
                                      "1-+0", "-1-0", "1-0 ", "1\t-0", "1-",
                                      "-0",   "1",    "",     "1-0-0", "123456789012345678901-0"};
    struct tickid t;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(tickid_parse(bad[i], &t) == CP_EINVAL, "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(tickid_parse("0-0", &t), CP_OK);
    ck_assert_int_eq(tickid_parse("1796293034380-10", &t), CP_OK);
    ck_assert_int_eq(t.ms, 1796293034380);
    ck_assert_uint_eq(t.seq, 10);
}
END_TEST

static Suite *tickid_suite(void)
{
    Suite *s = suite_create("tickid");
    TCase *t = tcase_create("ids");
    tcase_add_test(t, next_id_uses_the_clock_when_it_moved_on);
    tcase_add_test(t, next_id_bumps_seq_when_the_clock_did_not_move_or_went_back);
    tcase_add_test(t, formats_and_parses_stream_ids);
    tcase_add_test(t, rejects_malformed_ids);
    tcase_add_test(t, an_id_is_not_after_itself);
    tcase_add_test(t, same_ms_higher_seq_is_after);
    tcase_add_test(t, higher_ms_is_after_whatever_the_seq);
    tcase_add_test(t, parsed_ids_compare_as_numbers_not_text);
    tcase_add_test(t, seq_compares_unsigned_over_its_whole_range);
    tcase_add_test(t, next_id_is_always_after_the_last);
    tcase_add_test(t, only_the_canonical_spelling_parses);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(tickid_suite)
