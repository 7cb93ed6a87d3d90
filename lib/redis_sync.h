/* redis_sync: a blocking (hiredis sync API) connection to Redis, set up the
 * way every CryptoPulse program sets one up: REDIS_TIMEOUT_MS to connect and
 * for each answer, AUTH with REDIS_PASSWORD, SELECT REDIS_DB.  Used by the
 * feeder's store, the FastCGI probe and the gateway's start-up read; the
 * caller owns the context and frees it with redisFree(). */
#ifndef CP_REDIS_SYNC_H
#define CP_REDIS_SYNC_H

#include <stddef.h>

#include "conf.h"

struct redisContext;

/* Connect to host:port and run AUTH (when conf->redis_password is set) and
 * SELECT (when conf->redis_db is not 0), or else PING, each bounded by
 * conf->redis_timeout_ms.  Returns the context, or NULL with the step that
 * failed in *step ("connect", "set timeout", "AUTH", "SELECT", "PING"; a
 * static string) and why in why (whylen bytes: hiredis' error, Redis' error
 * reply such as "WRONGPASS ..." or "NOAUTH ...", or "no answer within
 * REDIS_TIMEOUT_MS (N ms)"), the context already freed. */
struct redisContext *redis_sync_open(const struct cp_conf *conf, const char *host, int port,
                                     const char **step, char *why, size_t whylen);

/* One GET of key (the full key name, prefix included) on a connection opened
 * with redis_sync_open() to REDIS_HOST:REDIS_PORT and closed again: up to
 * REDIS_TIMEOUT_MS for the connect and again for each command (AUTH, SELECT
 * or PING, then GET).  Returns the value (caller frees; all its bytes, then a
 * NUL), or NULL when the key has no string value or Redis cannot be reached
 * or set up (logged at debug level: callers use it where a later read brings
 * the value anyway). */
char *redis_sync_get(const struct cp_conf *conf, const char *key);

#endif
