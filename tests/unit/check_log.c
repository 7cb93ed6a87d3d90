/* Unit tests of lib/log.c: level parsing and whole lines from concurrent
 * processes. */
#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "log.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WRITERS 6
#define LINES 3000

START_TEST(parses_level_names)
{
    enum log_level l;
    ck_assert_int_eq(log_level_parse("WARNING", &l), CP_OK);
    ck_assert_int_eq(l, LOG_WARN);
    ck_assert_int_eq(log_level_parse("verbose", &l), CP_EINVAL);
}
END_TEST

/* Is line one whole line of writer w: "<stamp> t[info] w<w> xxx...xxx end"? */
static bool whole_line(const char *line)
{
    const char *p = strstr(line, " t[info] w");
    if (!p || p - line != 24)
        return false;
    p += strlen(" t[info] w") + 1; /* and the digit */
    size_t x = strspn(p + 1, "x");
    return *p == ' ' && x == 200 && strcmp(p + 1 + x, " end\n") == 0;
}

/* Several processes share one stderr (as the gateway's workers do): every
 * line must come out whole, never cut by another process's output. */
START_TEST(lines_of_processes_sharing_stderr_do_not_interleave)
{
    char path[] = "/tmp/check_log.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_ge(fcntl(fd, F_SETFL, O_APPEND), 0);
    char filler[201];
    memset(filler, 'x', 200);
    filler[200] = '\0';
    for (int w = 0; w < WRITERS; w++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            dup2(fd, STDERR_FILENO);
            log_init("t", LOG_INFO);
            for (int i = 0; i < LINES; i++)
                log_info("w%d %s end", w, filler);
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++)
        wait(NULL);
    FILE *f = fdopen(fd, "r");
    rewind(f);
    char line[512];
    size_t n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        bad += !whole_line(line);
    }
    fclose(f);
    unlink(path);
    ck_assert_msg(bad == 0, "%zu of %zu lines cut by another process", bad, n);
    ck_assert_uint_eq(n, WRITERS * LINES);
}
END_TEST

START_TEST(a_long_line_is_cut_and_marked)
{
    char path[] = "/tmp/check_log.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    log_init("t", LOG_INFO);
    char *big = malloc(10000);
    memset(big, 'y', 9999);
    big[9999] = '\0';
    log_info("%s", big);
    log_debug("not shown");
    dup2(saved, STDERR_FILENO);
    close(saved);
    free(big);
    char *text = calloc(1, 20000);
    ssize_t got = pread(fd, text, 19999, 0);
    close(fd);
    unlink(path);
    ck_assert_int_eq(got, 4096);
    ck_assert_str_eq(text + 4096 - 4, "...\n");
    free(text);
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *t = tcase_create("lines");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, parses_level_names);
    tcase_add_test(t, lines_of_processes_sharing_stderr_do_not_interleave);
    tcase_add_test(t, a_long_line_is_cut_and_marked);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(log_suite)
