/* cluster: the supervisor of CLUSTER_ENABLED — forks N worker processes that
 * share the listening port (SO_REUSEPORT), restarts a worker that dies (with
 * backoff), and forwards SIGTERM/SIGINT (graceful drain) and SIGHUP (reload,
 * after reloading itself).
 * Runs in the parent process only, with no event loop; owns nothing a worker
 * sees. */
#ifndef CP_CLUSTER_H
#define CP_CLUSTER_H

/* Body of one worker process: index is 0..n-1.  Returns its exit status. */
typedef int (*cluster_worker_fn)(int index, void *arg);

/* The supervisor's part of SIGHUP: read and apply the settings again.
 * Returns 0 when they are good (the workers then get SIGHUP too), else
 * nonzero (after logging why; the workers are left alone). */
typedef int (*cluster_reload_fn)(void *arg);

/* Run n workers until SIGTERM or SIGINT, then stop them: each gets SIGTERM,
 * and one still running after drain_ms gets SIGKILL.  A worker that exits on
 * its own is started again after a delay that doubles (100 ms up to 10 s)
 * while it keeps dying within 5 s of starting.  On SIGHUP, reload(arg) (if
 * not NULL) runs in the supervisor, then the workers get SIGHUP if it
 * returned 0.  Workers start (fork, no exec) from the supervisor's memory as
 * it is then, with the signal mask the caller had: a caller that blocks
 * SIGHUP before, as the gateway does, has workers that hold a SIGHUP sent
 * before their handler is in place instead of dying of it; the worker
 * unblocks it once its handler is installed.  Returns 0 after a clean stop. */
int cluster_run(int n, int drain_ms, cluster_worker_fn fn, cluster_reload_fn reload, void *arg);

/* The default worker count: the number of cores, raised until workers ×
 * (the per-process file limit - 100) can hold max_total connections. */
int cluster_default_workers(long max_total);

#endif
