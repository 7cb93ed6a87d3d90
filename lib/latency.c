#include "config.h"

#include "latency.h"

static const double latency_bounds_ms[LATENCY_BUCKETS] = LATENCY_BOUNDS;

const double *latency_bounds(void)
{
    return latency_bounds_ms;
}

void latency_observe(struct latency_hist *h, double ms)
{
    if (ms < 0)
        ms = 0;
    size_t i = 0;
    while (i < LATENCY_BUCKETS && ms > latency_bounds_ms[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum_ms += ms;
}

double latency_quantile(const struct latency_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    double rank = q * (double)h->count, seen = 0;
    for (size_t i = 0; i <= LATENCY_BUCKETS; i++) {
        if (seen + (double)h->buckets[i] >= rank && h->buckets[i] > 0) {
            if (i == LATENCY_BUCKETS)
                return latency_bounds_ms[LATENCY_BUCKETS - 1];
            double lo = i ? latency_bounds_ms[i - 1] : 0, hi = latency_bounds_ms[i];
            return lo + (hi - lo) * (rank - seen) / (double)h->buckets[i];
        }
        seen += (double)h->buckets[i];
    }
    return latency_bounds_ms[LATENCY_BUCKETS - 1];
}
