/* store_private: what store.c and store_candles.c share — the connection
 * state and the failure path.  Only those two files include it; main loop
 * only. */
#ifndef CP_STORE_PRIVATE_H
#define CP_STORE_PRIVATE_H

#include "candles.h"
#include "conf.h"
#include "outage.h"

#include <hiredis/hiredis.h>
#include <stdint.h>

struct store {
    const struct cp_conf *conf;
    redisContext *c;              /* NULL while disconnected */
    int64_t retry_at;             /* monotonic ms of the next connect attempt */
    int backoff_ms;               /* wait after the next failure */
    char addr[CONF_STR_MAX + 16]; /* "host:port" last tried, as Sentinel resolved it */
    struct outage outage;         /* for the log: one warning per outage */
};

/* Close the connection after a failure of what (why: the reason) and
 * schedule the next attempt with backoff; logged once per outage. */
void store_fail(struct store *s, const char *what, const char *why);

/* Retention of iv's candles in ms (CANDLE_RETENTION_*_DAYS). */
int64_t store_retention_ms(const struct store *s, enum candles_interval iv);

#endif
