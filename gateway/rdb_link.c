#include "config.h"

#include "rdb_link.h"

#include "log.h"
#include "strlist.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/hiredis.h>
#include <stdio.h>

#define RDB_BACKOFF_MIN_MS 100
#define RDB_BACKOFF_MAX_MS 5000

static void link_connect(struct rdb_link *link);

void rdb_link_retry(struct rdb_link *link)
{
    int cap = link->conf->update_interval_ms / 2;
    if (cap > RDB_BACKOFF_MAX_MS)
        cap = RDB_BACKOFF_MAX_MS;
    if (cap < RDB_BACKOFF_MIN_MS)
        cap = RDB_BACKOFF_MIN_MS;
    struct timeval tv = strlist_timeval_ms(link->backoff_ms < cap ? link->backoff_ms : cap);
    evtimer_add(link->retry, &tv);
    link->backoff_ms =
        link->backoff_ms * 2 > RDB_BACKOFF_MAX_MS ? RDB_BACKOFF_MAX_MS : link->backoff_ms * 2;
}

/* hiredis frees the context after these callbacks return: only drop our
 * pointer here, never free it. */
static void lost(struct rdb_link *link, const char *why)
{
    bool was = link->connected;
    link->ac = NULL;
    link->connected = false;
    evtimer_del(link->connect_timeout);
    char reason[256];
    snprintf(reason, sizeof reason, "%s%s", was ? "connection lost: " : "", why);
    log_debug("%s (%s link): %s", link->what, link->name, reason);
    if (!link->setup_failed) /* a refused set-up was counted when refused */
        outage_fail(link->outage, link->what, reason, outage_clock_ms());
    link->setup_failed = false;
    link->on_lost(link);
    rdb_link_retry(link);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct rdb_link *link = ac->data;
    if (status != REDIS_OK) {
        lost(link, ac->errstr);
        return;
    }
    link->connected = true;
    log_debug("%s (%s link): connection up", link->what, link->name);
    /* The set-up's replies get REDIS_TIMEOUT_MS of their own: a server that
     * accepts and never answers is dropped and retried like a silent host. */
    struct timeval tv = strlist_timeval_ms(link->conf->redis_timeout_ms);
    evtimer_add(link->connect_timeout, &tv);
    link->on_connected(link);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    lost(ac->data, status == REDIS_OK ? "closed" : ac->errstr);
}

void rdb_link_drop(struct rdb_link *link, const char *why)
{
    redisAsyncContext *ac = link->ac;
    ac->onDisconnect = NULL; /* it would say "closed" */
    redisAsyncFree(ac);      /* what waits for a reply is answered NULL */
    lost(link, why);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    link_connect(arg);
}

/* hiredis 0.14 has no connect or command timeout: give up on a silent
 * host, or on a connection whose set-up is not answered, ourselves.  This
 * runs from a timer, not a hiredis callback, so freeing is safe.  A connected
 * context is freed without its disconnect callback, which would say "closed",
 * and lost() told why; an unconnected one gets no disconnect callback, so
 * retry here. */
static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct rdb_link *link = arg;
    redisAsyncContext *ac = link->ac;
    char why[64];
    snprintf(why, sizeof why, "no answer within REDIS_TIMEOUT_MS (%d ms)",
             link->conf->redis_timeout_ms);
    if (ac && link->connected) {
        rdb_link_drop(link, why);
        return;
    }
    link->ac = NULL;
    if (ac)
        redisAsyncFree(ac);
    log_debug("%s (%s link): %s", link->what, link->name, why);
    outage_fail(link->outage, link->what, why, outage_clock_ms());
    rdb_link_retry(link);
}

/* Check an AUTH, SELECT or PING reply: an error is reported as an outage (a
 * wrong or missing password is a configuration error worth seeing, once) and
 * the link dropped so that it retries, backing off as from a refused
 * connection; Redis counts as reachable, and the backoff starts again, once
 * every reply is in.  Only the first refusal of a connection counts. */
static void on_setup_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb_link *link = ac->data;
    redisReply *r = reply;
    if (!r || link->setup_failed)
        return; /* the connection is going: lost() reports it */
    if (r->type == REDIS_REPLY_ERROR) {
        char why[256];
        snprintf(why, sizeof why, "%s failed: %s", (const char *)privdata, r->str);
        link->setup_pending = 0;
        link->setup_failed = true;
        outage_fail(link->outage, link->what, why, outage_clock_ms());
        redisAsyncDisconnect(ac);
    } else if (link->setup_pending > 0 && --link->setup_pending == 0) {
        evtimer_del(link->connect_timeout);
        link->backoff_ms = RDB_BACKOFF_MIN_MS;
        outage_ok(link->outage, link->what, outage_clock_ms());
    }
}

/* AUTH and SELECT as configured, or else a PING: some reply must say that
 * the server speaks Redis and lets us in (one that wants a password we do
 * not have refuses PING with NOAUTH) before the link counts as up. */
static void send_setup(struct rdb_link *link)
{
    const struct cp_conf *conf = link->conf;
    link->setup_pending = (conf->redis_password[0] != 0) + (conf->redis_db != 0);
    link->setup_failed = false;
    if (conf->redis_password[0])
        redisAsyncCommand(link->ac, on_setup_reply, "AUTH", "AUTH %s", conf->redis_password);
    if (conf->redis_db)
        redisAsyncCommand(link->ac, on_setup_reply, "SELECT", "SELECT %d", conf->redis_db);
    if (link->setup_pending == 0) {
        link->setup_pending = 1;
        redisAsyncCommand(link->ac, on_setup_reply, "PING", "PING");
    }
}

static void connect_to(struct rdb_link *link, const char *host, int port)
{
    snprintf(link->what, sizeof link->what, "redis %s:%d", host, port);
    redisAsyncContext *ac = redisAsyncConnect(host, port);
    if (!ac || ac->err) {
        outage_fail(link->outage, link->what, ac ? ac->errstr : "out of memory", outage_clock_ms());
        if (ac)
            redisAsyncFree(ac);
        rdb_link_retry(link);
        return;
    }
    ac->data = link;
    link->ac = ac;
    redisLibeventAttach(ac, link->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    struct timeval tv = strlist_timeval_ms(link->conf->redis_timeout_ms);
    evtimer_add(link->connect_timeout, &tv);
    /* Commands queue until the connection is up. */
    send_setup(link);
}

/* The Sentinels' answers. */
static void on_master(void *arg, const char *host, int port)
{
    connect_to(arg, host, port);
}

static void on_no_master(void *arg)
{
    struct rdb_link *link = arg;
    const struct cp_conf *conf = link->conf;
    snprintf(link->what, sizeof link->what, "redis master %.64s via Sentinels %.128s",
             conf->redis_master_name, conf->redis_sentinels);
    outage_fail(link->outage, link->what, "no Sentinel named the master", outage_clock_ms());
    rdb_link_retry(link);
}

static void link_connect(struct rdb_link *link)
{
    const struct cp_conf *conf = link->conf;
    if (conf->redis_sentinels[0])
        rdb_sentinel_ask(&link->sentinel);
    else
        connect_to(link, conf->redis_host, conf->redis_port);
}

void rdb_link_init(struct rdb_link *link, struct event_base *base, const struct cp_conf *conf,
                   const char *name, void (*on_connected)(struct rdb_link *),
                   void (*on_lost)(struct rdb_link *), void *owner)
{
    *link = (struct rdb_link){.base = base,
                              .conf = conf,
                              .name = name,
                              .backoff_ms = RDB_BACKOFF_MIN_MS,
                              .on_connected = on_connected,
                              .on_lost = on_lost,
                              .owner = owner};
    link->outage = &link->own;
    link->retry = evtimer_new(base, on_retry, link);
    link->connect_timeout = evtimer_new(base, on_connect_timeout, link);
    rdb_sentinel_init(&link->sentinel, base, conf, name, on_master, on_no_master, link);
    link_connect(link);
}

void rdb_link_free(struct rdb_link *link)
{
    rdb_sentinel_free(&link->sentinel);
    if (link->ac) {
        link->ac->onDisconnect = NULL; /* we are going away: no reconnect */
        redisAsyncFree(link->ac);
    }
    event_free(link->retry);
    event_free(link->connect_timeout);
}
