/* Unit tests of lib/strlist.c: comma lists, host:port, ms as timeval. */
#include "config.h"

#include "check_main.h"
#include "strlist.h"

#include <string.h>

/* The items of list joined with '|', to compare in one assertion. */
static const char *items(const char *list)
{
    static char out[256];
    const char *item;
    size_t len;
    out[0] = '\0';
    for (bool first = true; strlist_next(&list, &item, &len); first = false) {
        if (!first)
            strcat(out, "|");
        strncat(out, item, len);
    }
    return out;
}

START_TEST(splits_at_commas_and_trims_blanks)
{
    ck_assert_str_eq(items("BTC,ETH,SOL"), "BTC|ETH|SOL");
    ck_assert_str_eq(items("BTC, ETH ,\tSOL"), "BTC|ETH|SOL");
    ck_assert_str_eq(items("one"), "one");
}
END_TEST

START_TEST(empty_items_are_reported_empty_lists_have_none)
{
    ck_assert_str_eq(items("a,,b"), "a||b");
    ck_assert_str_eq(items("a, ,b"), "a||b");
    ck_assert_str_eq(items(""), "");
    ck_assert_str_eq(items(NULL), "");
    const char *p = "a,";
    const char *item;
    size_t len;
    ck_assert(strlist_next(&p, &item, &len));
    ck_assert(!strlist_next(&p, &item, &len));
}
END_TEST

START_TEST(membership_is_whole_items_only)
{
    ck_assert(strlist_has("BTC,ETH", "ETH"));
    ck_assert(strlist_has("BTC, ETH", "ETH"));
    ck_assert(!strlist_has("BTC,ETHX", "ETH"));
    ck_assert(!strlist_has("BTC,ETH", "ET"));
    ck_assert(!strlist_has("", "BTC"));
    ck_assert(!strlist_has(NULL, "BTC"));
}
END_TEST

START_TEST(copies_an_item_only_when_it_fits)
{
    char buf[4];
    ck_assert(strlist_copy("BTC,", 3, buf, sizeof buf));
    ck_assert_str_eq(buf, "BTC");
    ck_assert(!strlist_copy("DOGE", 4, buf, sizeof buf));
    ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(host_port_splits_at_the_last_colon)
{
    char host[32] = "untouched";
    int port = 0;
    ck_assert(strlist_hostport("redis:26379", 11, host, sizeof host, &port));
    ck_assert_str_eq(host, "redis");
    ck_assert_int_eq(port, 26379);
    ck_assert(strlist_hostport("[::1]:80,x", 8, host, sizeof host, &port));
    ck_assert_str_eq(host, "[::1]");
    ck_assert_int_eq(port, 80);
}
END_TEST

START_TEST(host_port_refuses_bad_entries_and_writes_nothing)
{
    char host[8] = "keep";
    int port = 7;
    const char *bad[] = {"redis",       ":80",      "redis:",   "redis:0",
                         "redis:65536", "redis:8x", "redis:-1", "averylonghost:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(!strlist_hostport(bad[i], strlen(bad[i]), host, sizeof host, &port), "%s",
                      bad[i]);
        ck_assert_str_eq(host, "keep");
        ck_assert_int_eq(port, 7);
    }
    ck_assert(strlist_hostport("h:65535", 7, host, sizeof host, &port));
    ck_assert_int_eq(port, 65535);
}
END_TEST

START_TEST(milliseconds_become_seconds_and_microseconds)
{
    struct timeval tv = strlist_timeval_ms(2500);
    ck_assert_int_eq(tv.tv_sec, 2);
    ck_assert_int_eq(tv.tv_usec, 500000);
    tv = strlist_timeval_ms(0);
    ck_assert_int_eq(tv.tv_sec, 0);
    ck_assert_int_eq(tv.tv_usec, 0);
    tv = strlist_timeval_ms(86400001LL * 30);
    ck_assert_int_eq(tv.tv_sec, 2592000);
    ck_assert_int_eq(tv.tv_usec, 30000);
}
END_TEST

static Suite *strlist_suite(void)
{
    Suite *s = suite_create("strlist");
    TCase *t = tcase_create("core");
    tcase_add_test(t, splits_at_commas_and_trims_blanks);
    tcase_add_test(t, empty_items_are_reported_empty_lists_have_none);
    tcase_add_test(t, membership_is_whole_items_only);
    tcase_add_test(t, copies_an_item_only_when_it_fits);
    tcase_add_test(t, host_port_splits_at_the_last_colon);
    tcase_add_test(t, host_port_refuses_bad_entries_and_writes_nothing);
    tcase_add_test(t, milliseconds_become_seconds_and_microseconds);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(strlist_suite)
