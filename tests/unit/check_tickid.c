/* Unit tests of feeder/tickid.c: tick ids as Redis stream ids. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "tickid.h"

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

static Suite *tickid_suite(void)
{
    Suite *s = suite_create("tickid");
    TCase *t = tcase_create("ids");
    tcase_add_test(t, next_id_uses_the_clock_when_it_moved_on);
    tcase_add_test(t, next_id_bumps_seq_when_the_clock_did_not_move_or_went_back);
    tcase_add_test(t, formats_and_parses_stream_ids);
    tcase_add_test(t, rejects_malformed_ids);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(tickid_suite)
