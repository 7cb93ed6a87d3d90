#include "config.h"

#include "lstats.h"

#include <string.h>

void lstats_hist_init(struct lstats_hist *h)
{
    memset(h, 0, sizeof *h);
}

int lstats_bucket_of(uint64_t value)
{
    if (value < LSTATS_EXACT)
        return (int)value;
    int e = 63 - __builtin_clzll(value); /* 2^e <= value, e >= 7 */
    if (e > LSTATS_MAX_SHIFT)
        return LSTATS_BUCKETS - 1;
    int shift = e - 6; /* keep the top 7 bits: 64..127 */
    return LSTATS_EXACT + (e - 7) * LSTATS_SUB + (int)((value >> shift) - LSTATS_SUB);
}

uint64_t lstats_bucket_low(int index)
{
    if (index < LSTATS_EXACT)
        return (uint64_t)index;
    int e = 7 + (index - LSTATS_EXACT) / LSTATS_SUB;
    uint64_t m = LSTATS_SUB + (uint64_t)((index - LSTATS_EXACT) % LSTATS_SUB);
    return m << (e - 6);
}

uint64_t lstats_bucket_high(int index)
{
    if (index < LSTATS_EXACT)
        return (uint64_t)index;
    return lstats_bucket_low(index + 1) - 1;
}

void lstats_hist_add(struct lstats_hist *h, uint64_t value)
{
    if (h->count == 0 || value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
    h->count++;
    h->sum += value;
    h->bucket[lstats_bucket_of(value)]++;
}

void lstats_hist_merge(struct lstats_hist *dst, const struct lstats_hist *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0 || src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->count += src->count;
    dst->sum += src->sum;
    for (int i = 0; i < LSTATS_BUCKETS; i++)
        dst->bucket[i] += src->bucket[i];
}

uint64_t lstats_hist_percentile(const struct lstats_hist *h, double p)
{
    if (h->count == 0)
        return 0;
    /* Nearest rank: the smallest sample with at least p % of samples <= it. */
    uint64_t rank = (uint64_t)(p / 100.0 * (double)h->count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > h->count)
        rank = h->count;
    uint64_t seen = 0;
    for (int i = 0; i < LSTATS_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen < rank)
            continue;
        uint64_t v = (lstats_bucket_low(i) + lstats_bucket_high(i)) / 2;
        return v < h->min ? h->min : v > h->max ? h->max : v;
    }
    return h->max;
}

double lstats_hist_mean(const struct lstats_hist *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}
