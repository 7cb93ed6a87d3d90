/* log: leveled logging to stderr, one line per call, as text ("<ISO-8601 UTC>
 * prog[level] msg key=value ...") or as one JSON object per line (LOG_FORMAT).
 * Single-threaded programs; level and format are process-global and set at
 * start-up (a reload may change them).  Nothing to free. */
#ifndef CP_LOG_H
#define CP_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* LOG_FORMAT: text lines for people, or JSON objects {"ts", "level",
 * "program", "msg", fields...} for log collectors. */
enum log_format { LOG_TEXT = 0, LOG_JSON };

/* Set the program name printed on each line (borrowed: must outlive logging)
 * and the level (messages above it are dropped); once, at start-up.  The
 * format is left as it is (text until log_set_format). */
void log_init(const char *progname, enum log_level level);

/* Choose text or JSON lines for every later call. */
void log_set_format(enum log_format format);

/* Parse "error", "warn", "info" or "debug" (case-insensitive).
 * Returns 0 and sets *out, or CP_EINVAL for any other text. */
int log_level_parse(const char *text, enum log_level *out);
const char *log_level_name(enum log_level level);

/* Parse "text" or "json" (case-insensitive): 0 and *out, or CP_EINVAL. */
int log_format_parse(const char *text, enum log_format *out);

/* printf-style; a newline is added.  One write(2) per line, at most 4096
 * bytes (PIPE_BUF): a longer message is cut and ends in "...". */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One structured value of a log line: str, or num when str is NULL.  Keys
 * are plain words (no blanks or '='); everything is borrowed for the call. */
struct log_field {
    const char *key;
    const char *str;
    long long num;
};
#define LOG_STR(k, v) ((struct log_field){(k), (v), 0})
#define LOG_INT(k, v) ((struct log_field){(k), NULL, (long long)(v)})

/* msg with n fields: text "msg k1=v1 k2=\"v 2\"" (values with blanks, quotes
 * or '=' quoted, '"' and '\' escaped); JSON with each field a key of the
 * object (numbers as numbers).  Keys "ts", "level", "program" and "msg" are
 * reserved.  A line too long loses the end of msg, then its fields. */
void log_fields(enum log_level level, const char *msg, const struct log_field *fields, size_t n);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
