#include "config.h"

#include "latency.h"

#include <math.h>

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
    if (ms > h->max_ms)
        h->max_ms = ms;
}

/* Nearest rank: the ceil(q·count)-th smallest observation, 1-based.  The
 * slack absorbs q·count landing a hair above an integer (0.55 * 100 is
 * 55.00000000000001 in doubles), which would otherwise skip a rank. */
static uint64_t latency_rank(const struct latency_hist *h, double q)
{
    double r = ceil(q * (double)h->count - 1e-9);
    if (r < 1)
        return 1;
    return r > (double)h->count ? h->count : (uint64_t)r;
}

double latency_quantile(const struct latency_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = latency_rank(h, q), seen = 0;
    for (size_t i = 0; i < LATENCY_BUCKETS; i++) {
        seen += h->buckets[i];
        /* No observation is above max_ms: the tighter bound (the bucket's
         * when max_ms is not a number, as a merged null makes it). */
        if (seen >= rank)
            return h->max_ms < latency_bounds_ms[i] ? h->max_ms : latency_bounds_ms[i];
    }
    return h->max_ms;
}
