/* Unit tests of load/scan.c. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "scan.h"

#include <string.h>

START_TEST(bulk_message_gives_every_price_ts)
{
    const char *m = "{\"event\":\"price-update-bulk\",\"data\":{\"id\":\"1700000000123-4\","
                    "\"ts\":1700000000100,\"prices\":[{\"symbol\":\"BTC\",\"ts\":1700000000111,"
                    "\"id\":\"1700000000123-4\"},{\"symbol\":\"ETH\",\"ts\":1700000000112}]}}";
    char ev[32];
    ck_assert_int_eq(scan_event(m, strlen(m), ev, sizeof ev), 17);
    ck_assert_str_eq(ev, "price-update-bulk");
    struct tickid id;
    int64_t ts[8];
    ck_assert_int_eq(scan_prices(m, strlen(m), &id, ts, 8), 2);
    ck_assert_int_eq(id.ms, 1700000000123);
    ck_assert_uint_eq(id.seq, 4);
    ck_assert_int_eq(ts[0], 1700000000111);
    ck_assert_int_eq(ts[1], 1700000000112);
}
END_TEST

START_TEST(single_price_gives_its_ts)
{
    const char *m = "{\"symbol\":\"BTC\",\"price\":97123.45,\"ts\":1700000000999,"
                    "\"id\":\"1700000000999-0\"}";
    char ev[32];
    ck_assert_int_eq(scan_event(m, strlen(m), ev, sizeof ev), CP_ENOENT);
    struct tickid id;
    int64_t ts[8];
    ck_assert_int_eq(scan_prices(m, strlen(m), &id, ts, 8), 1);
    ck_assert_int_eq(ts[0], 1700000000999);
}
END_TEST

START_TEST(messages_without_prices_are_not_counted)
{
    const char *m = "{\"event\":\"pong\",\"data\":{\"id\":1,\"ts\":5,\"server_ts\":6}}";
    struct tickid id;
    int64_t ts[8];
    ck_assert_int_eq(scan_prices(m, strlen(m), &id, ts, 8), CP_ENOENT);
}
END_TEST

static Suite *scan_suite(void)
{
    Suite *s = suite_create("scan");
    TCase *t = tcase_create("core");
    tcase_add_test(t, bulk_message_gives_every_price_ts);
    tcase_add_test(t, single_price_gives_its_ts);
    tcase_add_test(t, messages_without_prices_are_not_counted);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(scan_suite)
