/* lstats: the load tool's latency and connect-time histograms — log-linear
 * buckets (exact below 128, then 64 per power of two, about 1.6 % wide) so
 * that worker processes can merge them by adding counts.  Plain values: no
 * allocation, nothing to free; any thread.  A struct lstats_hist is sent as
 * bytes from a worker to the parent, so it holds no pointers. */
#ifndef CP_LOAD_LSTATS_H
#define CP_LOAD_LSTATS_H

#include <stdint.h>

#define LSTATS_EXACT 128 /* values below this have a bucket each */
#define LSTATS_SUB 64    /* buckets per power of two above it */
#define LSTATS_MAX_SHIFT 40
#define LSTATS_BUCKETS (LSTATS_EXACT + (LSTATS_MAX_SHIFT - 6) * LSTATS_SUB)

struct lstats_hist {
    uint64_t count;
    uint64_t sum;      /* of all values, for the mean */
    uint64_t min, max; /* exact */
    uint64_t bucket[LSTATS_BUCKETS];
};

/* Empty h. */
void lstats_hist_init(struct lstats_hist *h);

/* Record one value (any unit; the tool uses microseconds).  Values past the
 * last bucket are counted in it, with min/max/sum still exact. */
void lstats_hist_add(struct lstats_hist *h, uint64_t value);

/* Add every sample of src to dst. */
void lstats_hist_merge(struct lstats_hist *dst, const struct lstats_hist *src);

/* The p-th percentile (0 < p <= 100) by nearest rank: exact below
 * LSTATS_EXACT, else the middle of the sample's bucket, clamped to [min, max].
 * 0 when h is empty. */
uint64_t lstats_hist_percentile(const struct lstats_hist *h, double p);

/* Mean of the samples; 0 when empty. */
double lstats_hist_mean(const struct lstats_hist *h);

/* Bucket index of value, and the lowest and highest value of a bucket
 * (exposed for the tests). */
int lstats_bucket_of(uint64_t value);
uint64_t lstats_bucket_low(int index);
uint64_t lstats_bucket_high(int index);

#endif
