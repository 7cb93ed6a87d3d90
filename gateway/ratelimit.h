/* ratelimit: a token bucket per client (MAX_MESSAGES_PER_SECOND), the same
 * algorithm as Redis' and nginx's limiters: tokens refill continuously up to
 * one second's worth.  Pure arithmetic on the caller's clock; embedded by
 * value in each connection, nothing to free. */
#ifndef CP_RATELIMIT_H
#define CP_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
    double tokens;     /* messages that may be sent now */
    int64_t last_ms;   /* time of the last refill, ms */
    unsigned rejected; /* messages refused since the last accepted one */
};

/* Start full: a new client may send rate messages at once. */
void ratelimit_init(struct ratelimit *rl, int rate, int64_t now_ms);

/* Take one token at now_ms for a limit of rate messages per second.  Returns
 * true if the message may be handled; false if it must be refused, counting
 * it in rl->rejected (reset by the next accepted message). */
bool ratelimit_take(struct ratelimit *rl, int rate, int64_t now_ms);

#endif
