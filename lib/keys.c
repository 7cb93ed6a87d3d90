#include "config.h"

#include "keys.h"

#include "cp_error.h"

#include <stdio.h>

int keys_format(char *buf, size_t len, const char *prefix, enum keys_kind kind,
                const char *symbol)
{
    static const char *const names[] = {
        [KEYS_PRICE] = "price:",  [KEYS_HISTORY] = "history", [KEYS_CHANNEL] = "ticks",
        [KEYS_HEARTBEAT] = "feeder:heartbeat", [KEYS_SYMBOLS] = "symbols",
    };
    int n = snprintf(buf, len, "%s%s%s", prefix, names[kind],
                     kind == KEYS_PRICE && symbol ? symbol : "");
    return n < 0 || (size_t)n >= len ? CP_ETOOBIG : n;
}
