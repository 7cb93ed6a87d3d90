#include "config.h"

#include "redis_sync.h"

#include "log.h"
#include "strlist.h"
#include "xalloc.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Run one set-up command: true on any reply but an error one; false with the
 * reason in why (a read that timed out, which hiredis reports as EAGAIN's
 * "Resource temporarily unavailable", in the settings' words). */
static bool setup_command(redisContext *c, int timeout_ms, char *why, size_t whylen,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r && c->err == REDIS_ERR_IO && strcmp(c->errstr, strerror(EAGAIN)) == 0) {
        snprintf(why, whylen, "no answer within REDIS_TIMEOUT_MS (%d ms)", timeout_ms);
        return false;
    }
    if (!r) {
        snprintf(why, whylen, "%s", c->errstr[0] ? c->errstr : "connection lost");
        return false;
    }
    bool ok = r->type != REDIS_REPLY_ERROR;
    if (!ok)
        snprintf(why, whylen, "%.*s", (int)r->len, r->str);
    freeReplyObject(r);
    return ok;
}

redisContext *redis_sync_open(const struct cp_conf *conf, const char *host, int port,
                              const char **step, char *why, size_t whylen)
{
    struct timeval tv = strlist_timeval_ms(conf->redis_timeout_ms);
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c || c->err) {
        *step = "connect";
        snprintf(why, whylen, "%s", c ? c->errstr : "out of memory");
    } else if (redisSetTimeout(c, tv) != REDIS_OK) {
        *step = "set timeout";
        snprintf(why, whylen, "%s", c->errstr[0] ? c->errstr : strerror(errno));
    } else if (conf->redis_password[0] && !setup_command(c, conf->redis_timeout_ms, why, whylen,
                                                         "AUTH %s", conf->redis_password)) {
        *step = "AUTH";
    } else if (conf->redis_db && !setup_command(c, conf->redis_timeout_ms, why, whylen, "SELECT %d",
                                                conf->redis_db)) {
        *step = "SELECT";
    } else if (!conf->redis_password[0] && !conf->redis_db &&
               !setup_command(c, conf->redis_timeout_ms, why, whylen, "PING")) {
        /* Nothing else asked yet: a server that is not Redis, or one that
         * wants a password we lack (NOAUTH), is found here, not by the
         * caller's first command. */
        *step = "PING";
    } else {
        return c;
    }
    redisFree(c);
    return NULL;
}

char *redis_sync_get(const struct cp_conf *conf, const char *key)
{
    const char *step;
    char why[256];
    redisContext *c =
        redis_sync_open(conf, conf->redis_host, conf->redis_port, &step, why, sizeof why);
    if (!c) {
        log_debug("redis %s:%d: %s: %s", conf->redis_host, conf->redis_port, step, why);
        return NULL;
    }
    redisReply *r = redisCommand(c, "GET %s", key);
    char *value = NULL;
    if (r && r->type == REDIS_REPLY_STRING) { /* every byte, and hiredis' NUL after them */
        value = xmalloc(r->len + 1);
        memcpy(value, r->str, r->len + 1);
    }
    freeReplyObject(r);
    redisFree(c);
    return value;
}
