#include "config.h"

#include "check_main.h"
#include "stderr_capture.h"
#include "conf.h"
#include "confreload.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char logged[8192];

/* Run confreload_apply with stderr (where log writes) in a file, and keep
 * what it wrote in logged. */
static int apply_logged(struct cp_conf *running, const struct cp_conf *fresh, unsigned program,
                        bool quiet)
{
    struct stderr_capture cap;
    stderr_capture_start(&cap);
    int n = confreload_apply(running, fresh, program, "prog", quiet);
    char *text = stderr_capture_end(&cap);
    snprintf(logged, sizeof logged, "%s", text);
    free(text);
    return n;
}

static int count(const char *needle)
{
    int n = 0;
    for (const char *p = logged; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void two_confs(struct cp_conf *running, struct cp_conf *fresh)
{
    conf_defaults(running);
    running->log_level = LOG_INFO;
    *fresh = *running;
}

START_TEST(live_settings_change_and_the_others_wait_for_a_restart)
{
    struct cp_conf running, fresh;
    two_confs(&running, &fresh);
    fresh.log_level = LOG_DEBUG;
    fresh.max_messages_per_second = 7;
    strcpy(fresh.cors_origins, "http://a.example");
    fresh.port = 8081;
    running.port = 8080;
    ck_assert_int_eq(apply_logged(&running, &fresh, CONF_GATEWAY, false), 4);
    ck_assert_int_eq(running.log_level, LOG_DEBUG);
    ck_assert_int_eq(running.max_messages_per_second, 7);
    ck_assert_str_eq(running.cors_origins, "http://a.example");
    ck_assert_int_eq(running.port, 8080);
    ck_assert_int_eq(count("reload: LOG_LEVEL info -> debug\n"), 1);
    ck_assert_int_eq(count("reload: MAX_MESSAGES_PER_SECOND 100 -> 7\n"), 1);
    ck_assert_int_eq(count("reload: CORS_ORIGINS \"\" -> http://a.example\n"), 1);
    ck_assert_int_eq(count("reload: PORT 8080 -> 8081 needs a restart; still 8080\n"), 1);
    ck_assert_int_eq(count("\n"), 4);
    log_init("prog", LOG_INFO);
}
END_TEST

/* The lines of a reload are written under the logging it found: one that
 * makes the log quieter (LOG_LEVEL warn) or JSON still says, as before,
 * what it changed; the new settings hold from the next line on. */
START_TEST(a_reload_reports_under_the_logging_it_found)
{
    struct cp_conf running, fresh;
    two_confs(&running, &fresh);
    log_init("prog", LOG_INFO);
    log_set_format(LOG_TEXT);
    fresh.log_level = LOG_WARN;
    strcpy(fresh.log_format, "json");
    fresh.max_messages_per_second = 9;
    ck_assert_int_eq(apply_logged(&running, &fresh, CONF_GATEWAY, false), 3);
    ck_assert_int_eq(count("prog[info] reload: LOG_LEVEL info -> warn\n"), 1);
    ck_assert_int_eq(count("prog[info] reload: LOG_FORMAT text -> json\n"), 1);
    ck_assert_int_eq(count("prog[info] reload: MAX_MESSAGES_PER_SECOND 100 -> 9\n"), 1);
    /* From now on: warn and above, as JSON. */
    struct cp_conf again = running;
    again.max_messages_per_second = 10;
    ck_assert_int_eq(apply_logged(&running, &again, CONF_GATEWAY, false), 1);
    ck_assert_str_eq(logged, "");
    again.port = running.port + 1;
    ck_assert_int_eq(apply_logged(&running, &again, CONF_GATEWAY, false), 1);
    ck_assert_msg(logged[0] == '{' && strstr(logged, "\"level\":\"warn\"") &&
                      strstr(logged, "needs a restart"),
                  "%s", logged);
    log_init("prog", LOG_INFO);
    log_set_format(LOG_TEXT);
}
END_TEST

/* A setting only another program reads is no difference; the same setting
 * may be live in one program and not in another. */
START_TEST(each_program_sees_its_own_settings)
{
    struct cp_conf running, fresh;
    two_confs(&running, &fresh);
    strcpy(fresh.cors_origins, "http://a.example");
    fresh.update_interval_ms = 200;
    ck_assert_int_eq(apply_logged(&running, &fresh, CONF_FCGI, false), 1);
    ck_assert_int_eq(running.update_interval_ms, 200);
    ck_assert_str_eq(running.cors_origins, "");
    ck_assert_int_eq(count("reload: UPDATE_INTERVAL_MS 1500 -> 200\n"), 1);
    two_confs(&running, &fresh);
    fresh.update_interval_ms = 200;
    ck_assert_int_eq(apply_logged(&running, &fresh, CONF_FEEDER, false), 1);
    ck_assert_int_eq(running.update_interval_ms, 1500);
    ck_assert_int_eq(count("UPDATE_INTERVAL_MS 1500 -> 200 needs a restart; still 1500"), 1);
    ck_assert(confreload_live(CONF_GATEWAY, "LOG_LEVEL"));
    ck_assert(confreload_live(CONF_FEEDER, "LOG_LEVEL"));
    ck_assert(!confreload_live(CONF_GATEWAY, "PORT"));
    ck_assert(!confreload_live(CONF_FEEDER, "CORS_ORIGINS"));
}
END_TEST

START_TEST(passwords_stay_out_of_the_log)
{
    struct cp_conf running, fresh;
    two_confs(&running, &fresh);
    strcpy(fresh.redis_password, "s3cret");
    ck_assert_int_eq(apply_logged(&running, &fresh, CONF_GATEWAY, false), 1);
    ck_assert_ptr_null(strstr(logged, "s3cret"));
    ck_assert_int_eq(count("REDIS_PASSWORD (hidden) -> (hidden) needs a restart"), 1);
    ck_assert_str_eq(running.redis_password, "");
}
END_TEST

START_TEST(no_change_says_so_once_and_quiet_logs_at_debug)
{
    struct cp_conf running, fresh;
    two_confs(&running, &fresh);
    ck_assert_int_eq(apply_logged(&running, &fresh, CONF_GATEWAY, false), 0);
    ck_assert_int_eq(count("reload: no setting changed\n"), 1);
    ck_assert_int_eq(count("\n"), 1);
    fresh.max_subscriptions = 3;
    ck_assert_int_eq(apply_logged(&running, &fresh, CONF_GATEWAY, true), 1);
    ck_assert_int_eq(running.max_subscriptions, 3);
    ck_assert_str_eq(logged, "");
}
END_TEST

static Suite *confreload_suite(void)
{
    Suite *s = suite_create("confreload");
    TCase *tc = tcase_create("apply");
    tcase_add_test(tc, live_settings_change_and_the_others_wait_for_a_restart);
    tcase_add_test(tc, each_program_sees_its_own_settings);
    tcase_add_test(tc, a_reload_reports_under_the_logging_it_found);
    tcase_add_test(tc, passwords_stay_out_of_the_log);
    tcase_add_test(tc, no_change_says_so_once_and_quiet_logs_at_debug);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(confreload_suite)
