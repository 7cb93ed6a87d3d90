#include "config.h"

#include "rdb.h"

#include "cp_error.h"
#include "keys.h"
#include "log.h"
#include "price.h"
#include "rdb_link.h"
#include "strlist.h"
#include "xalloc.h"

#include <hiredis/adapters/libevent.h>
#include <sys/ioctl.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A PING times the command link this often, for /health's latency_ms. */
#define RDB_PING_EVERY_MS(conf) ((conf)->stats_interval_ms)
/* A command link that reads no reply for this long while commands wait is
 * stalled: ten times REDIS_TIMEOUT_MS (5 s by default), so that a Redis
 * that is slow for a moment (a CLIENT PAUSE, a fork on a full machine) is
 * waited for, and one that stopped is not waited for forever. */
#define RDB_STALL_MS(conf) (10 * (conf)->redis_timeout_ms)

struct rdb {
    struct event_base *base;
    const struct cp_conf *conf;
    const struct rdb_callbacks *cb;
    void *arg;
    struct rdb_link sub, cmd;
    bool subscribed;
    char channel[KEYS_MAX];
    /* Readings for /health, from the command link. */
    struct event *ping_timer, *stall_timer;
    bool ping_out;       /* a PING awaits its answer */
    double ping_sent_ms; /* when, on the monotonic clock */
    double latency_ms;   /* the last PING's round trip, -1 none */
    /* A command link whose oldest waiting reply stays the same for
     * RDB_STALL_MS while a PING waits is stalled (on_stall_timer()) (a paused Redis, a
     * server that took the set-up and nothing else): dropped, so that
     * what waits is answered.  A busy one (a storm's thousands of reads)
     * answers something meanwhile, or has answers waiting to be read, and
     * is left alone. */
    const void *stall_head; /* ac->replies.head at stall_since_ms */
    double stall_since_ms;
    char version[RDB_VERSION_MAX]; /* redis_version of the connection, "" unknown */
};

/* ---- pub/sub link ---------------------------------------------------- */

static void on_message(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb *r = privdata;
    redisReply *m = reply;
    if (!m || m->type != REDIS_REPLY_ARRAY || m->elements != 3)
        return;
    const char *kind = m->element[0]->str;
    if (r->sub.setup_failed)
        return; /* AUTH or SELECT was refused: the link is being dropped */
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
    struct rdb *r = link->owner;
    redisAsyncCommand(link->ac, on_message, r, "SUBSCRIBE %s", r->channel);
}

static void sub_lost(struct rdb_link *link)
{
    struct rdb *r = link->owner;
    if (!r->subscribed)
        return;
    r->subscribed = false;
    if (r->cb->on_state)
        r->cb->on_state(false, r->arg);
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
    const char *list = m->str, *item;
    size_t n;
    while (argc < 257 && strlist_next(&list, &item, &n)) {
        char sym[64];
        if (n > 0 && strlist_copy(item, n, sym, sizeof sym) &&
            keys_format(keys[argc - 1], KEYS_MAX, r->conf->redis_prefix, KEYS_PRICE, sym) > 0)
            argv[argc] = keys[argc - 1], argc++;
    }
    if (argc > 1)
        redisAsyncCommandArgv(ac, on_prices, r, argc, argv, NULL);
}

static void read_symbols(struct rdb *r)
{
    char key[KEYS_MAX];
    keys_format(key, sizeof key, r->conf->redis_prefix, KEYS_SYMBOLS, NULL);
    redisAsyncCommand(r->cmd.ac, on_symbols, r, "GET %s", key);
}

/* ---- readings for /health: PING round trip, server version ------------ */

static double monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void on_pong(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb *r = privdata;
    redisReply *m = reply;
    r->ping_out = false;
    if (m && m->type == REDIS_REPLY_STATUS)
        r->latency_ms = monotonic_ms() - r->ping_sent_ms;
}

/* One PING at a time: a Redis that stopped answering is not sent more. */
static void send_ping(struct rdb *r)
{
    if (!r->cmd.connected || r->ping_out)
        return;
    if (redisAsyncCommand(r->cmd.ac, on_pong, r, "PING") != REDIS_OK)
        return;
    r->ping_out = true;
    r->ping_sent_ms = monotonic_ms();
}

/* Every REDIS_TIMEOUT_MS, whatever STATS_INTERVAL_MS is: with commands
 * waiting on the command link, make sure a PING waits behind them; then,
 * with that PING waiting, the head of hiredis' queue of waiting replies
 * cannot come back once a reply was read, so a head unchanged for
 * RDB_STALL_MS means no reply for that long (detected within
 * RDB_STALL_MS + 2 x REDIS_TIMEOUT_MS). */
static void on_stall_timer(evutil_socket_t fd, short what, void *arg)
{
    struct rdb *r = arg;
    const void *head = r->cmd.connected ? r->cmd.ac->replies.head : NULL;
    if (!head || !r->ping_out) {
        r->stall_head = NULL;
        if (head)
            send_ping(r);
        return;
    }
    double now = monotonic_ms();
    if (head != r->stall_head) {
        r->stall_head = head;
        r->stall_since_ms = now;
        return;
    }
    if (now - r->stall_since_ms < RDB_STALL_MS(r->conf))
        return;
    /* Answers waiting in the socket: Redis answers, this loop is the slow
     * one (a storm's accepts run first). */
    int unread = 0;
    if (ioctl(r->cmd.ac->c.fd, FIONREAD, &unread) == 0 && unread > 0) {
        r->stall_since_ms = now;
        return;
    }
    char why[96];
    snprintf(why, sizeof why, "no reply for 10 x REDIS_TIMEOUT_MS (%d ms) with commands waiting",
             RDB_STALL_MS(r->conf));
    r->stall_head = NULL;
    rdb_link_drop(&r->cmd, why);
}

static void on_ping_timer(evutil_socket_t fd, short what, void *arg)
{
    send_ping(arg);
}

/* INFO server holds "redis_version:7.0.15\r\n" among its lines. */
static void on_info(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb *r = privdata;
    redisReply *m = reply;
    const char *v = m && m->type == REDIS_REPLY_STRING ? strstr(m->str, "redis_version:") : NULL;
    if (!v)
        return;
    v += strlen("redis_version:");
    snprintf(r->version, sizeof r->version, "%.*s", (int)strcspn(v, "\r\n"), v);
}

static void cmd_connected(struct rdb_link *link)
{
    struct rdb *r = link->owner;
    read_symbols(r);
    redisAsyncCommand(link->ac, on_info, r, "INFO server");
    send_ping(r);
}

/* What was measured belonged to the connection that went away. */
static void cmd_lost(struct rdb_link *link)
{
    struct rdb *r = link->owner;
    r->ping_out = false;
    r->stall_head = NULL;
    r->latency_ms = -1;
    r->version[0] = '\0';
}

double rdb_latency_ms(const struct rdb *r)
{
    if (!r->cmd.connected || r->latency_ms < 0)
        return -1;
    double waiting = r->ping_out ? monotonic_ms() - r->ping_sent_ms : 0;
    return waiting > r->latency_ms ? waiting : r->latency_ms;
}

const char *rdb_version(const struct rdb *r)
{
    return r->cmd.connected ? r->version : "";
}

/* ---- lifecycle ------------------------------------------------------- */

struct rdb *rdb_new(struct event_base *base, const struct cp_conf *conf,
                    const struct rdb_callbacks *cb, void *arg)
{
    struct rdb *r = xcalloc(1, sizeof *r);
    r->base = base;
    r->conf = conf;
    r->cb = cb;
    r->arg = arg;
    r->latency_ms = -1;
    keys_format(r->channel, sizeof r->channel, conf->redis_prefix, KEYS_CHANNEL, NULL);
    r->ping_timer = event_new(base, -1, EV_PERSIST, on_ping_timer, r);
    struct timeval every = strlist_timeval_ms(RDB_PING_EVERY_MS(conf));
    event_add(r->ping_timer, &every);
    r->stall_timer = event_new(base, -1, EV_PERSIST, on_stall_timer, r);
    struct timeval stall_every = strlist_timeval_ms(conf->redis_timeout_ms);
    event_add(r->stall_timer, &stall_every);
    rdb_link_init(&r->sub, base, conf, "pub/sub", sub_connected, sub_lost, r);
    rdb_link_init(&r->cmd, base, conf, "command", cmd_connected, cmd_lost, r);
    r->cmd.outage = r->sub.outage; /* one warning per outage, not one per link */
    return r;
}

void rdb_free(struct rdb *r)
{
    if (!r)
        return;
    rdb_link_free(&r->sub);
    rdb_link_free(&r->cmd);
    event_free(r->ping_timer);
    event_free(r->stall_timer);
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

/* Whether a request can be sent: the command link is up, or being set up
 * (hiredis queues commands until the connection is up, and answers them
 * NULL, which the callbacks take as a failure, if it never comes within
 * REDIS_TIMEOUT_MS).  A client that asks just as the gateway starts, as a
 * reconnect storm's first clients do, waits for Redis instead of being
 * told that Redis is away. */
static bool can_ask(const struct rdb *r)
{
    return r->cmd.ac != NULL;
}

/* Send a stream read whose ticks on_strings() hands to cb. */
static int read_stream(struct rdb *r, const char *fmt, const char *from, int count,
                       rdb_strings_cb cb, void *arg)
{
    if (!can_ask(r))
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

struct rdb_candles_req {
    rdb_candles_cb cb;
    void *arg;
    bool reverse;
    bool failed;                     /* the newest member could not be read */
    bool abandoned;                  /* the range read was never sent: no cb */
    bool has_newest;                 /* the key is not empty */
    size_t newest_len;               /* bytes of newest */
    char newest[CANDLES_MEMBER_MAX]; /* a copy: the reply is gone when the range comes */
};

/* ZRANGE key -1 -1: the newest member, or none; the range read follows. */
static void on_newest(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb_candles_req *req = privdata;
    redisReply *m = reply;
    if (req->abandoned) {
        free(req);
        return;
    }
    if (!m || m->type != REDIS_REPLY_ARRAY) {
        req->failed = true;
        return;
    }
    /* One longer than any member candles_member() writes would not parse:
     * left out, the range is then not cacheable, as with an empty key. */
    const redisReply *e = m->elements > 0 ? m->element[0] : NULL;
    if (e && e->type == REDIS_REPLY_STRING && e->len < sizeof req->newest) {
        memcpy(req->newest, e->str, e->len);
        req->newest_len = e->len;
        req->has_newest = true;
    }
}

static void on_candles(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct rdb_candles_req *req = privdata;
    redisReply *m = reply;
    if (!m || m->type != REDIS_REPLY_ARRAY || req->failed) {
        req->cb(false, NULL, NULL, 0, req->reverse, NULL, 0, req->arg);
        free(req);
        return;
    }
    const char **strs = xcalloc(m->elements + 1, sizeof *strs);
    size_t *lens = xcalloc(m->elements + 1, sizeof *lens), n = 0;
    for (size_t i = 0; i < m->elements; i++)
        if (m->element[i]->type == REDIS_REPLY_STRING) {
            strs[n] = m->element[i]->str;
            lens[n++] = m->element[i]->len;
        }
    req->cb(true, strs, lens, n, req->reverse, req->has_newest ? req->newest : NULL,
            req->newest_len, req->arg);
    free(strs);
    free(lens);
    free(req);
}

int rdb_candles(struct rdb *r, const struct candles_query *q, rdb_candles_cb cb, void *arg)
{
    if (!can_ask(r))
        return CP_EIO;
    char key[KEYS_MAX], min[24], max[24];
    bool reverse;
    if (candles_key(key, sizeof key, r->conf->redis_prefix, q->symbol, q->interval) < 0)
        return CP_EIO;
    candles_query_range(q, min, max, &reverse);
    struct rdb_candles_req *req = xcalloc(1, sizeof *req);
    req->cb = cb;
    req->arg = arg;
    req->reverse = reverse;
    /* The newest first: a candle that closes between the two reads can then
     * only make the answer look less cacheable, never more. */
    if (redisAsyncCommand(r->cmd.ac, on_newest, req, "ZRANGE %s -1 -1", key) != REDIS_OK) {
        free(req);
        return CP_EIO;
    }
    int rc =
        reverse ? redisAsyncCommand(r->cmd.ac, on_candles, req,
                                    "ZREVRANGEBYSCORE %s %s %s LIMIT 0 %d", key, max, min, q->limit)
                : redisAsyncCommand(r->cmd.ac, on_candles, req, "ZRANGEBYSCORE %s %s %s LIMIT 0 %d",
                                    key, min, max, q->limit);
    if (rc != REDIS_OK) {
        req->abandoned = true; /* on_newest frees it */
        return CP_EIO;
    }
    return CP_OK;
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
    if (!can_ask(r))
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
    if (!can_ask(r))
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
    if (!can_ask(r))
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
        read_symbols(r);
}

bool rdb_subscribed(const struct rdb *r)
{
    return r->subscribed;
}
