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

static void ask_next(struct rdb_sentinel *s);

/* Give up on the Sentinel being asked (no answer, or not the master's
 * address) and ask the next one. */
static void skip(struct rdb_sentinel *s)
{
    s->index++;
    ask_next(s);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb_sentinel *s = privdata;
    redisReply *r = reply;
    if (!r || s->ac != ac)
        return; /* the Sentinel was given up on (timeout, shutdown) */
    evtimer_del(s->timeout);
    s->ac = NULL;
    redisAsyncDisconnect(ac); /* after this callback returns */
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING) {
        log_debug("redis %s: Sentinel says the master is %s:%s", s->name, r->element[0]->str,
                  r->element[1]->str);
        s->on_master(s->arg, r->element[0]->str, atoi(r->element[1]->str));
        return;
    }
    skip(s);
}

static void on_sentinel_connect(const redisAsyncContext *ac, int status)
{
    struct rdb_sentinel *s = ac->data;
    if (status == REDIS_OK || s->ac != ac)
        return;
    /* hiredis frees ac after this returns; its reply callback gets NULL. */
    evtimer_del(s->timeout);
    s->ac = NULL;
    skip(s);
}

static void on_sentinel_disconnect(const redisAsyncContext *ac, int status)
{
    struct rdb_sentinel *s = ac->data;
    if (s->ac == ac)
        s->ac = NULL;
}

/* A Sentinel that does not answer: ask the next.  Runs from a timer, so
 * freeing the context is safe. */
static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct rdb_sentinel *s = arg;
    redisAsyncContext *ac = s->ac;
    s->ac = NULL;
    if (ac)
        redisAsyncFree(ac); /* its pending reply callback gets NULL and ignores it */
    skip(s);
}

static void ask_next(struct rdb_sentinel *s)
{
    const struct cp_conf *conf = s->conf;
    char host[CONF_STR_MAX];
    int port;
    if (!sentinel_entry(conf->redis_sentinels, s->index, host, sizeof host, &port)) {
        s->on_none(s->arg);
        return;
    }
    redisAsyncContext *ac = redisAsyncConnect(host, port);
    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        skip(s);
        return;
    }
    ac->data = s;
    s->ac = ac;
    redisLibeventAttach(ac, s->base);
    redisAsyncSetConnectCallback(ac, on_sentinel_connect);
    redisAsyncSetDisconnectCallback(ac, on_sentinel_disconnect);
    redisAsyncCommand(ac, on_reply, s, "SENTINEL get-master-addr-by-name %s",
                      conf->redis_master_name);
    struct timeval tv = strlist_timeval_ms(conf->redis_timeout_ms);
    evtimer_add(s->timeout, &tv);
}

void rdb_sentinel_init(struct rdb_sentinel *s, struct event_base *base, const struct cp_conf *conf,
                       const char *name, void (*on_master)(void *arg, const char *host, int port),
                       void (*on_none)(void *arg), void *arg)
{
    *s = (struct rdb_sentinel){.base = base,
                               .conf = conf,
                               .name = name,
                               .on_master = on_master,
                               .on_none = on_none,
                               .arg = arg};
    s->timeout = evtimer_new(base, on_timeout, s);
}

void rdb_sentinel_ask(struct rdb_sentinel *s)
{
    s->index = 0;
    ask_next(s);
}

void rdb_sentinel_free(struct rdb_sentinel *s)
{
    if (s->ac) {
        redisAsyncContext *ac = s->ac;
        s->ac = NULL;
        ac->onDisconnect = NULL;
        redisAsyncFree(ac);
    }
    if (s->timeout)
        event_free(s->timeout);
    s->timeout = NULL;
}
