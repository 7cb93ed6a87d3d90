/* outage: the log of one dependency's reachability (Redis at host:port) —
 * a warning when it stops answering, a reminder every OUTAGE_REMIND_MS while
 * it stays away, a line at info when it answers again, never one per retry.
 * A plain struct in the caller's memory (zeroed = never tried); any loop. */
#ifndef CP_OUTAGE_H
#define CP_OUTAGE_H

#include <stdbool.h>
#include <stdint.h>

#define OUTAGE_REMIND_MS 60000 /* while down, repeat the warning this often */

struct outage {
    bool down;             /* the last attempt failed */
    bool ever_up;          /* some attempt succeeded */
    int64_t down_since_ms; /* monotonic ms of the first failure of this outage */
    int64_t said_ms;       /* monotonic ms of the last warning */
    unsigned attempts;     /* failed attempts in this outage */
};

/* Monotonic milliseconds, for the now_ms arguments. */
int64_t outage_clock_ms(void);

/* An attempt at what ("redis 127.0.0.1:6379", borrowed) failed for why at
 * now_ms: warns on the first failure (at start or after being up) and every
 * OUTAGE_REMIND_MS after; otherwise silent.  Returns true when it logged. */
bool outage_fail(struct outage *o, const char *what, const char *why, int64_t now_ms);

/* what answered at now_ms: "connected" at info the first time, "reachable
 * again after N s" at info after an outage, else silent.  Returns true when
 * it logged. */
bool outage_ok(struct outage *o, const char *what, int64_t now_ms);

#endif
