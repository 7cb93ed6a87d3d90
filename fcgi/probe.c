#include "config.h"

#include "probe.h"

#include "cp_error.h"
#include "keys.h"
#include "log.h"
#include "sentinel.h"
#include "xalloc.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct probe {
    const struct cp_conf *conf;
    redisContext *ctx;                /* NULL while disconnected */
    char version[HEALTH_VERSION_MAX]; /* of the current connection */
    char heartbeat_key[KEYS_MAX];
};

struct probe *probe_new(const struct cp_conf *conf)
{
    struct probe *pr = xcalloc(1, sizeof *pr);
    pr->conf = conf;
    if (keys_format(pr->heartbeat_key, sizeof pr->heartbeat_key, conf->redis_prefix, KEYS_HEARTBEAT,
                    NULL) < 0)
        abort(); /* conf limits REDIS_PREFIX so that every key fits in KEYS_MAX */
    return pr;
}

static void disconnect(struct probe *pr)
{
    if (pr->ctx)
        redisFree(pr->ctx);
    pr->ctx = NULL;
    pr->version[0] = '\0';
}

void probe_free(struct probe *pr)
{
    if (!pr)
        return;
    disconnect(pr);
    free(pr);
}

/* Run one command.  Returns the reply (caller frees), or NULL with the reason
 * in err: an error reply keeps the connection, a broken one is closed. */
static redisReply *command(struct probe *pr, char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(pr->ctx, fmt, ap);
    va_end(ap);
    if (!r) {
        snprintf(err, len, "%s", pr->ctx->errstr[0] ? pr->ctx->errstr : "connection lost");
        disconnect(pr);
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, len, "%.*s", (int)r->len, r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

/* INFO server holds "redis_version:7.0.15\r\n" among its lines. */
static void read_version(struct probe *pr)
{
    char err[HEALTH_ERROR_MAX];
    redisReply *r = command(pr, err, sizeof err, "INFO server");
    if (!r)
        return;
    const char *v = r->type == REDIS_REPLY_STRING ? strstr(r->str, "redis_version:") : NULL;
    if (v) {
        v += strlen("redis_version:");
        snprintf(pr->version, sizeof pr->version, "%.*s", (int)strcspn(v, "\r\n"), v);
    }
    freeReplyObject(r);
}

static bool setup(struct probe *pr, char *err, size_t len)
{
    const struct cp_conf *conf = pr->conf;
    redisReply *r;
    if (conf->redis_password[0]) {
        if (!(r = command(pr, err, len, "AUTH %s", conf->redis_password)))
            return false;
        freeReplyObject(r);
    }
    if (conf->redis_db != 0) {
        if (!(r = command(pr, err, len, "SELECT %d", conf->redis_db)))
            return false;
        freeReplyObject(r);
    }
    read_version(pr);
    return true;
}

static bool connect_redis(struct probe *pr, char *err, size_t len)
{
    const struct cp_conf *conf = pr->conf;
    struct timeval tv = {conf->redis_timeout_ms / 1000, conf->redis_timeout_ms % 1000 * 1000};
    char host[CONF_STR_MAX];
    int port;
    if (sentinel_redis_addr(conf, host, sizeof host, &port) != CP_OK) {
        snprintf(err, len, "no Sentinel of %.80s knows the master", conf->redis_sentinels);
        return false;
    }
    pr->ctx = redisConnectWithTimeout(host, port, tv);
    if (!pr->ctx || pr->ctx->err) {
        snprintf(err, len, "%.64s:%d: %.80s", host, port,
                 pr->ctx ? pr->ctx->errstr : "out of memory");
        disconnect(pr);
        return false;
    }
    if (redisSetTimeout(pr->ctx, tv) != REDIS_OK) {
        snprintf(err, len, "cannot set the Redis timeout: %s", strerror(errno));
        disconnect(pr);
        return false;
    }
    if (!setup(pr, err, len)) {
        disconnect(pr);
        return false;
    }
    log_debug("connected to Redis %s:%d (version %s)", conf->redis_host, conf->redis_port,
              pr->version[0] ? pr->version : "unknown");
    return true;
}

static double monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* PING on a live connection, reconnecting once if a reused one is broken. */
static bool ping(struct probe *pr, struct health_probe *out)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = pr->ctx != NULL;
        if (!reused && !connect_redis(pr, out->error, sizeof out->error))
            return false;
        double t0 = monotonic_ms();
        redisReply *r = command(pr, out->error, sizeof out->error, "PING");
        if (r) {
            out->latency_ms = monotonic_ms() - t0;
            freeReplyObject(r);
            return true;
        }
        if (pr->ctx) /* an error reply (e.g. LOADING): Redis is up but unusable */
            return false;
        if (!reused)
            return false;
        log_debug("Redis connection lost (%s); reconnecting", out->error);
    }
    return false;
}

static void read_heartbeat(struct probe *pr, struct health_probe *out)
{
    redisReply *r = command(pr, out->error, sizeof out->error, "GET %s", pr->heartbeat_key);
    if (!r)
        return;
    if (r->type == REDIS_REPLY_STRING) {
        char *end;
        errno = 0;
        long long v = strtoll(r->str, &end, 10);
        if (errno == 0 && end != r->str && *end == '\0' && v > 0) {
            out->heartbeat_found = true;
            out->heartbeat_ms = (int64_t)v;
        } else {
            snprintf(out->error, sizeof out->error, "%.100s does not hold a ms timestamp",
                     pr->heartbeat_key);
        }
    }
    freeReplyObject(r);
}

void probe_run(struct probe *pr, struct health_probe *out)
{
    memset(out, 0, sizeof *out);
    if (!ping(pr, out))
        return;
    out->connected = true;
    snprintf(out->version, sizeof out->version, "%s", pr->version);
    read_heartbeat(pr, out);
}
