/* lopts: the load tool's option values that are lists or addresses — the
 * URL, the symbol list, the --pid list — checked and split into struct
 * load_opts at start-up.  Pure functions (no name lookup, no /proc), any
 * thread; err gets a message that names the bad value. */
#ifndef CP_LOAD_LOPTS_H
#define CP_LOAD_LOPTS_H

#include <stddef.h>

#include "load.h"

/* ws://HOST[:PORT][/PATH], http://HOST[:PORT][/PATH] (SSE) or
 * socketio://HOST[:PORT][/PATH]: sets transport, host, port (80 if none)
 * and path (/ws, /events or /socket.io/ if none); leaves dst alone.  Returns CP_OK or CP_EINVAL
 * (unknown scheme, empty or long host, a port that is not 1..65535 in digits alone). */
int lopts_url(struct load_opts *o, const char *url, char *err, size_t errlen);

/* A comma list of one or more valid symbols into o->symbols; CP_EINVAL for
 * an empty list, an empty item, a bad symbol or more than LOAD_SYMBOLS_MAX
 * (o is then unchanged). */
int lopts_symbols(struct load_opts *o, const char *list, char *err, size_t errlen);

/* A comma list of process ids (each 1..INT_MAX in digits).  Returns how
 * many, or CP_EINVAL. */
int lopts_pids(const char *list, char *err, size_t errlen);

#endif
