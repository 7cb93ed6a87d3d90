#include "config.h"

#include "sentinel.h"

#include "cp_error.h"
#include "log.h"
#include "strlist.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ask one Sentinel at host:port.  Returns 0 with the master's address. */
static int ask(const struct cp_conf *conf, const char *host, int port, char *out, size_t outlen,
               int *out_port)
{
    struct timeval tv = strlist_timeval_ms(conf->redis_timeout_ms);
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    int rc = CP_EIO;
    if (c && !c->err && redisSetTimeout(c, tv) == REDIS_OK) {
        redisReply *r =
            redisCommand(c, "SENTINEL get-master-addr-by-name %s", conf->redis_master_name);
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
            r->element[0]->type == REDIS_REPLY_STRING &&
            r->element[1]->type == REDIS_REPLY_STRING) {
            snprintf(out, outlen, "%s", r->element[0]->str);
            *out_port = atoi(r->element[1]->str);
            rc = CP_OK;
        }
        freeReplyObject(r);
    }
    if (rc != CP_OK)
        log_warn("Sentinel %s:%d: no master named %s (%s)", host, port, conf->redis_master_name,
                 c && c->err ? c->errstr : "no answer");
    redisFree(c);
    return rc;
}

int sentinel_redis_addr(const struct cp_conf *conf, char *host, size_t hostlen, int *port)
{
    if (!conf->redis_sentinels[0]) {
        snprintf(host, hostlen, "%s", conf->redis_host);
        *port = conf->redis_port;
        return CP_OK;
    }
    /* conf checked every entry (confval_addrs); the host of one longer
     * than CONF_STR_MAX cannot be a name, so it is skipped. */
    const char *list = conf->redis_sentinels, *entry;
    size_t len;
    while (strlist_next(&list, &entry, &len)) {
        char shost[CONF_STR_MAX];
        int sport;
        if (strlist_hostport(entry, len, shost, sizeof shost, &sport) &&
            ask(conf, shost, sport, host, hostlen, port) == CP_OK)
            return CP_OK;
    }
    return CP_EIO;
}
