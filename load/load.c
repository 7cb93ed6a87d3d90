/* load: what the load tool's parent, its workers and their clients share
 * beside the types of load.h — the names of the causes of errors and the
 * clocks.  Any process, any thread; nothing to free. */
#include "config.h"

#include "load.h"

#include <time.h>

const char *const load_cause_names[CAUSE_MAX] = {
    "refused", "no_address", "no_fd",       "connect",  "timeout",     "http_status", "handshake",
    "eof",     "reset",      "close_frame", "protocol", "error_event", "unfinished",
};

int64_t load_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t load_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
