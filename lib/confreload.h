/* confreload: what a reload (SIGHUP) of a running program changes.  Each
 * program reads its settings again (conf_reparse_args: the --config file
 * over the environment over the defaults; the environment is the one the
 * process started with) and hands the result here: the settings that can
 * change while the program runs are copied into its running settings, the
 * others stay as they were until a restart, and every difference is logged on
 * one line.  The table of live settings per program is in confreload.c.
 * Single-threaded, like the programs; nothing to free. */
#ifndef CP_CONFRELOAD_H
#define CP_CONFRELOAD_H

#include "conf.h"

#include <stdbool.h>

/* True when the setting named name ("LOG_LEVEL") takes effect in program
 * (one CONF_* bit) without a restart. */
bool confreload_live(unsigned program, const char *name);

/* Compare every setting program reads in running (its settings now) with
 * fresh (just read again).  A changed live setting is copied into running;
 * any other change is left out (running keeps it until a restart).  Then,
 * once the new LOG_LEVEL is in force (log_init(progname, ...); progname is
 * borrowed as log_init says), it logs one line per difference:
 *   "reload: LOG_LEVEL info -> debug"                         (info)
 *   "reload: PORT 8080 -> 8081 needs a restart; still 8080"   (warn)
 * REDIS_PASSWORD's values are not printed.  With no difference, one line
 * "reload: no setting changed".  quiet logs all of these at debug instead
 * (the workers of a cluster, whose supervisor already said it).
 * Returns the number of differences, live or not. */
int confreload_apply(struct cp_conf *running, const struct cp_conf *fresh, unsigned program,
                     const char *progname, bool quiet);

/* Log, on one line at error level, that a reload failed because of err
 * (from conf_reparse_args or a program's own check) and the running
 * settings stay. */
void confreload_failed(const char *err);

#endif
