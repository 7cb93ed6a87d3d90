#include "config.h"

#include "verdict.h"

uint64_t verdict_base(const struct verdict_in *in)
{
    uint64_t wanted = in->wanted > 0 ? (uint64_t)in->wanted : 0;
    return in->attempted > wanted ? in->attempted : wanted;
}

double verdict_connected_pct(const struct verdict_in *in)
{
    uint64_t base = verdict_base(in);
    return base ? 100.0 * (double)in->connected / (double)base : 0.0;
}

double verdict_error_pct(const struct verdict_in *in)
{
    return in->attempted ? 100.0 * (double)in->errors / (double)in->attempted : 100.0;
}

unsigned verdict_check(const struct verdict_in *in, const struct verdict_limits *lim)
{
    unsigned failed = 0;
    if (!(verdict_connected_pct(in) >= lim->min_connected_pct))
        failed |= VERDICT_CONNECTED;
    if (in->latency_samples == 0 || !(in->avg_ms <= lim->max_avg_ms))
        failed |= VERDICT_AVG_LATENCY;
    if (lim->max_p99_ms > 0 && !(in->p99_ms <= lim->max_p99_ms))
        failed |= VERDICT_P99_LATENCY;
    if (!(verdict_error_pct(in) <= lim->max_error_pct))
        failed |= VERDICT_ERRORS;
    return failed;
}
