#include "config.h"

#include "check_main.h"
#include "ratelimit.h"

START_TEST(allows_a_burst_of_one_second)
{
    struct ratelimit rl;
    ratelimit_init(&rl, 100, 0);
    for (int i = 0; i < 100; i++)
        ck_assert(ratelimit_take(&rl, 100, 0));
    ck_assert(!ratelimit_take(&rl, 100, 0));
    ck_assert_uint_eq(rl.rejected, 1);
}
END_TEST

START_TEST(refills_at_the_configured_rate)
{
    struct ratelimit rl;
    ratelimit_init(&rl, 10, 0);
    for (int i = 0; i < 10; i++)
        ratelimit_take(&rl, 10, 0);
    ck_assert(!ratelimit_take(&rl, 10, 50)); /* half a token */
    ck_assert(ratelimit_take(&rl, 10, 100)); /* one token after 100 ms */
    ck_assert(!ratelimit_take(&rl, 10, 100));
    ck_assert(ratelimit_take(&rl, 10, 5000)); /* capped at one second's worth... */
    for (int i = 0; i < 9; i++)
        ck_assert(ratelimit_take(&rl, 10, 5000));
    ck_assert(!ratelimit_take(&rl, 10, 5000)); /* ...not fifty seconds' */
}
END_TEST

START_TEST(steady_rate_at_the_limit_is_never_refused)
{
    struct ratelimit rl;
    ratelimit_init(&rl, 100, 0);
    for (int64_t t = 0; t < 10000; t += 10) /* 100 per second for 10 s */
        ck_assert(ratelimit_take(&rl, 100, t));
}
END_TEST

START_TEST(accepted_message_resets_the_rejected_count)
{
    struct ratelimit rl;
    ratelimit_init(&rl, 1, 0);
    ratelimit_take(&rl, 1, 0);
    ratelimit_take(&rl, 1, 0);
    ratelimit_take(&rl, 1, 0);
    ck_assert_uint_eq(rl.rejected, 2);
    ck_assert(ratelimit_take(&rl, 1, 1000));
    ck_assert_uint_eq(rl.rejected, 0);
}
END_TEST

START_TEST(clock_going_back_does_not_add_tokens)
{
    struct ratelimit rl;
    ratelimit_init(&rl, 1, 1000);
    ck_assert(ratelimit_take(&rl, 1, 1000));
    ck_assert(!ratelimit_take(&rl, 1, 0));
}
END_TEST

static Suite *ratelimit_suite(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("token_bucket");
    tcase_add_test(tc, allows_a_burst_of_one_second);
    tcase_add_test(tc, refills_at_the_configured_rate);
    tcase_add_test(tc, steady_rate_at_the_limit_is_never_refused);
    tcase_add_test(tc, accepted_message_resets_the_rejected_count);
    tcase_add_test(tc, clock_going_back_does_not_add_tokens);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(ratelimit_suite)
