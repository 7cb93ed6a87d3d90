/* tickid: tick ids of docs/PROTOCOL.md §4 as Redis stream ids "<ms>-<seq>", which
 * sort in time order across restarts.  Pure functions, any thread; values
 * only, nothing to free. */
#ifndef CP_TICKID_H
#define CP_TICKID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tickid {
    int64_t ms; /* ms since the Unix epoch */
    uint64_t seq;
};

/* The id of the next tick at wall-clock now_ms: {now_ms, 0} when now_ms is
 * after last.ms, else {last.ms, last.seq + 1}, so ids always increase even
 * when the clock steps back. */
struct tickid tickid_next(struct tickid last, int64_t now_ms);

/* Write "<ms>-<seq>" into buf of len bytes.  Returns the length, or
 * CP_ETOOBIG when it does not fit. */
int tickid_format(struct tickid id, char *buf, size_t len);

/* Parse "<ms>-<seq>" (as XREVRANGE returns it): decimal digits only, with
 * no sign, space or leading zero, so that each id has one spelling.
 * Returns 0 or CP_EINVAL. */
int tickid_parse(const char *text, struct tickid *out);

/* True when a sorts after b as Redis orders stream ids: by ms, then by seq
 * (both as numbers); an id is not after itself. */
bool tickid_after(struct tickid a, struct tickid b);

#endif
