#include "config.h"

#include "rdb.h"

#include "cp_error.h"
#include "keys.h"
#include "log.h"
#include "price.h"
#include "xalloc.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RDB_BACKOFF_MIN_MS 100
#define RDB_BACKOFF_MAX_MS 5000

/* One connection (pub/sub or commands) and its reconnect state. */
struct rdb_link {
    struct rdb *owner;
    const char *name;
    redisAsyncContext *ac; /* NULL while disconnected */
    bool connected;
    int backoff_ms;
    struct event *retry; /* reconnect timer */
    struct event *connect_timeout;
    void (*on_connected)(struct rdb_link *link);
    /* REDIS_SENTINELS: the Sentinel being asked where the master is. */
    redisAsyncContext *sentinel_ac; /* NULL unless a question is out */
    int sentinel;                   /* its index in REDIS_SENTINELS */
};

struct rdb {
    struct event_base *base;
    const struct cp_conf *conf;
    const struct rdb_callbacks *cb;
    void *arg;
    struct rdb_link sub, cmd;
    bool subscribed;
    char channel[KEYS_MAX];
};

static void link_connect(struct rdb_link *link);

static void ms_to_tv(int ms, struct timeval *tv)
{
    tv->tv_sec = ms / 1000;
    tv->tv_usec = (ms % 1000) * 1000;
}

/* Exponential backoff, but never longer than half a tick interval: clients
 * must get ticks again within two intervals of Redis coming back. */
static void schedule_retry(struct rdb_link *link)
{
    struct timeval tv;
    int cap = link->owner->conf->update_interval_ms / 2;
    if (cap > RDB_BACKOFF_MAX_MS)
        cap = RDB_BACKOFF_MAX_MS;
    if (cap < RDB_BACKOFF_MIN_MS)
        cap = RDB_BACKOFF_MIN_MS;
    ms_to_tv(link->backoff_ms < cap ? link->backoff_ms : cap, &tv);
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
    if (was)
        log_warn("redis %s connection lost: %s; reconnecting", link->name, why);
    else
        log_debug("redis %s connect failed: %s", link->name, why);
    if (link == &link->owner->sub && link->owner->subscribed) {
        link->owner->subscribed = false;
        if (link->owner->cb->on_state)
            link->owner->cb->on_state(false, link->owner->arg);
    }
    schedule_retry(link);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct rdb_link *link = ac->data;
    if (status != REDIS_OK) {
        lost(link, ac->errstr);
        return;
    }
    evtimer_del(link->connect_timeout);
    link->connected = true;
    link->backoff_ms = RDB_BACKOFF_MIN_MS;
    log_info("redis %s connection up (%s:%d)", link->name, link->owner->conf->redis_host,
             link->owner->conf->redis_port);
    link->on_connected(link);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    lost(ac->data, status == REDIS_OK ? "closed" : ac->errstr);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    link_connect(arg);
}

/* hiredis 0.14 has no connect timeout: give up on a silent host ourselves.
 * This runs from a timer, not a hiredis callback, so freeing is safe; an
 * unconnected context gets no disconnect callback, so retry here. */
static void ask_sentinel(struct rdb_link *link);

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct rdb_link *link = arg;
    if (link->sentinel_ac) { /* a Sentinel that does not answer: ask the next */
        redisAsyncContext *sac = link->sentinel_ac;
        link->sentinel_ac = NULL;
        redisAsyncFree(sac); /* its pending reply callback gets NULL and ignores it */
        link->sentinel++;
        ask_sentinel(link);
        return;
    }
    redisAsyncContext *ac = link->ac;
    link->ac = NULL;
    if (ac)
        redisAsyncFree(ac);
    log_debug("redis %s connect timed out", link->name);
    schedule_retry(link);
}

/* Check an AUTH or SELECT reply: an error is logged and the link dropped so
 * that it retries (a wrong password is a configuration error worth seeing). */
static void on_setup_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_ERROR) {
        log_error("redis %s: %s failed: %s", ((struct rdb_link *)ac->data)->name,
                  (const char *)privdata, r->str);
        redisAsyncDisconnect(ac);
    }
}

static void send_setup(struct rdb_link *link)
{
    const struct cp_conf *conf = link->owner->conf;
    if (conf->redis_password[0])
        redisAsyncCommand(link->ac, on_setup_reply, "AUTH", "AUTH %s", conf->redis_password);
    if (conf->redis_db)
        redisAsyncCommand(link->ac, on_setup_reply, "SELECT", "SELECT %d", conf->redis_db);
}

static void connect_redis(struct rdb_link *link, const char *host, int port)
{
    const struct cp_conf *conf = link->owner->conf;
    redisAsyncContext *ac = redisAsyncConnect(host, port);
    if (!ac || ac->err) {
        log_warn("redis %s: %s", link->name, ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        schedule_retry(link);
        return;
    }
    ac->data = link;
    link->ac = ac;
    redisLibeventAttach(ac, link->owner->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    struct timeval tv;
    ms_to_tv(conf->redis_timeout_ms, &tv);
    evtimer_add(link->connect_timeout, &tv);
    /* Commands queue until the connection is up. */
    send_setup(link);
}

/* ---- Sentinel: asked without blocking the loop -------------------------- */

/* The i-th host:port of the comma list.  Returns false past the end. */
static bool sentinel_entry(const char *list, int i, char *host, size_t len, int *port)
{
    for (const char *p = list; *p; i--) {
        size_t n = strcspn(p, ",");
        if (i == 0) {
            const char *colon = memrchr(p, ':', n);
            if (!colon)
                return false;
            snprintf(host, len, "%.*s", (int)(colon - p), p);
            *port = atoi(colon + 1);
            return true;
        }
        p += n + (p[n] == ',');
    }
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
        connect_redis(link, r->element[0]->str, atoi(r->element[1]->str));
        return;
    }
    link->sentinel++;
    ask_sentinel(link);
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
    ask_sentinel(link);
}

static void on_sentinel_disconnect(const redisAsyncContext *ac, int status)
{
    struct rdb_link *link = ac->data;
    if (link->sentinel_ac == ac)
        link->sentinel_ac = NULL;
}

/* Ask Sentinel number link->sentinel where REDIS_MASTER_NAME is; past the
 * last one, retry from the first after the backoff. */
static void ask_sentinel(struct rdb_link *link)
{
    const struct cp_conf *conf = link->owner->conf;
    char host[CONF_STR_MAX];
    int port;
    if (!sentinel_entry(conf->redis_sentinels, link->sentinel, host, sizeof host, &port)) {
        log_warn("redis %s: no Sentinel of %s knows the master %s", link->name,
                 conf->redis_sentinels, conf->redis_master_name);
        schedule_retry(link);
        return;
    }
    redisAsyncContext *ac = redisAsyncConnect(host, port);
    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        link->sentinel++;
        ask_sentinel(link);
        return;
    }
    ac->data = link;
    link->sentinel_ac = ac;
    redisLibeventAttach(ac, link->owner->base);
    redisAsyncSetConnectCallback(ac, on_sentinel_connect);
    redisAsyncSetDisconnectCallback(ac, on_sentinel_disconnect);
    redisAsyncCommand(ac, on_master, link, "SENTINEL get-master-addr-by-name %s",
                      conf->redis_master_name);
    struct timeval tv;
    ms_to_tv(conf->redis_timeout_ms, &tv);
    evtimer_add(link->connect_timeout, &tv);
}

static void link_connect(struct rdb_link *link)
{
    const struct cp_conf *conf = link->owner->conf;
    if (conf->redis_sentinels[0]) {
        link->sentinel = 0;
        ask_sentinel(link);
    } else {
        connect_redis(link, conf->redis_host, conf->redis_port);
    }
}

/* ---- pub/sub link ---------------------------------------------------- */

static void on_message(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb *r = privdata;
    redisReply *m = reply;
    if (!m || m->type != REDIS_REPLY_ARRAY || m->elements != 3)
        return;
    const char *kind = m->element[0]->str;
    if (kind && strcmp(kind, "subscribe") == 0) {
        r->subscribed = true;
        log_info("subscribed to %s", r->channel);
        if (r->cb->on_state)
            r->cb->on_state(true, r->arg);
    } else if (kind && strcmp(kind, "message") == 0 && m->element[2]->type == REDIS_REPLY_STRING) {
        r->cb->on_tick(m->element[2]->str, m->element[2]->len, r->arg);
    }
}

static void sub_connected(struct rdb_link *link)
{
    redisAsyncCommand(link->ac, on_message, link->owner, "SUBSCRIBE %s", link->owner->channel);
}

/* ---- command link ---------------------------------------------------- */

static void on_prices(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb *r = privdata;
    redisReply *m = reply;
    if (!m || m->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < m->elements; i++)
        if (m->element[i]->type == REDIS_REPLY_STRING)
            r->cb->on_price(m->element[i]->str, m->element[i]->len, r->arg);
}

/* With the symbol list known, load each symbol's cached latest price so that
 * snapshots work before the first tick arrives. */
static void on_symbols(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb *r = privdata;
    redisReply *m = reply;
    if (!m || m->type != REDIS_REPLY_STRING)
        return;
    r->cb->on_symbols(m->str, r->arg);
    const char *argv[257];
    char keys[256][KEYS_MAX];
    int argc = 0;
    argv[argc++] = "MGET";
    for (const char *p = m->str; *p && argc < 257;) {
        size_t n = strcspn(p, ",");
        char sym[64];
        if (n > 0 && n < sizeof sym) {
            memcpy(sym, p, n);
            sym[n] = '\0';
            if (keys_format(keys[argc - 1], KEYS_MAX, r->conf->redis_prefix, KEYS_PRICE, sym) > 0)
                argv[argc] = keys[argc - 1], argc++;
        }
        p += n + (p[n] == ',');
    }
    if (argc > 1)
        redisAsyncCommandArgv(ac, on_prices, r, argc, argv, NULL);
}

static void cmd_connected(struct rdb_link *link)
{
    char key[KEYS_MAX];
    keys_format(key, sizeof key, link->owner->conf->redis_prefix, KEYS_SYMBOLS, NULL);
    redisAsyncCommand(link->ac, on_symbols, link->owner, "GET %s", key);
}

/* ---- lifecycle ------------------------------------------------------- */

static void link_init(struct rdb *r, struct rdb_link *link, const char *name,
                      void (*on_connected)(struct rdb_link *))
{
    link->owner = r;
    link->name = name;
    link->backoff_ms = RDB_BACKOFF_MIN_MS;
    link->on_connected = on_connected;
    link->retry = evtimer_new(r->base, on_retry, link);
    link->connect_timeout = evtimer_new(r->base, on_connect_timeout, link);
    link_connect(link);
}

struct rdb *rdb_new(struct event_base *base, const struct cp_conf *conf,
                    const struct rdb_callbacks *cb, void *arg)
{
    struct rdb *r = xcalloc(1, sizeof *r);
    r->base = base;
    r->conf = conf;
    r->cb = cb;
    r->arg = arg;
    keys_format(r->channel, sizeof r->channel, conf->redis_prefix, KEYS_CHANNEL, NULL);
    link_init(r, &r->sub, "pub/sub", sub_connected);
    link_init(r, &r->cmd, "command", cmd_connected);
    return r;
}

static void link_free(struct rdb_link *link)
{
    if (link->sentinel_ac) {
        redisAsyncContext *sac = link->sentinel_ac;
        link->sentinel_ac = NULL;
        sac->onDisconnect = NULL;
        redisAsyncFree(sac);
    }
    if (link->ac) {
        link->ac->onDisconnect = NULL; /* we are going away: no reconnect */
        redisAsyncFree(link->ac);
    }
    event_free(link->retry);
    event_free(link->connect_timeout);
}

void rdb_free(struct rdb *r)
{
    if (!r)
        return;
    link_free(&r->sub);
    link_free(&r->cmd);
    free(r);
}

/* The string an element of an array reply stands for, or NULL to skip it. */
typedef const redisReply *(*rdb_pick_fn)(const redisReply *e);

struct rdb_strings_req {
    rdb_strings_cb cb;
    void *arg;
    rdb_pick_fn pick;
};

/* MGET: one bulk string per live key, nil for expired ones. */
static const redisReply *pick_string(const redisReply *e)
{
    return e->type == REDIS_REPLY_STRING ? e : NULL;
}

/* XRANGE/XREVRANGE: each entry is [id, [field, value, ...]]; take "tick". */
static const redisReply *pick_tick(const redisReply *e)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[1]->type != REDIS_REPLY_ARRAY)
        return NULL;
    const redisReply *fields = e->element[1];
    for (size_t f = 0; f + 1 < fields->elements; f += 2)
        if (fields->element[f]->str && strcmp(fields->element[f]->str, "tick") == 0 &&
            fields->element[f + 1]->type == REDIS_REPLY_STRING)
            return fields->element[f + 1];
    return NULL;
}

/* Hand the picked strings of an array reply to the request's callback. */
static void on_strings(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb_strings_req *req = privdata;
    redisReply *m = reply;
    if (!m || m->type != REDIS_REPLY_ARRAY) {
        req->cb(false, NULL, NULL, 0, req->arg);
        free(req);
        return;
    }
    const char **strs = xcalloc(m->elements + 1, sizeof *strs);
    size_t *lens = xcalloc(m->elements + 1, sizeof *lens), n = 0;
    for (size_t i = 0; i < m->elements; i++) {
        const redisReply *e = req->pick(m->element[i]);
        if (e) {
            strs[n] = e->str;
            lens[n++] = e->len;
        }
    }
    req->cb(true, strs, lens, n, req->arg);
    free(strs);
    free(lens);
    free(req);
}

static struct rdb_strings_req *strings_req(rdb_pick_fn pick, rdb_strings_cb cb, void *arg)
{
    struct rdb_strings_req *req = xmalloc(sizeof *req);
    req->cb = cb;
    req->arg = arg;
    req->pick = pick;
    return req;
}

/* Send a stream read whose ticks on_strings() hands to cb. */
static int read_stream(struct rdb *r, const char *fmt, const char *from, int count,
                       rdb_strings_cb cb, void *arg)
{
    if (!r->cmd.connected)
        return CP_EIO;
    char key[KEYS_MAX];
    keys_format(key, sizeof key, r->conf->redis_prefix, KEYS_HISTORY, NULL);
    struct rdb_strings_req *req = strings_req(pick_tick, cb, arg);
    if (redisAsyncCommand(r->cmd.ac, on_strings, req, fmt, key, from, count) != REDIS_OK) {
        free(req);
        return CP_EIO;
    }
    return CP_OK;
}

int rdb_history(struct rdb *r, int count, rdb_strings_cb cb, void *arg)
{
    return read_stream(r, "XREVRANGE %s + %s COUNT %d", "-", count, cb, arg);
}

struct rdb_entries_req {
    rdb_entries_cb cb;
    void *arg;
};

/* XRANGE: each entry is [id, [field, value, ...]]. */
static void on_entries(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb_entries_req *req = privdata;
    redisReply *m = reply;
    if (!m || m->type != REDIS_REPLY_ARRAY) {
        req->cb(false, NULL, 0, req->arg);
        free(req);
        return;
    }
    struct rdb_entry *e = xcalloc(m->elements + 1, sizeof *e);
    size_t n = 0;
    for (size_t i = 0; i < m->elements; i++) {
        const redisReply *x = m->element[i];
        if (x->type != REDIS_REPLY_ARRAY || x->elements < 1 || !x->element[0]->str)
            continue;
        const redisReply *tick = pick_tick(x);
        e[n].id = x->element[0]->str;
        e[n].tick = tick ? tick->str : "";
        e[n++].len = tick ? tick->len : 0;
    }
    req->cb(true, e, n, req->arg);
    free(e);
    free(req);
}

int rdb_ticks_from(struct rdb *r, const char *id, bool inclusive, int count, rdb_entries_cb cb,
                   void *arg)
{
    if (!r->cmd.connected)
        return CP_EIO;
    char key[KEYS_MAX], from[PRICE_ID_MAX + 1];
    keys_format(key, sizeof key, r->conf->redis_prefix, KEYS_HISTORY, NULL);
    snprintf(from, sizeof from, "%s%s", inclusive ? "" : "(", id);
    struct rdb_entries_req *req = xmalloc(sizeof *req);
    req->cb = cb;
    req->arg = arg;
    if (redisAsyncCommand(r->cmd.ac, on_entries, req, "XRANGE %s %s + COUNT %d", key, from,
                          count) != REDIS_OK) {
        free(req);
        return CP_EIO;
    }
    return CP_OK;
}

void rdb_stats_write(struct rdb *r, const char *key, const char *index, const char *json,
                     int ttl_ms, int64_t now_ms)
{
    if (!r->cmd.connected)
        return;
    redisAsyncCommand(r->cmd.ac, NULL, NULL, "SET %s %s PX %d", key, json, ttl_ms);
    redisAsyncCommand(r->cmd.ac, NULL, NULL, "ZADD %s %lld %s", index, (long long)now_ms, key);
    redisAsyncCommand(r->cmd.ac, NULL, NULL, "ZREMRANGEBYSCORE %s -inf (%lld", index,
                      (long long)(now_ms - ttl_ms));
}

int rdb_stats_read(struct rdb *r, const char *index, int64_t since_ms, rdb_strings_cb cb, void *arg)
{
    static const char script[] =
        "local k = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf') "
        "if #k == 0 then return {} end return redis.call('MGET', unpack(k))";
    if (!r->cmd.connected)
        return CP_EIO;
    struct rdb_strings_req *req = strings_req(pick_string, cb, arg);
    if (redisAsyncCommand(r->cmd.ac, on_strings, req, "EVAL %s 1 %s %lld", script, index,
                          (long long)since_ms) != REDIS_OK) {
        free(req);
        return CP_EIO;
    }
    return CP_OK;
}

/* GET: a bulk string, or nil. */
static void on_string(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb_strings_req *req = privdata;
    redisReply *m = reply;
    const char *str = m && m->type == REDIS_REPLY_STRING ? m->str : NULL;
    size_t len = str ? m->len : 0;
    bool ok = m && (str || m->type == REDIS_REPLY_NIL);
    req->cb(ok, &str, &len, str ? 1 : 0, req->arg);
    free(req);
}

int rdb_get(struct rdb *r, const char *key, rdb_strings_cb cb, void *arg)
{
    if (!r->cmd.connected)
        return CP_EIO;
    struct rdb_strings_req *req = strings_req(pick_string, cb, arg);
    if (redisAsyncCommand(r->cmd.ac, on_string, req, "GET %s", key) != REDIS_OK) {
        free(req);
        return CP_EIO;
    }
    return CP_OK;
}

void rdb_refresh_symbols(struct rdb *r)
{
    if (r->cmd.connected)
        cmd_connected(&r->cmd);
}

bool rdb_subscribed(const struct rdb *r)
{
    return r->subscribed;
}
