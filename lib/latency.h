/* latency: a fixed-bucket histogram of fan-out latency in ms — the time from
 * a tick's ts (when the feeder made it) to the moment its message has been
 * written to every subscriber.  Plain value owned by whoever embeds it; one
 * event loop; nothing to free. */
#ifndef CP_LATENCY_H
#define CP_LATENCY_H

#include <stddef.h>
#include <stdint.h>

/* Upper bounds in ms of the buckets (Prometheus "le"); a last, implicit
 * bucket holds the rest (+Inf). */
#define LATENCY_BOUNDS {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}
#define LATENCY_BUCKETS 13

struct latency_hist {
    uint64_t buckets[LATENCY_BUCKETS + 1]; /* counts per bucket, not cumulative */
    uint64_t count;
    double sum_ms;
};

/* The bucket bounds, LATENCY_BUCKETS entries, ms. */
const double *latency_bounds(void);

/* Count one observation of ms (negative values, from clock skew, count as 0). */
void latency_observe(struct latency_hist *h, double ms);

/* The q-quantile (0 < q <= 1) in ms, interpolated linearly inside its bucket;
 * 0 when there are no observations; the last finite bound when it falls in
 * the +Inf bucket. */
double latency_quantile(const struct latency_hist *h, double q);

#endif
