/* procstat: the server's resident memory and CPU time as /proc/PID/stat
 * shows them, summed over a comma list of pids (the gateway's supervisor
 * and workers).  The load tool's parent reads them around the run; any
 * thread, plain values, nothing to free. */
#ifndef CP_LOAD_PROCSTAT_H
#define CP_LOAD_PROCSTAT_H

#include <stdint.h>

struct procstat {
    int64_t rss_kb;    /* resident set, KiB, summed */
    int64_t cpu_ticks; /* utime + stime, clock ticks (sysconf(_SC_CLK_TCK)), summed */
    int64_t mono_ms;   /* when sampled, load_mono_ms() */
    int ok;            /* pids read; 0 when none could be */
};

/* Sample every pid of pids ("123,456", checked by lopts_pids; "" for none).
 * A pid /proc does not know is left out of the sums and of ok. */
struct procstat procstat_sample(const char *pids);

/* Warn on stderr about each pid of pids that /proc does not know: it is
 * not measured. */
void procstat_warn_missing(const char *pids);

/* CPU use between samples a and b (b later) in % of one core; 0 when no
 * time passed. */
double procstat_cpu_pct(struct procstat a, struct procstat b);

#endif
