/* Fuzz target proto: text messages from a WebSocket client through
 * proto_handle() (docs/PROTOCOL.md §2: subscribe, unsubscribe, ping, history,
 * anything else), with the hub behind it.  proto reaches its connection only
 * through its table of operations (send, resume, history): this file gives
 * it one that records what it is asked, so no connection, socket or Redis
 * is involved.  Input: one message per line, 100 ms apart,
 * against a limit of 8 messages per second, so that long inputs reach the
 * rate limit.  Invariants: every message sent is an {"event","data"} JSON
 * object; history is asked only for a valid symbol, limit and range; a client
 * holds at most max_subscriptions symbols. */
#include "config.h"

#include "fuzz.h"

#include "conf.h"
#include "cp_error.h"
#include "ctx.h"
#include "history.h"
#include "hub.h"
#include "price.h"
#include "proto.h"
#include "tickid.h"

#include <event2/buffer.h>
#include <string.h>

#define FUZZ_LINES_MAX 64

/* What proto may reach of its connection, and what it asked. */
struct transport {
    struct ctx *ctx;
    struct proto_client *pc;
    unsigned sent, histories, resumes;
};

static void fuzz_send(void *arg, const char *event, const char *data)
{
    struct transport *c = arg;
    json_error_t jerr;
    json_t *d = json_loads(data, JSON_DECODE_ANY, &jerr);
    FUZZ_CHECK(event && *event);
    FUZZ_CHECK(d != NULL);
    json_t *env = json_pack("{s:s, s:o}", "event", event, "data", d);
    char *text = json_dumps(env, JSON_COMPACT);
    FUZZ_CHECK(text != NULL);
    evbuffer_add(c->pc->sub.out, text, strlen(text));
    free(text);
    json_decref(env);
    c->sent++;
}

static void fuzz_history(void *arg, const struct history_query *hq)
{
    struct transport *c = arg;
    const struct candles_query *q = &hq->q;
    FUZZ_CHECK(price_symbol_valid(q->symbol));
    if (hq->candles) {
        FUZZ_CHECK(q->limit >= 1 && q->limit <= CANDLES_MAX_LIMIT);
        FUZZ_CHECK(!q->has_from || !q->has_to || q->from <= q->to);
        FUZZ_CHECK(q->interval >= 0 && q->interval < CANDLES_INTERVALS);
    } else {
        FUZZ_CHECK(hq->limit >= 1 && hq->limit <= HISTORY_MAX_LIMIT);
    }
    c->histories++;
}

/* The real one replays from Redis; here the replay finds nothing. */
static void fuzz_resume(void *arg, const char *last_id)
{
    struct transport *c = arg;
    struct tickid id;
    FUZZ_CHECK(last_id != NULL);
    hub_client_pause(&c->pc->sub);
    hub_client_resume(c->ctx->hub, &c->pc->sub,
                      tickid_parse(last_id, &id) == CP_OK ? last_id : NULL);
    c->resumes++;
}

static const struct proto_ops fuzz_ops = {
    .send = fuzz_send, .resume = fuzz_resume, .history = fuzz_history};

static const char *const seed_ticks[] = {
    "{\"id\":\"1738454400000-0\",\"ts\":1738454400000,\"prices\":[{\"symbol\":\"BTC\",\"price\":"
    "100624.9,\"change24h\":-1.5,\"volume24h\":4130816,\"high24h\":101000,\"low24h\":99000,"
    "\"ts\":1738454400000,\"id\":\"1738454400000-0\"}]}",
    "{\"id\":\"1738454460000-0\",\"ts\":1738454460000,\"prices\":[{\"symbol\":\"ETH\",\"price\":"
    "3125.5,\"change24h\":2.25,\"volume24h\":1234,\"high24h\":3200,\"low24h\":3000,"
    "\"ts\":1738454460000,\"id\":\"1738454460000-0\"}]}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cp_conf conf;
    if (!conf.max_messages_per_second) {
        conf_defaults(&conf);
        conf.max_messages_per_second = 8;
        conf.max_subscriptions = 4;
    }
    struct hub_limits limits = {
        .high_water = 1 << 20, .hard_limit = 1 << 22, .stall_ms = 60000, .max_tick_bytes = 1 << 20};
    struct ctx gw;
    memset(&gw, 0, sizeof gw);
    gw.conf = &conf;
    gw.hub = hub_new(&limits, NULL);
    hub_set_symbols(gw.hub, "BTC,ETH,SOL,DOGE");
    char err[256];
    for (size_t i = 0; i < sizeof seed_ticks / sizeof seed_ticks[0]; i++)
        FUZZ_CHECK(hub_publish_tick(gw.hub, seed_ticks[i], strlen(seed_ticks[i]), err,
                                    sizeof err) == CP_OK);

    struct proto_client pc;
    struct transport c = {&gw, &pc, 0, 0, 0};
    struct evbuffer *out = evbuffer_new();
    int64_t now = 1738454500000;
    hub_client_init(&pc.sub, out, MSG_WS, NULL, NULL);
    proto_client_init(&pc, &gw, &fuzz_ops, &c, now);
    char *welcome = proto_welcome(&gw);
    fuzz_send(&c, "welcome", welcome);
    free(welcome);

    const char *p = (const char *)data, *end = p + size;
    for (int i = 0; p < end && i < FUZZ_LINES_MAX; i++, now += 100) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        int rc = proto_handle(&gw, &pc, p, len, now);
        FUZZ_CHECK(rc == CP_OK || rc == CP_EPROTO);
        FUZZ_CHECK(pc.sub.n_members <= (size_t)conf.max_subscriptions);
        if (rc != CP_OK)
            break; /* closed with 1008 */
        p = nl ? nl + 1 : end;
    }
    /* A live tick after the conversation reaches whatever it subscribed. */
    static const char live[] =
        "{\"id\":\"1738454520000-0\",\"ts\":1738454520000,\"prices\":[{\"symbol\":\"SOL\","
        "\"price\":"
        "200.5,\"change24h\":0,\"volume24h\":0,\"high24h\":201,\"low24h\":199,\"ts\":1738454520000,"
        "\"id\":\"1738454520000-0\"}]}";
    (void)hub_publish_tick(gw.hub, live, sizeof live - 1, err, sizeof err);

    hub_client_clear(gw.hub, &pc.sub);
    evbuffer_free(out);
    hub_free(gw.hub);
    return 0;
}
