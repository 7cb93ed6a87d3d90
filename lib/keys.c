#include "config.h"

#include "keys.h"

#include "cp_error.h"

#include <stdbool.h>
#include <stdio.h>

int keys_format(char *buf, size_t len, const char *prefix, enum keys_kind kind, const char *symbol)
{
    static const char *const names[] = {
        [KEYS_PRICE] = "price:",      [KEYS_HISTORY] = "history",
        [KEYS_CHANNEL] = "ticks",     [KEYS_HEARTBEAT] = "feeder:heartbeat",
        [KEYS_SYMBOLS] = "symbols",   [KEYS_STATS] = "stats:",
        [KEYS_STATS_INDEX] = "stats", [KEYS_SOURCES] = "feeder:sources",
        [KEYS_CANDLES] = "candles:",
    };
    bool suffixed = kind == KEYS_PRICE || kind == KEYS_STATS || kind == KEYS_CANDLES;
    int n = snprintf(buf, len, "%s%s%s", prefix, names[kind], suffixed && symbol ? symbol : "");
    return n < 0 || (size_t)n >= len ? CP_ETOOBIG : n;
}
