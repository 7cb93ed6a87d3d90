/* check_exch_number: feeder/exch_number.c — exchanges' decimal strings and
 * RFC 3339 times, read exactly and strictly. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "exch_testdata.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(decimal_reads_exchange_strings_exactly)
{
    static const struct {
        const char *s;
        double v;
    } ok[] = {{"97123.45000000", 97123.45},
              {"-1.23", -1.23},
              {"0", 0.0},
              {"0.00012000", 0.00012},
              {"120000", 120000.0},
              {"99999999999999", 99999999999999.0},
              {"007.50", 7.5}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -42;
        ck_assert_msg(exch_decimal(ok[i].s, &v) == CP_OK, "refused %s", ok[i].s);
        ck_assert_msg(v == ok[i].v, "%s read as %.17g", ok[i].s, v);
    }
}
END_TEST

START_TEST(decimal_refuses_all_but_digits_and_one_point)
{
    static const char *const bad[] = {
        "",   "NaN", "nan", "Infinity", "-Infinity", "inf",   "1e5", "1E5",  " 1",  "1 ",  "0x10",
        "+1", ".5",  "5.",  "-",        "--1",       "1.2.3", "1,5", "1.5e", "\t1", "1\n", "-.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 42;
        ck_assert_msg(exch_decimal(bad[i], &v) == CP_EINVAL, "accepted \"%s\"", bad[i]);
        ck_assert(v == 42);
    }
    ck_assert_int_eq(exch_decimal(NULL, &(double){0}), CP_EINVAL);
}
END_TEST

START_TEST(decimal_refuses_values_beyond_a_double)
{
    char big[400];
    memset(big, '9', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    double v = 42;
    ck_assert_int_eq(exch_decimal(big, &v), CP_EINVAL);
    big[0] = '-';
    ck_assert_int_eq(exch_decimal(big, &v), CP_EINVAL);
    ck_assert(v == 42);
}
END_TEST

START_TEST(rfc3339_gives_utc_milliseconds_truncated)
{
    static const struct {
        const char *s;
        int64_t ms;
    } ok[] = {{"2026-08-09T21:05:48.229198328Z", 1786309548229LL},
              {"1970-01-01T00:00:00Z", 0},
              {"1970-01-01T00:00:00.9999Z", 999},
              {"2024-02-29T23:59:59.999Z", 1709251199999LL},
              {"2000-03-01T00:00:00.0Z", 951868800000LL},
              {"2000-02-29T00:00:00Z", 951782400000LL},
              {"2100-03-01T12:34:56.005Z", 4107587696005LL},
              {"9999-12-31T23:59:59.999999999Z", 253402300799999LL}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ms = -1;
        ck_assert_msg(exch_rfc3339_ms(ok[i].s, &ms) == CP_OK, "refused %s", ok[i].s);
        ck_assert_msg(ms == ok[i].ms, "%s read as %lld", ok[i].s, (long long)ms);
    }
}
END_TEST

START_TEST(rfc3339_refuses_all_but_strict_utc)
{
    static const char *const bad[] = {"2026-08-09T21:05:48.229+00:00",
                                      "2026-08-09T21:05:48.229z",
                                      "2026-08-09t21:05:48.229Z",
                                      "2026-08-09 21:05:48.229Z",
                                      "2026-08-09T21:05:48.Z",
                                      "2026-08-09T21:05:48.1234567890Z",
                                      "2026-08-09T21:05:48",
                                      "2026-08-09T21:05:48ZZ",
                                      "2026-08-09T21:05Z",
                                      "2026-8-09T21:05:48Z",
                                      "2023-02-29T00:00:00Z",
                                      "2100-02-29T00:00:00Z",
                                      "2026-13-01T00:00:00Z",
                                      "2026-00-01T00:00:00Z",
                                      "2026-04-31T00:00:00Z",
                                      "2026-04-00T00:00:00Z",
                                      "2026-08-09T24:00:00Z",
                                      "2026-08-09T23:60:00Z",
                                      "2016-12-31T23:59:60Z",
                                      "1969-12-31T23:59:59Z",
                                      "+2026-08-09T21:05:48Z",
                                      "2026-08-09T21:05:48.-1Z",
                                      "",
                                      "2026"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        ck_assert_msg(exch_rfc3339_ms(bad[i], &ms) == CP_EINVAL, "accepted \"%s\"", bad[i]);
        ck_assert(ms == 42);
    }
}
END_TEST

static Suite *exch_number_suite(void)
{
    Suite *s = suite_create("exch_number");
    TCase *t0 = tcase_create("values");
    tcase_add_test(t0, decimal_reads_exchange_strings_exactly);
    tcase_add_test(t0, decimal_refuses_all_but_digits_and_one_point);
    tcase_add_test(t0, decimal_refuses_values_beyond_a_double);
    tcase_add_test(t0, rfc3339_gives_utc_milliseconds_truncated);
    tcase_add_test(t0, rfc3339_refuses_all_but_strict_utc);
    suite_add_tcase(s, t0);
    return s;
}

CHECK_MAIN(exch_number_suite)
