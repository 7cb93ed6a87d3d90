/* summary: what the load tool prints — the progress line on a terminal
 * during the run, and at the end the verdict, the table (unless quiet) and
 * the one JSON line (cryptopulse-load(1) lists its fields).  Also the
 * server samples the parent takes around the sustain phase, which the
 * summary reports.  Parent only, one thread; plain values, nothing to free. */
#ifndef CP_LOAD_SUMMARY_H
#define CP_LOAD_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "load.h"
#include "procstat.h"

/* What the parent measured around the workers. */
struct summary_run {
    struct procstat p_start, p_sus_start, p_sus_end, p_end;
    int64_t rss_peak_kb;
    int64_t sus_start_wall, sus_end_wall; /* wall clock, ms */
    bool have_sus_start, have_sus_end;
};

/* How the run was asked for, as printed: the URL and --subscribe text. */
struct summary_args {
    const struct load_opts *o;
    const char *url, *sub;
    bool quiet; /* the JSON line alone */
};

/* At t_ms after the start: take the server samples at the start and the
 * end of the sustain phase (of the last phase when there is none), once
 * each. */
void summary_sample(struct summary_run *run, const struct load_opts *o, int64_t t_ms);

/* The progress line (phase, time, open clients of the target, failures,
 * messages since the last line, p99) to out, over the line before;
 * *last_msgs carries the message count from line to line. */
void summary_progress(FILE *out, const struct load_opts *o, const struct load_report *m,
                      int64_t t_ms, uint64_t *last_msgs);

/* Decide the verdict on m (the merged reports) and print the table (unless
 * a->quiet) and the JSON line to out.  Returns the exit status: 0 when
 * every criterion holds, 1 when one fails. */
int summary_print(FILE *out, const struct summary_args *a, const struct load_report *m,
                  const struct summary_run *run);

#endif
