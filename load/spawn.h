/* spawn: the load tool's worker processes — fork them, each with a pipe to
 * the parent, read their reports until they end, and stop them when the
 * parent is stopped (SIGTERM, SIGINT) or dies, or the run overruns.  The
 * parent's one thread; spawn_start() / spawn_free(); a worker process runs
 * the body it is given and never returns here. */
#ifndef CP_LOAD_SPAWN_H
#define CP_LOAD_SPAWN_H

#include <stdint.h>

#include "load.h"
#include "reports.h"

/* The work of worker index: writes its reports to fd, returns its exit
 * status (load_worker_run). */
typedef int (*spawn_body)(const struct load_opts *o, int index, int fd, int64_t start_mono_ms);

struct spawn;

/* Have SIGTERM, and SIGINT unless it is ignored (a background job), noted
 * for spawn_stop_signal() instead of killing the parent; no SA_RESTART. */
void spawn_catch_stop_signals(void);

/* The stop signal received since spawn_catch_stop_signals(), or 0. */
int spawn_stop_signal(void);

/* Fork o->workers workers (fewer if a stop signal comes first), each
 * running body(o, index, pipe, start_mono_ms) and exiting with its status;
 * a worker gets SIGTERM when the parent dies.  Exits the process with 1 if
 * pipe() or fork() fails. */
struct spawn *spawn_start(const struct load_opts *o, int64_t start_mono_ms, spawn_body body);

/* Read the workers' pipes into r until each has closed its pipe, a stop
 * signal came, or load_mono_ms() reaches deadline_mono_ms; after each
 * poll (at most 100 ms apart) calls each(ctx, now_mono_ms) if not NULL.
 * Then sends SIGTERM (stopped) or SIGKILL (deadline) to the workers still
 * writing, and reaps every worker. */
void spawn_collect(struct spawn *s, struct reports *r, int64_t deadline_mono_ms,
                   void (*each)(void *ctx, int64_t now_mono_ms), void *ctx);

/* spawn_free(NULL) is a no-op; call after spawn_collect(). */
void spawn_free(struct spawn *s);

#endif
