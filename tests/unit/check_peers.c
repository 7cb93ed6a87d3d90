#include "config.h"

#include "check_main.h"
#include "peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static struct peers_key v4(const char *text)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, text, &sa.sin_addr);
    return peers_key_of((struct sockaddr *)&sa);
}

START_TEST(limit_applies_per_address)
{
    struct peers *p = peers_new();
    struct peers_key a = v4("127.0.0.1"), b = v4("127.0.0.2");
    ck_assert(peers_add(p, &a, 2));
    ck_assert(peers_add(p, &a, 2));
    ck_assert(!peers_add(p, &a, 2));
    ck_assert(peers_add(p, &b, 2));
    ck_assert_uint_eq(peers_count(p, &a), 2);
    peers_remove(p, &a);
    ck_assert(peers_add(p, &a, 2));
    peers_free(p);
}
END_TEST

START_TEST(ipv4_and_its_mapped_ipv6_form_are_one_address)
{
    struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::ffff:10.1.2.3", &sa6.sin6_addr);
    struct peers_key k6 = peers_key_of((struct sockaddr *)&sa6), k4 = v4("10.1.2.3");
    ck_assert(memcmp(&k6, &k4, sizeof k4) == 0);
}
END_TEST

START_TEST(many_addresses_come_and_go)
{
    struct peers *p = peers_new();
    char text[32];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5000; i++) {
            snprintf(text, sizeof text, "10.0.%d.%d", i / 256, i % 256);
            struct peers_key k = v4(text);
            ck_assert(peers_add(p, &k, 1));
        }
        for (int i = 0; i < 5000; i++) {
            snprintf(text, sizeof text, "10.0.%d.%d", i / 256, i % 256);
            struct peers_key k = v4(text);
            ck_assert_uint_eq(peers_count(p, &k), 1);
            peers_remove(p, &k);
            ck_assert_uint_eq(peers_count(p, &k), 0);
        }
    }
    peers_free(p);
}
END_TEST

static Suite *peers_suite(void)
{
    Suite *s = suite_create("peers");
    TCase *tc = tcase_create("count");
    tcase_add_test(tc, limit_applies_per_address);
    tcase_add_test(tc, ipv4_and_its_mapped_ipv6_form_are_one_address);
    tcase_add_test(tc, many_addresses_come_and_go);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(peers_suite)
