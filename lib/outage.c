/* outage: one warning per change of a dependency's reachability; see
 * outage.h. */
#include "config.h"

#include "outage.h"

#include "log.h"

#include <time.h>

int64_t outage_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool outage_fail(struct outage *o, const char *what, const char *why, int64_t now_ms)
{
    if (!o->down) {
        *o = (struct outage){.down = true,
                             .ever_up = o->ever_up,
                             .down_since_ms = now_ms,
                             .said_ms = now_ms,
                             .attempts = 1};
        log_warn("%s: %s; unreachable, retrying (reminder every %d s while down)", what, why,
                 OUTAGE_REMIND_MS / 1000);
        return true;
    }
    o->attempts++;
    if (now_ms - o->said_ms < OUTAGE_REMIND_MS)
        return false;
    o->said_ms = now_ms;
    log_warn("%s: %s; still unreachable after %lld s (%u attempts)", what, why,
             (long long)((now_ms - o->down_since_ms) / 1000), o->attempts);
    return true;
}

bool outage_ok(struct outage *o, const char *what, int64_t now_ms)
{
    bool was_down = o->down, first = !o->ever_up;
    int64_t down_ms = now_ms - o->down_since_ms;
    unsigned attempts = o->attempts;
    *o = (struct outage){.ever_up = true};
    if (was_down)
        log_info("%s connected, reachable again after %lld.%01lld s down (%u failed attempts)",
                 what, (long long)(down_ms / 1000), (long long)(down_ms % 1000 / 100), attempts);
    else if (first)
        log_info("%s connected", what);
    return was_down || first;
}
