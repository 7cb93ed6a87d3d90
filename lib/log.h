/* log: leveled logging to stderr with an ISO-8601 UTC timestamp and the
 * program name.  Single-threaded programs; the level is process-global and set
 * once at start-up from LOG_LEVEL.  Nothing to free. */
#ifndef CP_LOG_H
#define CP_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Set the program name printed on each line (borrowed: must outlive logging)
 * and the level (messages above it are dropped); once, at start-up. */
void log_init(const char *progname, enum log_level level);

/* Parse "error", "warn", "info" or "debug" (case-insensitive).
 * Returns 0 and sets *out, or CP_EINVAL for any other text. */
int log_level_parse(const char *text, enum log_level *out);
const char *log_level_name(enum log_level level);

/* printf-style; a newline is added. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
