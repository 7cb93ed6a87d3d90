/* Unit tests of lib/xalloc.c: allocations that never return NULL, and abort
 * with a message on out-of-memory. */
#include "config.h"

#include "check_main.h"
#include "xalloc.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

START_TEST(zero_sizes_still_give_memory)
{
    void *a = xmalloc(0), *b = xcalloc(0, 0), *c = xrealloc(NULL, 0);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(calloc_zeroes_and_realloc_keeps_the_contents)
{
    unsigned char *p = xcalloc(100, 3);
    for (int i = 0; i < 300; i++)
        ck_assert_uint_eq(p[i], 0);
    memset(p, 0x5A, 300);
    p = xrealloc(p, 100000);
    for (int i = 0; i < 300; i++)
        ck_assert_uint_eq(p[i], 0x5A);
    free(p);
}
END_TEST

/* xgrow: the capacity starts at first, doubles only when full, and the
 * elements already there are kept. */
START_TEST(grow_doubles_only_when_full_and_keeps_the_elements)
{
    int *a = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 100; i++) {
        a = xgrow(a, n, &cap, sizeof *a, 8);
        ck_assert_uint_gt(cap, n);
        a[n++] = i;
        if (i == 0)
            ck_assert_uint_eq(cap, 8);
        if (i == 8)
            ck_assert_uint_eq(cap, 16);
    }
    ck_assert_uint_eq(cap, 128);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(a[i], i);
    free(a);
}
END_TEST

START_TEST(strndup_copies_at_most_n_bytes)
{
    char *a = xstrdup("BTC,ETH"), *b = xstrndup("BTC,ETH", 3), *c = xstrndup("BTC", 99);
    char *d = xstrndup("", 5);
    ck_assert_str_eq(a, "BTC,ETH");
    ck_assert_str_eq(b, "BTC");
    ck_assert_str_eq(c, "BTC");
    ck_assert_str_eq(d, "");
    free(a);
    free(b);
    free(c);
    free(d);
}
END_TEST

/* Run fn in a child whose stderr is a pipe; returns what it wrote and sets
 * *status. */
static char *child(void (*fn)(void), int *status)
{
    static char out[256];
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        signal(SIGABRT, SIG_DFL);
        fn();
        _exit(0);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t n;
    while (len < sizeof out - 1 && (n = read(fds[0], out + len, sizeof out - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, status, 0), pid);
    return out;
}

static void too_much(void)
{
    free(xmalloc(SIZE_MAX / 2));
}

static void too_much_again(void)
{
    free(xrealloc(xmalloc(1), SIZE_MAX / 2));
}

START_TEST(out_of_memory_aborts_with_the_size)
{
    int status;
    char *msg = child(too_much, &status);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    char want[96];
    snprintf(want, sizeof want, "out of memory allocating %zu bytes\n", SIZE_MAX / 2);
    /* Its last line (a sanitizer may warn before it). */
    size_t n = strlen(msg), w = strlen(want);
    ck_assert_msg(n >= w && strcmp(msg + n - w, want) == 0, "%s", msg);
    msg = child(too_much_again, &status);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    n = strlen(msg);
    ck_assert_msg(n >= w && strcmp(msg + n - w, want) == 0, "%s", msg);
}
END_TEST

static Suite *xalloc_suite(void)
{
    Suite *s = suite_create("xalloc");
    TCase *tc = tcase_create("alloc");
    tcase_add_test(tc, zero_sizes_still_give_memory);
    tcase_add_test(tc, calloc_zeroes_and_realloc_keeps_the_contents);
    tcase_add_test(tc, grow_doubles_only_when_full_and_keeps_the_elements);
    tcase_add_test(tc, strndup_copies_at_most_n_bytes);
    tcase_add_test(tc, out_of_memory_aborts_with_the_size);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(xalloc_suite)
