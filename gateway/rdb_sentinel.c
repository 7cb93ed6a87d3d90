#include "config.h"

#include "rdb_sentinel.h"

#include "log.h"
#include "strlist.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>

/* The i-th host:port of the comma list.  Returns false past the end or at
 * an entry that is not host:port. */
static bool sentinel_entry(const char *list, int i, char *host, size_t len, int *port)
{
    const char *item;
    size_t n;
    while (strlist_next(&list, &item, &n))
        if (i-- == 0)
            return strlist_hostport(item, n, host, len, port);
    return false;
}

static void on_master(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb_link *link = privdata;
    redisReply *r = reply;
    if (!r || link->sentinel_ac != ac)
        return; /* the Sentinel was given up on (timeout, shutdown) */
    evtimer_del(link->connect_timeout);
    link->sentinel_ac = NULL;
    redisAsyncDisconnect(ac); /* after this callback returns */
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING) {
        log_debug("redis %s: Sentinel says the master is %s:%s", link->name, r->element[0]->str,
                  r->element[1]->str);
        rdb_link_connect_to(link, r->element[0]->str, atoi(r->element[1]->str));
        return;
    }
    link->sentinel++;
    rdb_sentinel_ask(link);
}

static void on_sentinel_connect(const redisAsyncContext *ac, int status)
{
    struct rdb_link *link = ac->data;
    if (status == REDIS_OK || link->sentinel_ac != ac)
        return;
    /* hiredis frees ac after this returns; its reply callback gets NULL. */
    evtimer_del(link->connect_timeout);
    link->sentinel_ac = NULL;
    link->sentinel++;
    rdb_sentinel_ask(link);
}

static void on_sentinel_disconnect(const redisAsyncContext *ac, int status)
{
    struct rdb_link *link = ac->data;
    if (link->sentinel_ac == ac)
        link->sentinel_ac = NULL;
}

void rdb_sentinel_ask(struct rdb_link *link)
{
    const struct cp_conf *conf = link->conf;
    char host[CONF_STR_MAX];
    int port;
    if (!sentinel_entry(conf->redis_sentinels, link->sentinel, host, sizeof host, &port)) {
        snprintf(link->what, sizeof link->what, "redis master %.64s via Sentinels %.128s",
                 conf->redis_master_name, conf->redis_sentinels);
        outage_fail(link->outage, link->what, "no Sentinel named the master", outage_clock_ms());
        rdb_link_retry(link);
        return;
    }
    redisAsyncContext *ac = redisAsyncConnect(host, port);
    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        link->sentinel++;
        rdb_sentinel_ask(link);
        return;
    }
    ac->data = link;
    link->sentinel_ac = ac;
    redisLibeventAttach(ac, link->base);
    redisAsyncSetConnectCallback(ac, on_sentinel_connect);
    redisAsyncSetDisconnectCallback(ac, on_sentinel_disconnect);
    redisAsyncCommand(ac, on_master, link, "SENTINEL get-master-addr-by-name %s",
                      conf->redis_master_name);
    struct timeval tv = strlist_timeval_ms(conf->redis_timeout_ms);
    evtimer_add(link->connect_timeout, &tv);
}

bool rdb_sentinel_timed_out(struct rdb_link *link)
{
    if (!link->sentinel_ac)
        return false;
    /* A Sentinel that does not answer: ask the next. */
    redisAsyncContext *sac = link->sentinel_ac;
    link->sentinel_ac = NULL;
    redisAsyncFree(sac); /* its pending reply callback gets NULL and ignores it */
    link->sentinel++;
    rdb_sentinel_ask(link);
    return true;
}

void rdb_sentinel_cancel(struct rdb_link *link)
{
    if (!link->sentinel_ac)
        return;
    redisAsyncContext *sac = link->sentinel_ac;
    link->sentinel_ac = NULL;
    sac->onDisconnect = NULL;
    redisAsyncFree(sac);
}
