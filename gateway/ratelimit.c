#include "config.h"

#include "ratelimit.h"

void ratelimit_init(struct ratelimit *rl, int rate, int64_t now_ms)
{
    rl->tokens = rate;
    rl->last_ms = now_ms;
    rl->rejected = 0;
}

bool ratelimit_take(struct ratelimit *rl, int rate, int64_t now_ms)
{
    if (now_ms > rl->last_ms) {
        rl->tokens += (double)(now_ms - rl->last_ms) * rate / 1000.0;
        if (rl->tokens > rate)
            rl->tokens = rate;
        rl->last_ms = now_ms;
    }
    if (rl->tokens >= 1.0) {
        rl->tokens -= 1.0;
        rl->rejected = 0;
        return true;
    }
    rl->rejected++;
    return false;
}
