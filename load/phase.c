#include "config.h"

#include "phase.h"

#include <string.h>

static void add(struct phase_plan *p, const char *name, int64_t ms, int64_t target,
                enum phase_kind kind)
{
    if (ms <= 0)
        return;
    p->phase[p->n++] = (struct phase){name, ms, target, kind};
    p->total_ms += ms;
    if (target > p->peak)
        p->peak = target;
}

void phase_plan_build(struct phase_plan *p, int64_t n, int64_t warm_ms, int64_t warm_n,
                      int64_t ramp_ms, int64_t spike_ms, int64_t spike_n, int64_t sustain_ms,
                      int64_t cool_ms)
{
    memset(p, 0, sizeof *p);
    add(p, "warm-up", warm_ms, warm_n, PHASE_LINEAR);
    add(p, "ramp", ramp_ms, n, PHASE_LINEAR);
    add(p, "spike", spike_ms, spike_n, PHASE_JUMP);
    add(p, "sustain", sustain_ms, n, PHASE_JUMP);
    add(p, "cool-down", cool_ms, 0, PHASE_LINEAR);
}

int64_t phase_target(const struct phase_plan *p, int64_t t_ms, int *index)
{
    int64_t start = 0, from = 0;
    for (int i = 0; i < p->n; i++) {
        const struct phase *ph = &p->phase[i];
        if (t_ms < start + ph->duration_ms) {
            *index = i;
            if (ph->kind == PHASE_JUMP)
                return ph->target;
            /* Reach the target at the end of the phase, rounding up so that
             * the last client opens within it. */
            int64_t done = t_ms - start;
            return from + ((ph->target - from) * done + ph->duration_ms - 1) / ph->duration_ms;
        }
        start += ph->duration_ms;
        from = ph->target;
    }
    *index = p->n;
    return 0;
}

int64_t phase_start(const struct phase_plan *p, int index)
{
    int64_t start = 0;
    for (int i = 0; i < index && i < p->n; i++)
        start += p->phase[i].duration_ms;
    return start;
}

int phase_find(const struct phase_plan *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->phase[i].name, name) == 0)
            return i;
    return -1;
}
