/* Fuzz target tick: what arrives from Redis — tick JSON (docs/PROTOCOL.md §4)
 * PUBLISHed on the channel, through hub_publish_tick() into a hub with
 * subscribers on "*", on BTC and on ETH, over each transport (WebSocket,
 * SSE, WebSocket with permessage-deflate), one of them slow enough to be
 * conflated and dropped; the same texts as cached latest prices
 * (hub_set_latest()) and as history stream entries (history_points()).
 * Input: one tick per line.  Invariants: a rejected tick changes nothing
 * that is sent; ids handed out only move forward. */
#include "config.h"

#include "fuzz.h"

#include "cp_error.h"
#include "deflate.h"
#include "history.h"
#include "hub.h"
#include "tickid.h"

#include <event2/buffer.h>
#include <string.h>

#define FUZZ_LINES_MAX 64

static struct deflate_ctx *deflater;

struct sub {
    struct hub_client c;
    struct evbuffer *out;
    struct hub *hub;
    int overflows;
};

/* As the gateway does: unsubscribe at once, free later. */
static void on_overflow(struct hub_client *c, void *arg)
{
    struct sub *s = arg;
    s->overflows++;
    FUZZ_CHECK(s->overflows == 1);
    hub_client_clear(s->hub, c);
}

static void sub_init(struct sub *s, struct hub *hub, enum msg_transport t, const char *symbol)
{
    s->out = evbuffer_new();
    s->hub = hub;
    s->overflows = 0;
    hub_client_init(&s->c, s->out, t, on_overflow, s);
    FUZZ_CHECK(hub_subscribe(hub, &s->c, symbol) == 1);
}

static void sub_free(struct sub *s)
{
    hub_client_clear(s->hub, &s->c);
    evbuffer_free(s->out);
}

/* Split data into at most FUZZ_LINES_MAX lines (without their '\n'). */
static size_t split_lines(const uint8_t *data, size_t size, const char **lines, size_t *lens)
{
    size_t n = 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end && n < FUZZ_LINES_MAX) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        lines[n] = p;
        lens[n++] = (size_t)(stop - p);
        p = nl ? nl + 1 : end;
    }
    return n;
}

static void publish_all(struct hub *hub, struct sub *subs, size_t nsubs, const char **lines,
                        const size_t *lens, size_t n)
{
    char err[256];
    struct tickid prev = {-1, 0};
    for (size_t i = 0; i < n; i++) {
        uint64_t before = hub_get_stats(hub)->messages_out;
        int rc = hub_publish_tick(hub, lines[i], lens[i], err, sizeof err);
        FUZZ_CHECK(rc == CP_OK || rc == CP_EINVAL);
        if (rc != CP_OK) {
            FUZZ_CHECK(hub_get_stats(hub)->messages_out == before);
            FUZZ_CHECK(strlen(err) < sizeof err);
            continue;
        }
        struct tickid id;
        FUZZ_CHECK(tickid_parse(hub_last_id(hub), &id) == CP_OK);
        FUZZ_CHECK(tickid_after(id, prev));
        prev = id;
        /* The slow one's output drains now and then: it catches up. */
        if (i % 4 == 3) {
            evbuffer_drain(subs[0].out, evbuffer_get_length(subs[0].out));
            hub_client_catch_up(hub, &subs[0].c);
        }
    }
    (void)nsubs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *lines[FUZZ_LINES_MAX];
    size_t lens[FUZZ_LINES_MAX];
    size_t n = split_lines(data, size, lines, lens);
    if (!deflater)
        deflater = deflate_ctx_new(); /* 256 KB: once per process */
    struct hub_limits limits = {
        .high_water = 1024, .hard_limit = 4096, .stall_ms = 60000, .max_tick_bytes = 1 << 20};
    struct hub *hub = hub_new(&limits, deflater);
    hub_set_symbols(hub, "BTC,ETH,SOL");
    struct sub subs[4];
    sub_init(&subs[0], hub, MSG_WS, "*");
    sub_init(&subs[1], hub, MSG_SSE, "BTC");
    sub_init(&subs[2], hub, MSG_WS_DEFLATE, "ETH");
    sub_init(&subs[3], hub, MSG_WS_DEFLATE, "*");
    FUZZ_CHECK(hub_subscribe(hub, &subs[3].c, "BTC") == 1);
    for (size_t i = 0; i < n; i++)
        (void)hub_set_latest(hub, lines[i], lens[i]);
    publish_all(hub, subs, 4, lines, lens, n);

    json_t *all = json_pack("[s]", "*");
    json_t *snap = hub_snapshot(hub, all);
    FUZZ_CHECK(snap != NULL);
    char *text = json_dumps(snap, JSON_COMPACT);
    FUZZ_CHECK(text != NULL);
    free(text);
    json_decref(snap);
    json_decref(all);

    /* The history stream holds the same ticks, newest first. */
    const char *rev[FUZZ_LINES_MAX];
    size_t rlens[FUZZ_LINES_MAX];
    for (size_t i = 0; i < n; i++) {
        rev[i] = lines[n - 1 - i];
        rlens[i] = lens[n - 1 - i];
    }
    json_t *points = history_points("BTC", rev, rlens, n, HISTORY_DEFAULT_LIMIT);
    FUZZ_CHECK(points != NULL);
    FUZZ_CHECK(json_array_size(json_object_get(points, "points")) <= n);
    json_decref(points);

    for (int i = 0; i < 4; i++)
        sub_free(&subs[i]);
    hub_free(hub);
    return 0;
}
