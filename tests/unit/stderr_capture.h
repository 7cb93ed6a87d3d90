/* stderr_capture: what a test's code logs (log.h writes to stderr), caught
 * in a temporary file.  Test code only; one capture at a time. */
#ifndef CP_TEST_STDERR_CAPTURE_H
#define CP_TEST_STDERR_CAPTURE_H

struct stderr_capture {
    int fd;    /* the temporary file (already unlinked) */
    int saved; /* the real stderr, back at the end */
};

/* From now on stderr goes to a fresh temporary file. */
void stderr_capture_start(struct stderr_capture *cap);

/* What was written so far (NUL-terminated, caller frees); the capture goes
 * on. */
char *stderr_capture_text(const struct stderr_capture *cap);

/* Put stderr back and return everything written (caller frees). */
char *stderr_capture_end(struct stderr_capture *cap);

#endif
