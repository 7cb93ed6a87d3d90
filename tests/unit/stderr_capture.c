/* stderr_capture: stderr into a temporary file, for tests of what is logged. */
#include "config.h"

#include "stderr_capture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

void stderr_capture_start(struct stderr_capture *cap)
{
    char path[] = "/tmp/cp-unit-stderr.XXXXXX";
    cap->fd = mkstemp(path);
    ck_assert_int_ge(cap->fd, 0);
    unlink(path);
    fflush(stderr);
    cap->saved = dup(STDERR_FILENO);
    ck_assert_int_ge(cap->saved, 0);
    dup2(cap->fd, STDERR_FILENO);
}

char *stderr_capture_text(const struct stderr_capture *cap)
{
    struct stat st;
    ck_assert_int_eq(fstat(cap->fd, &st), 0);
    char *text = calloc(1, (size_t)st.st_size + 1);
    ck_assert_ptr_nonnull(text);
    size_t len = 0;
    ssize_t n;
    while (len < (size_t)st.st_size &&
           (n = pread(cap->fd, text + len, (size_t)st.st_size - len, (off_t)len)) > 0)
        len += (size_t)n;
    text[len] = '\0';
    return text;
}

char *stderr_capture_end(struct stderr_capture *cap)
{
    fflush(stderr);
    dup2(cap->saved, STDERR_FILENO);
    close(cap->saved);
    char *text = stderr_capture_text(cap);
    close(cap->fd);
    return text;
}
