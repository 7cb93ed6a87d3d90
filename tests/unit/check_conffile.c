/* Unit tests of lib/conffile.c: the --config file of NAME=value lines. */
#include "config.h"

#include "check_main.h"
#include "conf.h"
#include "conffile.h"
#include "cp_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[512];

static const char *write_file(const char *text)
{
    static char path[] = "/tmp/check_conffile_XXXXXX";
    strcpy(path, "/tmp/check_conffile_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    return path;
}

START_TEST(file_lines_parse_with_comments_quotes_and_export)
{
    struct cp_conf c;
    conf_defaults(&c);
    const char *path = write_file("# comment\n\nPORT=4000\nexport REDIS_HOST = \"10.0.0.1\"\n"
                                  "CORS_ORIGINS='http://a, http://b'\n");
    ck_assert_int_eq(conffile_load(&c, CONF_GATEWAY, path, err, sizeof err), CP_OK);
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
    ck_assert_int_eq(conffile_load(&c, CONF_GATEWAY, path, err, sizeof err), CP_ESYNTAX);
    char want[64];
    snprintf(want, sizeof want, "%s:2:", path);
    ck_assert_ptr_nonnull(strstr(err, want));
    unlink(path);
    path = write_file("PORT=4000\nPROT=1\n");
    ck_assert_int_eq(conffile_load(&c, CONF_GATEWAY, path, err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: unknown setting PROT"));
    unlink(path);
    path = write_file("PORT=4000\nPRICE_TTL_SECONDS=9\n");
    ck_assert_int_eq(conffile_load(&c, CONF_FCGI, path, err, sizeof err), CP_OK);
    unlink(path);
    ck_assert_int_eq(conffile_load(&c, CONF_GATEWAY, "/tmp", err, sizeof err), CP_EIO);
    ck_assert_int_eq(conffile_load(&c, CONF_GATEWAY, "/nonexistent/x", err, sizeof err), CP_ENOENT);
}
END_TEST

static Suite *conffile_suite(void)
{
    Suite *s = suite_create("conffile");
    TCase *t = tcase_create("core");
    tcase_add_test(t, file_lines_parse_with_comments_quotes_and_export);
    tcase_add_test(t, file_errors_give_path_and_line);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(conffile_suite)
