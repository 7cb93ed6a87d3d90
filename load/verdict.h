/* verdict: the load tool's success criteria — the share of clients that
 * connected, the share of errors, the latency bounds — decided from the
 * merged counts of every worker.  Pure functions on plain values, any
 * thread, nothing to free. */
#ifndef CP_LOAD_VERDICT_H
#define CP_LOAD_VERDICT_H

#include <stdint.h>

/* What the run measured. */
struct verdict_in {
    int64_t wanted; /* clients the plan asked to hold at its peak */
    uint64_t attempted, connected, errors;
    uint64_t latency_samples; /* prices measured */
    double avg_ms, p99_ms;    /* fan-out latency */
};

/* The bounds, each inclusive: connected % >= min_connected_pct, errors %
 * <= max_error_pct, average <= max_avg_ms, p99 <= max_p99_ms (0 skips p99). */
struct verdict_limits {
    double min_connected_pct, max_error_pct, max_avg_ms, max_p99_ms;
};

enum verdict_failure {
    VERDICT_CONNECTED = 1 << 0,
    VERDICT_AVG_LATENCY = 1 << 1,
    VERDICT_P99_LATENCY = 1 << 2,
    VERDICT_ERRORS = 1 << 3,
};

/* The clients connected_pct is relative to: those the plan wanted, or more
 * when more were attempted (a slot reopened), so that clients the tool
 * never got round to opening count as not connected. */
uint64_t verdict_base(const struct verdict_in *in);

/* connected as a percentage of verdict_base(); 0 when the base is 0. */
double verdict_connected_pct(const struct verdict_in *in);

/* errors as a percentage of the clients attempted; 100 when none was. */
double verdict_error_pct(const struct verdict_in *in);

/* The criteria that fail, as a mask of enum verdict_failure; 0 is a pass.
 * A run without a single latency sample fails the average. */
unsigned verdict_check(const struct verdict_in *in, const struct verdict_limits *lim);

#endif
