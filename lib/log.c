#include "config.h"

#include "log.h"

#include "cp_error.h"
#include "jsontext.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
static enum log_format log_format_current = LOG_TEXT;
static const char *const log_names[] = {"error", "warn", "info", "debug"};

void log_init(const char *progname, enum log_level level)
{
    log_prog = progname;
    log_level_current = level;
}

void log_set_format(enum log_format format)
{
    log_format_current = format;
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

int log_format_parse(const char *text, enum log_format *out)
{
    if (strcasecmp(text, "text") == 0 || strcasecmp(text, "json") == 0) {
        *out = strcasecmp(text, "json") == 0 ? LOG_JSON : LOG_TEXT;
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

/* "2026-12-03T13:45:00.123Z" into buf (at least 32 bytes). */
static void log_stamp(char *buf, size_t len)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t k = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + k, len - k, ".%03dZ", (int)(tv.tv_usec / 1000) % 1000);
}

/* Append text to line (len bytes used of LOG_LINE_MAX - 1), cutting at the end. */
static void put(char *line, size_t *len, const char *text, size_t n)
{
    size_t room = LOG_LINE_MAX - 1 - *len;
    if (n > room)
        n = room;
    memcpy(line + *len, text, n);
    *len += n;
}

/* A text value is quoted when a reader could not tell where it ends. */
static void put_value(char *line, size_t *len, const char *v)
{
    if (*v && !v[strcspn(v, " \t\r\n\"=\\")]) {
        put(line, len, v, strlen(v));
        return;
    }
    put(line, len, "\"", 1);
    for (; *v; v++) {
        char c = *v == '\n' ? 'n' : *v == '\r' ? 'r' : *v == '\t' ? 't' : *v;
        if (c != *v || *v == '"' || *v == '\\')
            put(line, len, "\\", 1);
        put(line, len, &c, 1);
    }
    put(line, len, "\"", 1);
}

/* One line goes out in one write(2), so that the lines of several processes
 * sharing stderr (the gateway's workers) never interleave mid-line: writes of
 * up to PIPE_BUF bytes to a pipe, and O_APPEND writes to a file, are atomic.
 * A longer line is cut and ends in "...". */
static void emit_text(enum log_level level, const char *msg, const struct log_field *f, size_t n)
{
    char line[LOG_LINE_MAX], stamp[32];
    log_stamp(stamp, sizeof stamp);
    size_t len = 0;
    int w = snprintf(line, sizeof line / 2, "%s %s[%s] ", stamp, log_prog, log_names[level]);
    if (w > 0 && (size_t)w < sizeof line / 2)
        len = (size_t)w;
    put(line, &len, msg, strlen(msg));
    for (size_t i = 0; i < n; i++) {
        char num[24];
        snprintf(num, sizeof num, "%lld", f[i].num);
        put(line, &len, " ", 1);
        put(line, &len, f[i].key, strlen(f[i].key));
        put(line, &len, "=", 1);
        put_value(line, &len, f[i].str ? f[i].str : num);
    }
    if (len == sizeof line - 1)
        memcpy(line + len - 3, "...", 3);
    line[len++] = '\n';
    write_all(line, len);
}

/* A client's bytes quoted in a message may not be UTF-8: jsontext makes
 * them '?' rather than lose the field. */
static json_t *json_text(const char *text, size_t n)
{
    json_t *s = jsontext_string(text, n);
    return s ? s : json_string("?");
}

static json_t *json_line(enum log_level level, const char *stamp, const char *msg, size_t msglen,
                         const struct log_field *f, size_t n)
{
    json_t *o = json_object();
    json_object_set_new(o, "ts", json_string(stamp));
    json_object_set_new(o, "level", json_string(log_names[level]));
    json_object_set_new(o, "program", json_text(log_prog, strlen(log_prog)));
    json_object_set_new(o, "msg", json_text(msg, msglen));
    for (size_t i = 0; i < n; i++)
        json_object_set_new(
            o, f[i].key, f[i].str ? json_text(f[i].str, strlen(f[i].str)) : json_integer(f[i].num));
    return o;
}

/* Like emit_text, one object per line; a line too long loses the end of msg
 * (marked "..."), then the fields, so that it stays valid JSON. */
static void emit_json(enum log_level level, const char *msg, const struct log_field *f, size_t n)
{
    char stamp[32], cut[LOG_LINE_MAX];
    log_stamp(stamp, sizeof stamp);
    size_t msglen = strlen(msg);
    for (int attempt = 0; attempt < 8; attempt++) {
        json_t *o = json_line(level, stamp, msg, msglen, f, n);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!text)
            return;
        size_t len = strlen(text);
        if (len < LOG_LINE_MAX) {
            text[len] = '\n'; /* over the NUL: written by length */
            write_all(text, len + 1);
            free(text);
            return;
        }
        free(text);
        /* Cutting k bytes of msg saves at least k bytes of output (escapes
         * only make it more); when msg is not the bulk, the fields go. */
        size_t over = len - (LOG_LINE_MAX - 1) + 3, keep = msglen / 2;
        if (msglen > over + 16)
            keep = msglen - over;
        else if (n > 0) {
            n = 0;
            continue;
        }
        if (keep > sizeof cut - 4)
            keep = sizeof cut - 4;
        memmove(cut, msg, keep);
        memcpy(cut + keep, "...", 4);
        msg = cut;
        msglen = keep + 3;
    }
}

void log_fields(enum log_level level, const char *msg, const struct log_field *fields, size_t n)
{
    if (level > log_level_current)
        return;
    if (log_format_current == LOG_JSON)
        emit_json(level, msg, fields, n);
    else
        emit_text(level, msg, fields, n);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > log_level_current)
        return;
    char msg[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m < 0)
        msg[0] = '\0';
    else if ((size_t)m >= sizeof msg)
        memcpy(msg + sizeof msg - 4, "...", 4);
    log_fields(level, msg, NULL, 0);
}
