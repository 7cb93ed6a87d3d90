#include "config.h"

#include "log.h"

#include "cp_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static const char *log_prog = "cryptopulse";
static enum log_level log_level_current = LOG_INFO;
static const char *const log_names[] = {"error", "warn", "info", "debug"};

void log_init(const char *progname, enum log_level level)
{
    log_prog = progname;
    log_level_current = level;
}

void log_set_level(enum log_level level)
{
    log_level_current = level;
}

enum log_level log_get_level(void)
{
    return log_level_current;
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

const char *log_level_name(enum log_level level)
{
    return level <= LOG_DEBUG ? log_names[level] : "?";
}

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

    va_list ap;
    va_start(ap, fmt);
    flockfile(stderr);
    fprintf(stderr, "%s.%03ldZ %s[%s] ", stamp, (long)(tv.tv_usec / 1000),
            log_prog, log_names[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    va_end(ap);
}
