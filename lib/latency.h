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
#define LATENCY_BOUNDS                                                                             \
    {                                                                                              \
        1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000                                \
    }
#define LATENCY_BUCKETS 13

struct latency_hist {
    uint64_t buckets[LATENCY_BUCKETS + 1]; /* counts per bucket, not cumulative */
    uint64_t count;
    double sum_ms;
    double max_ms; /* the largest observation, 0 when there is none */
};

/* The bucket bounds, LATENCY_BUCKETS entries, ms. */
const double *latency_bounds(void);

/* Count one observation of ms (negative values, from clock skew, count as 0). */
void latency_observe(struct latency_hist *h, double ms);

/* An upper bound in ms of the q-quantile (0 < q <= 1), true for the data:
 * the upper bound of the bucket holding the nearest-rank observation (rank
 * ceil(q·count) over the cumulative buckets), or max_ms (the largest
 * observation) when that is lower, as it is in the +Inf bucket and whenever
 * the largest observation lies below its bucket's bound; so "p99 = 5" reads
 * "99 % of the observations took at most 5 ms", and no quantile exceeds
 * max_ms.  No interpolation: a value inside a bucket was never measured.
 * 0 when there are no observations. */
double latency_quantile(const struct latency_hist *h, double q);

#endif
