/* conffile: reads the --config file, NAME=value lines as a shell sources
 * them, into a struct cp_conf through conf_set().  Runs at start-up and on
 * reload, on the caller's thread; nothing is kept between calls. */
#ifndef CP_CONFFILE_H
#define CP_CONFFILE_H

#include <stddef.h>

#include "conf.h"

/* Read a file of NAME=value lines (blank lines and '#' comments allowed;
 * values may be quoted with "" or '').  Settings of other programs are
 * skipped, so one file can serve all; names no program knows are an error,
 * so typos do not pass silently.  Returns 0, CP_ENOENT if the file cannot be opened,
 * CP_ESYNTAX or CP_EINVAL with "path:line: reason" in err. */
int conffile_load(struct cp_conf *conf, unsigned programs, const char *path, char *err,
                  size_t errlen);

#endif
