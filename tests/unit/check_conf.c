#include "config.h"

#include "check_main.h"
#include "conf.h"
#include "cp_error.h"
#include "stderr_capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[512];

static const char *write_file(const char *text)
{
    static char path[] = "/tmp/check_conf_XXXXXX";
    strcpy(path, "/tmp/check_conf_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    return path;
}

START_TEST(defaults_follow_the_protocol)
{
    struct cp_conf c;
    conf_defaults(&c);
    ck_assert_int_eq(c.port, 3000);
    ck_assert_int_eq(c.update_interval_ms, 1500);
    ck_assert_int_eq(c.price_ttl_seconds, 3);
    ck_assert_int_eq(c.max_messages_per_second, 100);
    ck_assert_int_eq(c.max_message_bytes, 65536);
    ck_assert_str_eq(c.cors_origins, "");
}
END_TEST

START_TEST(bad_values_name_the_setting_and_value)
{
    struct cp_conf c;
    conf_defaults(&c);
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "PORT", "70000", err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "PORT"));
    ck_assert_ptr_nonnull(strstr(err, "70000"));
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "PORT", "12ab", err, sizeof err), CP_EINVAL);
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "LOG_LEVEL", "loud", err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "loud"));
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "CLUSTER_ENABLED", "maybe", err, sizeof err),
                     CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "CLUSTER_ENABLED"));
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "CLUSTER_ENABLED", "Yes", err, sizeof err), CP_OK);
    ck_assert(c.cluster_enabled);
    ck_assert_int_eq(c.port, 3000);
}
END_TEST

START_TEST(values_with_stray_spaces_or_empty_hosts_are_refused)
{
    struct cp_conf c;
    conf_defaults(&c);
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "PORT", " 80", err, sizeof err), CP_EINVAL);
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "REDIS_HOST", "", err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "REDIS_HOST"));
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "REDIS_PREFIX", "", err, sizeof err), CP_OK);
}
END_TEST

/* INSTANCE_ID names the gateway in the /stats JSON: jansson refuses text
 * that is not UTF-8, and a NULL there crashed the stats write. */
START_TEST(instance_id_must_be_utf8)
{
    struct cp_conf c;
    conf_defaults(&c);
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "INSTANCE_ID", "caf\xc3\xa9-1", err, sizeof err),
                     CP_OK);
    ck_assert_str_eq(c.instance_id, "caf\xc3\xa9-1");
    const char *bad[] = {"caf\xc3", "\xff", "a\xc0\xafb", "\xed\xa0\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "INSTANCE_ID", bad[i], err, sizeof err),
                         CP_EINVAL);
        ck_assert_str_eq(err, "INSTANCE_ID: not valid UTF-8 text");
    }
    ck_assert_str_eq(c.instance_id, "caf\xc3\xa9-1");
}
END_TEST

START_TEST(symbol_lists_must_hold_distinct_symbols)
{
    struct cp_conf c;
    conf_defaults(&c);
    ck_assert_int_eq(conf_set(&c, CONF_FEEDER, "SYMBOLS", "BTC,ETH,1INCH", err, sizeof err), CP_OK);
    ck_assert_str_eq(c.symbols, "BTC,ETH,1INCH");
    const char *bad[] = {"", "btc", "BTC,,ETH", "BTC,", "BTC,BTC", "BTC-USD"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(conf_set(&c, CONF_FEEDER, "SYMBOLS", bad[i], err, sizeof err), CP_EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "SYMBOLS"));
    }
    ck_assert_str_eq(c.symbols, "BTC,ETH,1INCH");
}
END_TEST

START_TEST(sentinel_lists_must_be_host_port_pairs)
{
    struct cp_conf c;
    conf_defaults(&c);
    ck_assert_int_eq(
        conf_set(&c, CONF_GATEWAY, "REDIS_SENTINELS", "a:26379,10.0.0.2:1", err, sizeof err),
        CP_OK);
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "REDIS_SENTINELS", "", err, sizeof err), CP_OK);
    const char *bad[] = {"garbage", ",", "a:26379,", "127.0.0.1:99999", ":26379", "a:", "a:1x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "REDIS_SENTINELS", bad[i], err, sizeof err),
                         CP_EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "REDIS_SENTINELS"));
    }
}
END_TEST

START_TEST(settings_of_other_programs_are_unknown)
{
    struct cp_conf c;
    conf_defaults(&c);
    ck_assert_int_eq(conf_set(&c, CONF_FCGI, "PORT", "1", err, sizeof err), CP_ENOENT);
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "NOPE", "1", err, sizeof err), CP_ENOENT);
}
END_TEST

START_TEST(file_lines_parse_with_comments_quotes_and_export)
{
    struct cp_conf c;
    conf_defaults(&c);
    const char *path = write_file("# comment\n\nPORT=4000\nexport REDIS_HOST = \"10.0.0.1\"\n"
                                  "CORS_ORIGINS='http://a, http://b'\n");
    ck_assert_int_eq(conf_load_file(&c, CONF_GATEWAY, path, err, sizeof err), CP_OK);
    ck_assert_int_eq(c.port, 4000);
    ck_assert_str_eq(c.redis_host, "10.0.0.1");
    ck_assert(conf_origin_allowed(&c, "http://b"));
    ck_assert(!conf_origin_allowed(&c, "http://c"));
    unlink(path);
}
END_TEST

START_TEST(file_errors_give_path_and_line)
{
    struct cp_conf c;
    conf_defaults(&c);
    const char *path = write_file("PORT=4000\nthis is not a setting\n");
    ck_assert_int_eq(conf_load_file(&c, CONF_GATEWAY, path, err, sizeof err), CP_ESYNTAX);
    char want[64];
    snprintf(want, sizeof want, "%s:2:", path);
    ck_assert_ptr_nonnull(strstr(err, want));
    unlink(path);
    path = write_file("PORT=4000\nPROT=1\n");
    ck_assert_int_eq(conf_load_file(&c, CONF_GATEWAY, path, err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: unknown setting PROT"));
    unlink(path);
    path = write_file("PORT=4000\nPRICE_TTL_SECONDS=9\n");
    ck_assert_int_eq(conf_load_file(&c, CONF_FCGI, path, err, sizeof err), CP_OK);
    unlink(path);
    ck_assert_int_eq(conf_load_file(&c, CONF_GATEWAY, "/tmp", err, sizeof err), CP_EIO);
    ck_assert_int_eq(conf_load_file(&c, CONF_GATEWAY, "/nonexistent/x", err, sizeof err),
                     CP_ENOENT);
}
END_TEST

START_TEST(flags_beat_file_which_beats_environment)
{
    struct cp_conf c;
    const char *path = write_file("PORT=4000\nREDIS_PORT=7000\n");
    setenv("PORT", "5000", 1);
    setenv("REDIS_PORT", "8000", 1);
    setenv("REDIS_DB", "3", 1);
    char *argv[] = {"prog", "--config", (char *)path, "--port=6000", NULL};
    struct conf_program_info info = {
        .name = "prog", .summary = "", .usage = "", .programs = CONF_GATEWAY};
    ck_assert_int_eq(conf_parse_args(&c, &info, 4, argv), CONF_ARGS_OK);
    ck_assert_int_eq(c.port, 6000);       /* flag */
    ck_assert_int_eq(c.redis_port, 7000); /* file over environment */
    ck_assert_int_eq(c.redis_db, 3);      /* environment over default */
    unsetenv("PORT");
    unsetenv("REDIS_PORT");
    unsetenv("REDIS_DB");
    unlink(path);
}
END_TEST

START_TEST(bad_flag_is_a_usage_error)
{
    struct cp_conf c;
    char *argv[] = {"prog", "--interval", "abc", NULL};
    struct conf_program_info info = {
        .name = "prog", .summary = "", .usage = "", .programs = CONF_FEEDER};
    ck_assert_int_eq(conf_parse_args(&c, &info, 3, argv), CONF_ARGS_USAGE);
    char *argv2[] = {"prog", "--no-such-flag", NULL};
    ck_assert_int_eq(conf_parse_args(&c, &info, 2, argv2), CONF_ARGS_USAGE);
}
END_TEST

/* A reload reads the same sources again: a changed file is seen, and a bad
 * value comes back as text naming the file, line and value. */
START_TEST(reparse_reads_the_file_again_and_names_a_bad_value)
{
    struct cp_conf c;
    const char *path = write_file("CORS_ORIGINS=http://a.example\n");
    char *argv[] = {"prog", "--config", (char *)path, NULL};
    struct conf_program_info info = {
        .name = "prog", .summary = "", .usage = "", .programs = CONF_GATEWAY};
    char why[512];
    ck_assert_int_eq(conf_reparse_args(&c, &info, 3, argv, why, sizeof why), CP_OK);
    ck_assert_str_eq(c.cors_origins, "http://a.example");
    FILE *f = fopen(path, "w");
    fputs("CORS_ORIGINS=http://b.example\nPORT=not-a-port\n", f);
    fclose(f);
    ck_assert_int_eq(conf_reparse_args(&c, &info, 3, argv, why, sizeof why), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, ":2: PORT: \"not-a-port\""));
    unlink(path);
}
END_TEST

START_TEST(empty_origin_list_or_no_origin_allows_all)
{
    struct cp_conf c;
    conf_defaults(&c);
    ck_assert(conf_origin_allowed(&c, "http://anything"));
    ck_assert(conf_origin_allowed(&c, NULL));
    strcpy(c.cors_origins, "https://a.example");
    ck_assert(conf_origin_allowed(&c, NULL));
    ck_assert(!conf_origin_allowed(&c, "https://b.example"));
    ck_assert(conf_origin_allowed(&c, "https://a.example"));
}
END_TEST

START_TEST(given_tells_defaults_from_settings_and_log_format_is_checked)
{
    struct cp_conf c;
    conf_defaults(&c);
    ck_assert(!conf_given(&c, "MAX_CONNECTIONS"));
    ck_assert_str_eq(c.log_format, "text");
    ck_assert(!c.log_connections);
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "MAX_CONNECTIONS", "20000", err, sizeof err),
                     CP_OK);
    ck_assert(conf_given(&c, "MAX_CONNECTIONS"));
    ck_assert(!conf_given(&c, "PORT"));
    ck_assert_int_eq(conf_set(&c, CONF_FEEDER, "LOG_FORMAT", "json", err, sizeof err), CP_OK);
    ck_assert_str_eq(c.log_format, "json");
    ck_assert_int_eq(conf_set(&c, CONF_FCGI, "LOG_FORMAT", "xml", err, sizeof err), CP_EINVAL);
    ck_assert_str_eq(err, "LOG_FORMAT: \"xml\" is not one of text|json");
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "LOG_CONNECTIONS", "yes", err, sizeof err), CP_OK);
    ck_assert(c.log_connections);
    ck_assert_int_eq(conf_set(&c, CONF_FEEDER, "LOG_CONNECTIONS", "yes", err, sizeof err),
                     CP_ENOENT);
}
END_TEST

/* The original Node.js server's .env (../shared/ORIGINAL-DESIGN.md), as is. */
static const char original_env[] = "PORT=3000\nNODE_ENV=development\nREDIS_HOST=localhost\n"
                                   "REDIS_PORT=6379\nREDIS_PASSWORD=\nCLUSTER_ENABLED=false\n"
                                   "WORKERS=4\nMAX_MESSAGES_PER_SECOND=100\n";

START_TEST(the_original_env_file_serves_every_program)
{
    const char *path = write_file(original_env);
    const unsigned programs[] = {CONF_GATEWAY, CONF_FEEDER, CONF_FCGI};
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        struct cp_conf c;
        conf_defaults(&c);
        ck_assert(!conf_given(&c, "NODE_ENV"));
        ck_assert_int_eq(conf_load_file(&c, programs[i], path, err, sizeof err), CP_OK);
        ck_assert(conf_given(&c, "NODE_ENV"));
        ck_assert_str_eq(c.redis_host, "localhost");
        ck_assert(conf_given(&c, "REDIS_PASSWORD"));
        ck_assert_str_eq(c.redis_password, "");
    }
    struct cp_conf c;
    conf_defaults(&c);
    ck_assert_int_eq(conf_load_file(&c, CONF_GATEWAY, path, err, sizeof err), CP_OK);
    ck_assert(conf_given(&c, "CLUSTER_ENABLED") && !c.cluster_enabled);
    ck_assert_int_eq(c.workers, 4);
    unlink(path);
    /* NODE_ENV only: other names of no program are still typos. */
    path = write_file("NODE_ENV=production\nNODE_ENVV=production\n");
    ck_assert_int_eq(conf_load_file(&c, CONF_GATEWAY, path, err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: unknown setting NODE_ENVV"));
    unlink(path);
    ck_assert_int_eq(conf_set(&c, CONF_GATEWAY, "NODE_ENV", "x", err, sizeof err), CP_ENOENT);
}
END_TEST

START_TEST(node_env_in_the_environment_is_noted_and_changes_nothing)
{
    struct cp_conf c, plain;
    conf_defaults(&plain);
    conf_defaults(&c);
    setenv("NODE_ENV", "production", 1);
    ck_assert_int_eq(conf_load_env(&c, CONF_GATEWAY, err, sizeof err), CP_OK);
    unsetenv("NODE_ENV");
    ck_assert(conf_given(&c, "NODE_ENV"));
    memset(c.given, 0, sizeof c.given);
    ck_assert_mem_eq(&c, &plain, sizeof c);
}
END_TEST

/* Start-up names NODE_ENV in one info line; a reload reads it again quietly,
 * and a program without it logs nothing. */
START_TEST(node_env_gets_one_info_line_at_start_only)
{
    const char *path = write_file(original_env);
    char *argv[] = {"prog", "--config", (char *)path, "--log-level", "info", NULL};
    struct conf_program_info info = {
        .name = "prog", .summary = "", .usage = "", .programs = CONF_FEEDER};
    struct cp_conf c;
    struct stderr_capture cap;
    stderr_capture_start(&cap);
    ck_assert_int_eq(conf_parse_args(&c, &info, 5, argv), CONF_ARGS_OK);
    char *start = stderr_capture_text(&cap);
    ck_assert_int_eq(conf_reparse_args(&c, &info, 5, argv, err, sizeof err), CP_OK);
    char *all = stderr_capture_end(&cap);
    const char *line = strstr(start, "prog[info] NODE_ENV ignored: ");
    ck_assert_msg(line != NULL, "no info line in: %s", start);
    ck_assert_ptr_null(strstr(line + strlen("prog[info] NODE_ENV"), "NODE_ENV")); /* once */
    ck_assert_str_eq(all, start);
    free(start);
    free(all);
    unlink(path);
    path = write_file("PORT=4000\n");
    argv[2] = (char *)path;
    stderr_capture_start(&cap);
    ck_assert_int_eq(conf_parse_args(&c, &info, 5, argv), CONF_ARGS_OK);
    all = stderr_capture_end(&cap);
    ck_assert_str_eq(all, "");
    free(all);
    unlink(path);
}
END_TEST

static Suite *conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("sources");
    tcase_add_test(tc, defaults_follow_the_protocol);
    tcase_add_test(tc, bad_values_name_the_setting_and_value);
    tcase_add_test(tc, values_with_stray_spaces_or_empty_hosts_are_refused);
    tcase_add_test(tc, instance_id_must_be_utf8);
    tcase_add_test(tc, symbol_lists_must_hold_distinct_symbols);
    tcase_add_test(tc, sentinel_lists_must_be_host_port_pairs);
    tcase_add_test(tc, settings_of_other_programs_are_unknown);
    tcase_add_test(tc, file_lines_parse_with_comments_quotes_and_export);
    tcase_add_test(tc, file_errors_give_path_and_line);
    tcase_add_test(tc, flags_beat_file_which_beats_environment);
    tcase_add_test(tc, bad_flag_is_a_usage_error);
    tcase_add_test(tc, reparse_reads_the_file_again_and_names_a_bad_value);
    tcase_add_test(tc, empty_origin_list_or_no_origin_allows_all);
    tcase_add_test(tc, given_tells_defaults_from_settings_and_log_format_is_checked);
    tcase_add_test(tc, the_original_env_file_serves_every_program);
    tcase_add_test(tc, node_env_in_the_environment_is_noted_and_changes_nothing);
    tcase_add_test(tc, node_env_gets_one_info_line_at_start_only);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(conf_suite)
