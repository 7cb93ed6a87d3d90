#include "config.h"

#include "log.h"

#include "cp_error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Bytes of one line, newline included: Linux's PIPE_BUF, the most one write
 * to a pipe is guaranteed to put in without interleaving. */
#define LOG_LINE_MAX 4096

static const char *log_prog = "cryptopulse";
static enum log_level log_level_current = LOG_INFO;
static const char *const log_names[] = {"error", "warn", "info", "debug"};

void log_init(const char *progname, enum log_level level)
{
    log_prog = progname;
    log_level_current = level;
}

int log_level_parse(const char *text, enum log_level *out)
{
    for (int i = LOG_ERROR; i <= LOG_DEBUG; i++) {
        if (strcasecmp(text, log_names[i]) == 0) {
            *out = (enum log_level)i;
            return CP_OK;
        }
    }
    if (strcasecmp(text, "warning") == 0) {
        *out = LOG_WARN;
        return CP_OK;
    }
    return CP_EINVAL;
}

/* Write all of buf to stderr; a short write (a signal) continues. */
static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        buf += w;
        len -= (size_t)w;
    }
}

const char *log_level_name(enum log_level level)
{
    return level <= LOG_DEBUG ? log_names[level] : "?";
}

/* One line goes out in one write(2), so that the lines of several processes
 * sharing stderr (the gateway's workers) never interleave mid-line: writes of
 * up to PIPE_BUF bytes to a pipe, and O_APPEND writes to a file, are atomic.
 * A longer line is cut and ends in "...". */
void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > log_level_current)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

    char line[LOG_LINE_MAX];
    int n = snprintf(line, sizeof line, "%s.%03ldZ %s[%s] ", stamp, (long)(tv.tv_usec / 1000),
                     log_prog, log_names[level]);
    if (n < 0 || (size_t)n >= sizeof line / 2)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* The text takes at most sizeof line - 1 bytes, leaving one for '\n'. */
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 1) {
        len = sizeof line - 1;
        memcpy(line + len - 3, "...", 3);
    }
    line[len++] = '\n';
    write_all(line, len);
}
