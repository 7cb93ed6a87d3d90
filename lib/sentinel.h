/* sentinel: where Redis is — the master named REDIS_MASTER_NAME as Redis
 * Sentinel reports it when REDIS_SENTINELS is set, else REDIS_HOST:PORT.
 * Blocking (hiredis' sync API, each Sentinel bounded by REDIS_TIMEOUT_MS);
 * called before each (re)connect.  Nothing to free. */
#ifndef CP_SENTINEL_H
#define CP_SENTINEL_H

#include <stddef.h>

#include "conf.h"

/* Write the address to connect to into host (hostlen bytes) and *port.
 * With Sentinels, asks each in turn (SENTINEL get-master-addr-by-name) and
 * returns the first answer; returns CP_EIO (host/port untouched) when none
 * answers, so the caller retries later.  Without Sentinels returns
 * REDIS_HOST:REDIS_PORT and 0. */
int sentinel_redis_addr(const struct cp_conf *conf, char *host, size_t hostlen, int *port);

#endif
