/* phase: the Artillery-like schedule of the load tool — warm-up, ramp,
 * spike, sustain, cool-down — as the number of open clients wanted at each
 * moment.  Plain values, any thread, nothing to free. */
#ifndef CP_LOAD_PHASE_H
#define CP_LOAD_PHASE_H

#include <stdint.h>

enum phase_kind { PHASE_LINEAR, PHASE_JUMP };

struct phase {
    const char *name; /* static text: "warm-up", "ramp", ... */
    int64_t duration_ms;
    int64_t target; /* clients open at the end (LINEAR) or throughout (JUMP) */
    enum phase_kind kind;
};

#define PHASE_MAX 5

struct phase_plan {
    struct phase phase[PHASE_MAX];
    int n;
    int64_t total_ms;
    int64_t peak; /* highest target of any phase */
};

/* Durations in ms (0 leaves a phase out); targets in clients.  Warm-up goes
 * linearly from 0 to warm_n, ramp from there to n, spike jumps to spike_n,
 * sustain jumps back to n and holds, cool-down goes linearly to 0. */
void phase_plan_build(struct phase_plan *p, int64_t n, int64_t warm_ms, int64_t warm_n,
                      int64_t ramp_ms, int64_t spike_ms, int64_t spike_n, int64_t sustain_ms,
                      int64_t cool_ms);

/* Clients wanted t_ms after the start; *index gets the phase (p->n once the
 * plan is over, when the target is 0). */
int64_t phase_target(const struct phase_plan *p, int64_t t_ms, int *index);

/* Start of phase index, ms after the start of the plan. */
int64_t phase_start(const struct phase_plan *p, int index);

/* Index of the phase called name, or -1. */
int phase_find(const struct phase_plan *p, const char *name);

#endif
