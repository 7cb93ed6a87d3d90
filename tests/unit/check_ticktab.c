/* Unit tests of load/ticktab.c. */
#include "config.h"

#include "check_main.h"
#include "ticktab.h"

START_TEST(counts_clients_per_tick)
{
    struct ticktab *t = ticktab_new();
    for (int client = 0; client < 3; client++)
        for (uint64_t seq = 0; seq < 5; seq++)
            if (client < 2 || seq == 4)
                ticktab_add(t, 1700000000000, seq);
    ck_assert_uint_eq(ticktab_size(t), 5);
    size_t n;
    const struct load_tick *k = ticktab_pack(t, &n);
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(k[i].count, k[i].seq == 4 ? 3 : 2);
    ticktab_free(t);
    ticktab_free(NULL);
}
END_TEST

/* The first table stopped counting at 32,768 distinct ticks per worker. */
START_TEST(grows_past_a_hundred_thousand_ticks)
{
    struct ticktab *t = ticktab_new();
    const uint64_t distinct = 100000;
    for (int round = 0; round < 2; round++)
        for (uint64_t i = 0; i < distinct; i++)
            ticktab_add(t, 1700000000000 + (int64_t)(i / 4), i % 4);
    ck_assert_uint_eq(ticktab_size(t), distinct);
    size_t n;
    const struct load_tick *k = ticktab_pack(t, &n);
    ck_assert_uint_eq(n, distinct);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(k[i].count, 2);
        sum += (uint64_t)(k[i].ms - 1700000000000) * 4 + k[i].seq;
    }
    ck_assert_uint_eq(sum, distinct * (distinct - 1) / 2); /* each id once */
    ticktab_free(t);
}
END_TEST

static Suite *ticktab_suite(void)
{
    Suite *s = suite_create("ticktab");
    TCase *t = tcase_create("core");
    tcase_add_test(t, counts_clients_per_tick);
    tcase_add_test(t, grows_past_a_hundred_thousand_ticks);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(ticktab_suite)
