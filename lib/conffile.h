/* conffile: reads a file of NAME=value lines as a shell sources them (the
 * --config file): blank lines and '#' comments skipped, "export " allowed,
 * a comment after a value (after a blank, or after its closing quote),
 * values quoted with '' (literally) or "" (\\, \", \$, \` escaped); nothing
 * is expanded.  It knows no setting: each one goes to the caller's
 * function.  Any thread; nothing is kept between calls. */
#ifndef CP_CONFFILE_H
#define CP_CONFFILE_H

#include <stddef.h>

/* Longest line, newline included (bytes). */
#define CONFFILE_LINE_MAX 1280

/* Called for each setting with its name and value (NUL-terminated, valid
 * during the call); returns 0, or an error code with a reason in why
 * (whylen bytes), which stops the reading. */
typedef int conffile_setting_fn(void *arg, const char *name, const char *value, char *why,
                                size_t whylen);

/* Read path, calling on_setting(arg, ...) for each setting in order.
 * Returns 0; CP_ENOENT when it cannot be opened, CP_EIO when it cannot be
 * read; CP_ESYNTAX for a line that is not NAME=value (or too long), or
 * on_setting's code — then with "path:line: reason" in err (errlen bytes). */
int conffile_read(const char *path, conffile_setting_fn *on_setting, void *arg, char *err,
                  size_t errlen);

#endif
