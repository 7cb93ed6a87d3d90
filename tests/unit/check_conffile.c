/* Unit tests of lib/conffile.c: files of NAME=value lines, read as a shell
 * sources them, each setting handed to the caller. */
#include "config.h"

#include "check_main.h"
#include "conffile.h"
#include "cp_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[512];
static char seen[1024]; /* "NAME=value;" per setting handed over */

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

/* Records each setting; refuses the name REFUSE with CP_EINVAL. */
static int record(void *arg, const char *name, const char *value, char *why, size_t whylen)
{
    (*(int *)arg)++;
    if (strcmp(name, "REFUSE") == 0) {
        snprintf(why, whylen, "refused %s", value);
        return CP_EINVAL;
    }
    snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s=%s;", name, value);
    return CP_OK;
}

START_TEST(settings_come_unquoted_and_trimmed_in_order)
{
    int n = 0;
    seen[0] = '\0';
    const char *path = write_file("# comment\n\n  A=1\nexport B = \"two words\"\n"
                                  "C='x, y'\nD=\nE=a=b\n");
    ck_assert_int_eq(conffile_read(path, record, &n, err, sizeof err), CP_OK);
    ck_assert_str_eq(seen, "A=1;B=two words;C=x, y;D=;E=a=b;");
    ck_assert_int_eq(n, 5);
    unlink(path);
}
END_TEST

/* Values as a shell reads them: a comment may follow a value (after a blank
 * or its closing quote), "" takes \\ \" \$ \` escapes and keeps any other
 * backslash, '' is literal, a '#' inside a word or quotes is text, and
 * nothing is expanded. */
START_TEST(quotes_escapes_and_comments_as_a_shell_reads_them)
{
    int n = 0;
    seen[0] = '\0';
    const char *path =
        write_file("A=\"a\" # c\nB=b # c\nC=x#y\nD=\"say \\\"hi\\\" \\\\ \\n\"\n"
                   "F='$HOME # \\'\nG=\"#\"\t#c\nH=$HOME\nI= # none\nJ=\t# none\nK=#k\n");
    ck_assert_int_eq(conffile_read(path, record, &n, err, sizeof err), CP_OK);
    ck_assert_str_eq(seen,
                     "A=a;B=b;C=x#y;D=say \"hi\" \\ \\n;F=$HOME # \\;G=#;H=$HOME;I=;J=;K=#k;");
    unlink(path);
}
END_TEST

START_TEST(bad_lines_name_the_path_and_line)
{
    int n = 0;
    char want[64];
    const char *path = write_file("A=1\nthis is not a setting\n");
    ck_assert_int_eq(conffile_read(path, record, &n, err, sizeof err), CP_ESYNTAX);
    snprintf(want, sizeof want, "%s:2: expected NAME=value", path);
    ck_assert_str_eq(err, want);
    unlink(path);
    path = write_file("A=\"open\n");
    ck_assert_int_eq(conffile_read(path, record, &n, err, sizeof err), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(err, ":1: unterminated quote in value of A"));
    unlink(path);
    path = write_file("A=\"a\"b\n");
    ck_assert_int_eq(conffile_read(path, record, &n, err, sizeof err), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(err, ":1: text after the closing quote in value of A"));
    unlink(path);
    path = write_file("A=\"a\"#c\n"); /* the shell would read a#c: refused, not guessed */
    ck_assert_int_eq(conffile_read(path, record, &n, err, sizeof err), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(err, ":1: text after the closing quote in value of A"));
    unlink(path);
    path = write_file("A=\"a\\\"\n"); /* the quote is escaped: none closes it */
    ck_assert_int_eq(conffile_read(path, record, &n, err, sizeof err), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(err, ":1: unterminated quote in value of A"));
    unlink(path);
}
END_TEST

START_TEST(the_callers_refusal_stops_the_reading_with_its_reason)
{
    int n = 0;
    seen[0] = '\0';
    const char *path = write_file("A=1\nREFUSE=v\nB=2\n");
    ck_assert_int_eq(conffile_read(path, record, &n, err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":2: refused v"));
    ck_assert_str_eq(seen, "A=1;"); /* B never read */
    ck_assert_int_eq(n, 2);
    unlink(path);
}
END_TEST

START_TEST(a_line_over_the_limit_is_refused)
{
    int n = 0;
    static char text[CONFFILE_LINE_MAX + 16];
    memset(text, 'x', sizeof text - 2);
    memcpy(text, "A=", 2);
    text[sizeof text - 2] = '\n';
    const char *path = write_file(text);
    ck_assert_int_eq(conffile_read(path, record, &n, err, sizeof err), CP_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(err, ":1: line too long"));
    ck_assert_int_eq(n, 0);
    unlink(path);
}
END_TEST

START_TEST(files_that_cannot_be_read_say_why)
{
    int n = 0;
    ck_assert_int_eq(conffile_read("/nonexistent/x", record, &n, err, sizeof err), CP_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x: cannot open: "));
    ck_assert_int_eq(conffile_read("/tmp", record, &n, err, sizeof err), CP_EIO);
    ck_assert_ptr_nonnull(strstr(err, "/tmp: cannot read: "));
}
END_TEST

static Suite *conffile_suite(void)
{
    Suite *s = suite_create("conffile");
    TCase *t = tcase_create("core");
    tcase_add_test(t, settings_come_unquoted_and_trimmed_in_order);
    tcase_add_test(t, quotes_escapes_and_comments_as_a_shell_reads_them);
    tcase_add_test(t, bad_lines_name_the_path_and_line);
    tcase_add_test(t, the_callers_refusal_stops_the_reading_with_its_reason);
    tcase_add_test(t, a_line_over_the_limit_is_refused);
    tcase_add_test(t, files_that_cannot_be_read_say_why);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(conffile_suite)
