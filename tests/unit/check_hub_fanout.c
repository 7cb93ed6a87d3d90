/* check_hub_fanout: gateway/hub_fanout.c — a tick fanned out to each
 * subscriber, slow consumers, SSE id blocks, direct socket writes. */
#include "config.h"

#include "check_main.h"
#include "hub_ticks.h"

#include <sys/socket.h>
#include <unistd.h>

START_TEST(symbol_subscriber_gets_only_its_symbol)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_SSE, NULL, NULL);
    ck_assert_int_eq(hub_subscribe(hub, &c, "ETH"), 1);
    ck_assert_int_eq(hub_subscribe(hub, &c, "ETH"), 0);
    ck_assert_int_eq(publish(hub), 0);
    char *s = contents(out);
    ck_assert_ptr_nonnull(strstr(s, "event: price-update\n"));
    ck_assert_ptr_nonnull(strstr(s, "\"symbol\":\"ETH\""));
    ck_assert_ptr_null(strstr(s, "BTC"));
    free(s);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

START_TEST(star_subscriber_gets_one_bulk_frame_per_tick)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_WS, NULL, NULL);
    hub_subscribe(hub, &c, "*");
    hub_subscribe(hub, &c, "BTC");
    publish(hub);
    char *s = contents(out);
    ck_assert_uint_eq((unsigned char)s[0], 0x81); /* one final text frame */
    ck_assert_ptr_nonnull(strstr(s, "\"event\":\"price-update-bulk\""));
    ck_assert_ptr_null(strstr(s, "\"event\":\"price-update\""));
    ck_assert_uint_eq(hub_get_stats(hub)->messages_out, 1);
    free(s);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

START_TEST(bad_tick_is_rejected_whole)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_WS, NULL, NULL);
    hub_subscribe(hub, &c, "*");
    const char *bad = "{\"id\":\"1-0\",\"ts\":1,\"prices\":[{\"symbol\":\"BTC\",\"price\":\"x\"}]}";
    char err[128];
    ck_assert_int_eq(hub_publish_tick(hub, bad, strlen(bad), err, sizeof err), CP_EINVAL);
    ck_assert_int_eq(hub_publish_tick(hub, "nope", 4, err, sizeof err), CP_EINVAL);
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    ck_assert_uint_eq(hub_get_stats(hub)->bad_ticks, 2);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

/* Found reading hub.c for fuzz/tick.c, whose regression replays it: a
 * negative ts overflowed each message's latency (now - ts), undefined
 * behaviour that UBSan reports. */
START_TEST(tick_with_negative_ts_is_rejected)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_WS, NULL, NULL);
    hub_subscribe(hub, &c, "*");
    const char *text = "{\"id\":\"1-0\",\"ts\":-9223372036854775808,\"prices\":[]}";
    char err[128];
    ck_assert_int_eq(hub_publish_tick(hub, text, strlen(text), err, sizeof err), CP_EINVAL);
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

static int overflow_calls;
static void count_overflow(struct hub_client *c, void *arg)
{
    overflow_calls++;
}

START_TEST(client_past_output_limit_is_reported_once)
{
    struct hub *hub = new_hub(100, 100, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_WS, count_overflow, NULL);
    hub_subscribe(hub, &c, "*");
    overflow_calls = 0;
    publish(hub);
    publish(hub);
    ck_assert_int_eq(overflow_calls, 1);
    ck_assert(c.overflowed);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

/* Like the gateway: the overflow handler unsubscribes at once. */
static struct hub *clearing_hub;
static void clear_on_overflow(struct hub_client *c, void *arg)
{
    hub_client_clear(clearing_hub, c);
}

START_TEST(overflow_handler_may_unsubscribe_during_fan_out)
{
    struct hub *hub = clearing_hub = new_hub(100, 100, 60000);
    struct evbuffer *out[3];
    struct hub_client c[3];
    for (int i = 0; i < 3; i++) {
        out[i] = evbuffer_new();
        hub_client_init(&c[i], out[i], MSG_WS, i == 1 ? clear_on_overflow : NULL, NULL);
        hub_subscribe(hub, &c[i], "BTC");
    }
    evbuffer_add(out[1], next_tick(), 150); /* the middle client is past the limit */
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_eq(hub_channel_size(hub, "BTC"), 2);
    ck_assert_uint_gt(evbuffer_get_length(out[0]), 0);
    ck_assert_uint_gt(evbuffer_get_length(out[2]), 0);
    free_clients(hub, c, out, 3);
}
END_TEST

/* Many subscribers, a third of them dropped (and unsubscribed) during one
 * fan-out, then most of the rest leaving (the channel's array shrinks):
 * every client still subscribed gets each tick once, none twice. */
START_TEST(every_subscriber_gets_each_tick_once_while_others_leave)
{
    enum { N = 300 };
    struct hub *hub = clearing_hub = new_hub(100, 100, 60000);
    static struct evbuffer *out[N];
    static struct hub_client c[N];
    for (int i = 0; i < N; i++) {
        out[i] = evbuffer_new();
        hub_client_init(&c[i], out[i], MSG_WS, i % 3 == 1 ? clear_on_overflow : NULL, NULL);
        hub_subscribe(hub, &c[i], "BTC");
        if (i % 3 == 1)
            evbuffer_add(out[i], next_tick(), 150); /* past the limit */
    }
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_eq(hub_channel_size(hub, "BTC"), N - N / 3);
    ck_assert_uint_eq(hub_get_stats(hub)->messages_out, N - N / 3);
    size_t one = evbuffer_get_length(out[0]);
    ck_assert_uint_gt(one, 0);
    for (int i = 0; i < N; i++) {
        if (i % 3 != 1)
            ck_assert_uint_eq(evbuffer_get_length(out[i]), one);
        evbuffer_drain(out[i], evbuffer_get_length(out[i]));
    }
    for (int i = 0; i < N - 10; i++)
        hub_client_clear(hub, &c[i]);
    ck_assert_int_eq(publish(hub), 0);
    for (int i = 0; i < N; i++)
        ck_assert_uint_eq(evbuffer_get_length(out[i]), i >= N - 10 && i % 3 != 1 ? one : 0);
    free_clients(hub, c, out, N);
}
END_TEST

/* One walk serves every kind of subscriber: "*" gets the bulk message, a
 * client on one symbol that symbol's, a client on several gets each of
 * them in the tick's order (not the order it subscribed in), and a client
 * that left every channel, or joined again, is served accordingly. */
START_TEST(one_walk_gives_each_subscriber_its_channels_in_tick_order)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    enum { STAR, BTC, BOTH, GONE, BACK, N };
    struct evbuffer *out[N];
    struct hub_client c[N];
    for (int i = 0; i < N; i++) {
        out[i] = evbuffer_new();
        hub_client_init(&c[i], out[i], MSG_SSE, NULL, NULL); /* text: strstr() reads it */
    }
    hub_subscribe(hub, &c[STAR], "*");
    hub_subscribe(hub, &c[BTC], "BTC");
    hub_subscribe(hub, &c[BOTH], "ETH"); /* ETH first; the tick has BTC first */
    hub_subscribe(hub, &c[BOTH], "BTC");
    hub_subscribe(hub, &c[GONE], "ETH");
    hub_unsubscribe(hub, &c[GONE], "ETH");
    hub_subscribe(hub, &c[BACK], "ETH");
    hub_unsubscribe(hub, &c[BACK], "*");
    hub_subscribe(hub, &c[BACK], "ETH");
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_eq(hub_get_stats(hub)->messages_out, 5);

    char *s = contents(out[STAR]);
    ck_assert_ptr_nonnull(strstr(s, "event: price-update-bulk\n"));
    ck_assert_ptr_null(strstr(s, "event: price-update\n"));
    free(s);
    s = contents(out[BTC]);
    ck_assert_ptr_nonnull(strstr(s, "\"symbol\":\"BTC\""));
    ck_assert_ptr_null(strstr(s, "ETH"));
    free(s);
    s = contents(out[BOTH]);
    char *btc = strstr(s, "\"symbol\":\"BTC\""), *eth = strstr(s, "\"symbol\":\"ETH\"");
    ck_assert_ptr_nonnull(btc);
    ck_assert_ptr_nonnull(eth);
    ck_assert(btc < eth);
    free(s);
    ck_assert_uint_eq(evbuffer_get_length(out[GONE]), 0);
    s = contents(out[BACK]);
    ck_assert_ptr_nonnull(strstr(s, "\"symbol\":\"ETH\""));
    ck_assert_ptr_null(strstr(s, "BTC"));
    free(s);
    free_clients(hub, c, out, N);
}
END_TEST

/* A client on several channels that overflows on the first of them (its
 * handler unsubscribes it from all) gets nothing more of the tick, and the
 * others on the same channels still get theirs. */
START_TEST(client_dropped_midway_through_its_channels_gets_no_more)
{
    struct hub *hub = clearing_hub = new_hub(1000, 1000, 60000);
    struct evbuffer *out[3];
    struct hub_client c[3];
    static char full[1500];
    for (int i = 0; i < 3; i++) {
        out[i] = evbuffer_new();
        hub_client_init(&c[i], out[i], MSG_WS, i == 1 ? clear_on_overflow : NULL, NULL);
        hub_subscribe(hub, &c[i], "BTC");
        hub_subscribe(hub, &c[i], "ETH");
    }
    evbuffer_add(out[1], full, sizeof full); /* past the limit */
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_eq(evbuffer_get_length(out[1]), sizeof full);
    ck_assert_int_eq(hub_client_has(&c[1], "ETH"), 0);
    ck_assert_uint_eq(hub_channel_size(hub, "BTC"), 2);
    ck_assert_uint_eq(hub_channel_size(hub, "ETH"), 2);
    ck_assert_uint_eq(hub_get_stats(hub)->messages_out, 4);
    ck_assert_uint_eq(evbuffer_get_length(out[0]), evbuffer_get_length(out[2]));
    free_clients(hub, c, out, 3);
}
END_TEST

/* Nearly every subscriber dropped in one tick: the subscriber array shrinks
 * (realloc) under the walk, which must go on in the new one (found by a
 * fresh-user run under ASan; valgrind and ASan see a read of the old). */
START_TEST(mass_drop_during_one_walk_shrinks_the_array_safely)
{
    enum { N = 300, KEEP = 10 };
    struct hub *hub = clearing_hub = new_hub(100, 100, 60000);
    static struct evbuffer *out[N];
    static struct hub_client c[N];
    for (int i = 0; i < N; i++) {
        out[i] = evbuffer_new();
        hub_client_init(&c[i], out[i], MSG_WS, i < KEEP ? NULL : clear_on_overflow, NULL);
        hub_subscribe(hub, &c[i], "*");
        if (i >= KEEP)
            evbuffer_add(out[i], next_tick(), 150); /* past the limit */
    }
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_eq(hub_channel_size(hub, "*"), KEEP);
    ck_assert_uint_eq(hub_get_stats(hub)->messages_out, KEEP);
    for (int i = 0; i < KEEP; i++)
        ck_assert_uint_gt(evbuffer_get_length(out[i]), 0);
    free_clients(hub, c, out, N);
}
END_TEST

/* A client whose owner counts its queued bytes is judged by that count,
 * without the buffer being read. */
START_TEST(counted_queue_is_what_the_limits_judge)
{
    struct hub *hub = new_hub(100, 1000, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_WS, count_overflow, NULL);
    hub_subscribe(hub, &c, "*");
    hub_client_count_queued(&c, 5000); /* past the hard limit; the buffer is empty */
    overflow_calls = 0;
    publish(hub);
    ck_assert_int_eq(overflow_calls, 1);
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

START_TEST(slow_client_gets_latest_prices_not_a_backlog)
{
    struct hub *hub = new_hub(100, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_WS, count_overflow, NULL);
    hub_subscribe(hub, &c, "*");
    overflow_calls = 0;
    for (int i = 0; i < 5; i++)
        publish(hub);
    ck_assert(c.conflating);
    ck_assert_uint_eq(hub_get_stats(hub)->messages_out, 1); /* only the first */
    ck_assert_uint_eq(hub_get_stats(hub)->conflations, 1);
    ck_assert_uint_eq(hub_get_stats(hub)->conflated, 4);
    evbuffer_drain(out, evbuffer_get_length(out)); /* the client caught up */
    hub_client_catch_up(hub, &c);
    ck_assert(!c.conflating);
    char *s = contents(out);
    ck_assert_ptr_nonnull(strstr(s, "\"price-update-bulk\""));
    ck_assert_ptr_nonnull(strstr(s, "\"BTC\""));
    ck_assert_ptr_nonnull(strstr(s, "\"ETH\""));
    free(s);
    ck_assert_int_eq(overflow_calls, 0);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

START_TEST(client_conflating_past_the_stall_limit_is_dropped)
{
    struct hub *hub = new_hub(100, 1 << 20, -1);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_SSE, count_overflow, NULL);
    hub_subscribe(hub, &c, "BTC");
    overflow_calls = 0;
    for (int i = 0; i < 3; i++)
        publish(hub);
    ck_assert_int_eq(overflow_calls, 1);
    ck_assert(c.overflowed);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

START_TEST(stale_duplicate_and_future_ticks_are_rejected)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    char err[128];
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_int_eq(hub_publish_tick(hub, tick, strlen(tick), err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "stale or duplicate"));
    char future[512];
    snprintf(future, sizeof future, tick_format, 999999999, 999999999, 999999999);
    strcpy(strstr(future, "999999999-0"), "9999999999999-0\",\"ts\":5,\"prices\":[]}");
    ck_assert_int_eq(hub_publish_tick(hub, future, strlen(future), err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "future"));
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_eq(hub_get_stats(hub)->bad_ticks, 2);
    hub_free(hub);
}
END_TEST

/* Read what the socket fd holds now, without waiting, onto b. */
static void read_available(int fd, struct evbuffer *b)
{
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
        evbuffer_add(b, buf, (size_t)n);
}

/* A "*" subscriber of a new hub whose ticks may go straight to one end of
 * a socket pair (sndbuf > 0: that end's SO_SNDBUF); read the other end. */
struct socket_client {
    struct hub *hub;
    struct evbuffer *out, *got;
    int sv[2];
    struct hub_client c;
};

static void socket_client_open(struct socket_client *t, int sndbuf)
{
    t->hub = new_hub(1 << 20, 1 << 20, 60000);
    t->out = evbuffer_new();
    t->got = evbuffer_new();
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, t->sv), 0);
    if (sndbuf > 0)
        setsockopt(t->sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    hub_client_init(&t->c, t->out, MSG_SSE, NULL, NULL);
    hub_client_set_socket(&t->c, t->sv[0]);
    hub_subscribe(t->hub, &t->c, "*");
}

static void socket_client_close(struct socket_client *t)
{
    hub_client_clear(t->hub, &t->c);
    close(t->sv[0]);
    close(t->sv[1]);
    evbuffer_free(t->out);
    evbuffer_free(t->got);
    hub_free(t->hub);
}

START_TEST(direct_write_sends_to_the_socket_and_queues_nothing)
{
    struct socket_client t;
    socket_client_open(&t, 0);
    struct hub *hub = t.hub;
    struct evbuffer *out = t.out, *got = t.got;
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    read_available(t.sv[1], got);
    char *s = contents(got);
    ck_assert_ptr_nonnull(strstr(s, "event: price-update-bulk\n"));
    ck_assert_uint_eq(hub_get_stats(hub)->bytes_out, strlen(s));
    free(s);
    /* Bytes already queued (say a reply) keep their place: the tick goes
     * behind them on out, not past them on the socket. */
    hub_set_batch(hub, 2);
    evbuffer_add(out, "reply\n", 6);
    ck_assert_int_eq(publish(hub), 0);
    evbuffer_drain(got, evbuffer_get_length(got));
    read_available(t.sv[1], got);
    ck_assert_uint_eq(evbuffer_get_length(got), 0);
    s = contents(out);
    ck_assert_msg(strncmp(s, "reply\nid: ", 10) == 0, "out holds: %.40s", s);
    free(s);
    socket_client_close(&t);
}
END_TEST

/* A burst: the ticks of one batch (one loop turn) after the first wait on
 * out and leave together, one write for the rest rather than one each. */
START_TEST(ticks_of_one_batch_take_one_direct_write)
{
    struct socket_client t;
    socket_client_open(&t, 0);
    struct hub *hub = t.hub;
    struct evbuffer *out = t.out, *got = t.got;
    hub_set_batch(hub, 7);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(publish(hub), 0);
    read_available(t.sv[1], got);
    char *direct = contents(got), *queued = contents(out);
    ck_assert_ptr_nonnull(strstr(direct, "price-update-bulk"));
    ck_assert_ptr_null(strstr(strstr(direct, "price-update-bulk") + 1, "price-update-bulk"));
    char second[32];
    snprintf(second, sizeof second, "id: %d-0\n", tick_seq - 1);
    ck_assert_int_eq(strncmp(queued, second, strlen(second)), 0);
    ck_assert_ptr_nonnull(strstr(queued + 1, "\n\nid: "));
    free(direct);
    free(queued);
    /* The next batch writes directly again, once out has drained. */
    evbuffer_drain(out, evbuffer_get_length(out));
    hub_set_batch(hub, 8);
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    socket_client_close(&t);
}
END_TEST

/* A socket that fills up mid-message: what it took plus what was queued is
 * every message, whole and in order. */
START_TEST(full_socket_leaves_the_rest_queued_in_order)
{
    struct socket_client t;
    socket_client_open(&t, 4096);
    struct hub *hub = t.hub;
    struct evbuffer *out = t.out, *got = t.got;
    int first = tick_seq + 1;
    for (int i = 0; i < 100; i++) {
        hub_set_batch(hub, 100 + (uint64_t)i); /* one tick per loop turn */
        ck_assert_int_eq(publish(hub), 0);
    }
    ck_assert_uint_gt(evbuffer_get_length(out), 0); /* the socket did fill */
    read_available(t.sv[1], got);
    ck_assert_uint_gt(evbuffer_get_length(got), 0);
    evbuffer_add_buffer(got, out);
    char *s = contents(got), *p = s;
    for (int id = first; id <= tick_seq; id++) {
        char want[64];
        snprintf(want, sizeof want, "id: %d-0\nevent: price-update-bulk\ndata: {", id);
        ck_assert_msg(strncmp(p, want, strlen(want)) == 0, "event of tick %d", id);
        p = strstr(p, "\n\n");
        ck_assert_ptr_nonnull(p);
        p += 2;
    }
    ck_assert_str_eq(p, "");
    free(s);
    socket_client_close(&t);
}
END_TEST

/* docs/PROTOCOL.md §3, ids and whole ticks: on a stream of several symbols the
 * tick's events carry no id and one id-only block follows them. */
START_TEST(sse_stream_of_several_symbols_gets_the_id_after_the_tick)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_SSE, NULL, NULL);
    hub_subscribe(hub, &c, "BTC");
    hub_subscribe(hub, &c, "ETH");
    ck_assert_int_eq(publish(hub), 0);
    char *s = contents(out);
    char want[64];
    snprintf(want, sizeof want, "\n\nid: %d-0\n\n", tick_seq);
    ck_assert_msg(strncmp(s, "event: price-update\ndata: {\"symbol\":\"BTC\"", 41) == 0, "%s", s);
    ck_assert_ptr_nonnull(strstr(s, "\n\nevent: price-update\ndata: {\"symbol\":\"ETH\""));
    /* One id line in all, in the block that ends the output. */
    ck_assert_ptr_eq(strstr(s, "id: "), s + strlen(s) - strlen(want) + 2);
    ck_assert_str_eq(s + strlen(s) - strlen(want), want);
    ck_assert_uint_eq(hub_get_stats(hub)->messages_out, 2); /* the block is no message */
    free(s);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

/* One symbol, one event per tick: it is the whole tick and keeps its id;
 * WebSocket frames and "*" bulk events are untouched. */
START_TEST(single_event_of_a_tick_keeps_its_id)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct evbuffer *one = evbuffer_new(), *all = evbuffer_new(), *ws = evbuffer_new();
    struct hub_client a, b, w;
    hub_client_init(&a, one, MSG_SSE, NULL, NULL);
    hub_client_init(&b, all, MSG_SSE, NULL, NULL);
    hub_client_init(&w, ws, MSG_WS, NULL, NULL);
    hub_subscribe(hub, &a, "ETH");
    hub_subscribe(hub, &b, "*");
    hub_subscribe(hub, &w, "BTC");
    hub_subscribe(hub, &w, "ETH");
    publish(hub);
    char want[32];
    snprintf(want, sizeof want, "id: %d-0\nevent: ", tick_seq);
    char *s = contents(one), *t = contents(all), *u = contents(ws);
    ck_assert_msg(strncmp(s, want, strlen(want)) == 0, "%s", s);
    ck_assert_ptr_null(strstr(s + 1, "id: "));
    ck_assert_msg(strncmp(t, want, strlen(want)) == 0, "%s", t);
    ck_assert_ptr_nonnull(strstr(t, "event: price-update-bulk\n"));
    ck_assert_ptr_null(strstr(u, "id: "));
    ck_assert_uint_eq((unsigned char)u[0], 0x81);
    free(s);
    free(t);
    free(u);
    hub_client_clear(hub, &a);
    hub_client_clear(hub, &b);
    hub_client_clear(hub, &w);
    evbuffer_free(one);
    evbuffer_free(all);
    evbuffer_free(ws);
    hub_free(hub);
}
END_TEST

/* A stream that begins conflating inside a tick has not got all of it: no
 * id block, and its catch-up puts the id on its last event only. */
START_TEST(conflating_sse_stream_gets_the_id_with_its_catch_up)
{
    struct hub *hub = new_hub(100, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_SSE, NULL, NULL);
    hub_subscribe(hub, &c, "BTC");
    hub_subscribe(hub, &c, "ETH");
    publish(hub); /* BTC goes out, ETH finds the output past 100 bytes */
    ck_assert(c.conflating);
    char *s = contents(out);
    ck_assert_ptr_null(strstr(s, "id: "));
    free(s);
    evbuffer_drain(out, evbuffer_get_length(out));
    hub_client_catch_up(hub, &c);
    s = contents(out);
    char want[32];
    snprintf(want, sizeof want, "id: %d-0\n", tick_seq);
    const char *id = strstr(s, "id: ");
    ck_assert_ptr_nonnull(id);
    ck_assert_msg(strncmp(id, want, strlen(want)) == 0, "%s", s);
    ck_assert_ptr_null(strstr(id + 1, "id: "));
    ck_assert_ptr_nonnull(strstr(s, "\"BTC\""));
    ck_assert(strstr(s, "\"BTC\"") < id); /* on ETH's event, the last */
    ck_assert(strstr(s, "\"ETH\"") > id);
    free(s);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

/* Only the fields the contract defines reach clients (docs/PROTOCOL.md §2). */
START_TEST(unknown_fields_of_a_tick_are_not_passed_on)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_WS, NULL, NULL);
    hub_subscribe(hub, &c, "*");
    const char *t = "{\"id\":\"9000-0\",\"ts\":5,\"junk\":[1,2],\"prices\":[{\"symbol\":\"BTC\","
                    "\"price\":1.5,\"change24h\":1,\"volume24h\":2,\"high24h\":3,\"low24h\":1,"
                    "\"ts\":5,\"id\":\"9000-0\",\"extra\":\"xxxxxxxx\",\"stale\":false,"
                    "\"sources\":[\"binance\",\"kraken\"]}]}";
    char err[128];
    ck_assert_int_eq(hub_publish_tick(hub, t, strlen(t), err, sizeof err), 0);
    char *frame = contents(out), *s = frame + 4; /* past the 4-byte header */
    ck_assert_uint_eq((unsigned char)frame[1], 126);
    ck_assert_ptr_null(strstr(s, "junk"));
    ck_assert_ptr_null(strstr(s, "extra"));
    ck_assert_msg(strstr(s, "\"sources\":[\"binance\",\"kraken\"],\"stale\":false}"), "%s", s);
    free(frame);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

/* MAX_TICK_BYTES: a tick over it is skipped and counted, the next one goes. */
START_TEST(tick_over_max_tick_bytes_is_skipped)
{
    struct hub_limits limits = {1 << 20, 1 << 20, 60000, 600};
    struct hub *hub = hub_new(&limits, NULL);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_WS, NULL, NULL);
    hub_subscribe(hub, &c, "*");
    char big[1024], err[128];
    next_tick();
    snprintf(big, sizeof big, "%.*s,\"pad\":\"%0400d\"}", (int)strlen(tick) - 1, tick, 0);
    ck_assert_int_gt(strlen(big), 600);
    ck_assert_int_eq(hub_publish_tick(hub, big, strlen(big), err, sizeof err), CP_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "MAX_TICK_BYTES"));
    ck_assert_uint_eq(hub_get_stats(hub)->bad_ticks, 1);
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_gt(evbuffer_get_length(out), 0);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

/* c, an SSE client on "*" whose live ticks are held off while history is
 * replayed (hub_client_pause()). */
static void replaying_client(struct hub *hub, struct hub_client *c, struct evbuffer *out)
{
    hub_client_init(c, out, MSG_SSE, NULL, NULL);
    hub_subscribe(hub, c, "*");
    hub_client_pause(c);
}

/* The replay sent the ticks up to ahead past the last one published: c goes
 * live after it; *next is the id line of the first tick it should get. */
static void resume_ahead(struct hub *hub, struct hub_client *c, int ahead, char *next, size_t len)
{
    char through[32];
    snprintf(through, sizeof through, "%d-0", tick_seq + ahead);
    snprintf(next, len, "id: %d-0\n", tick_seq + ahead + 1);
    hub_client_resume(hub, c, through);
}

/* out starts with the id line next and holds no other. */
static void assert_only_tick(struct evbuffer *out, const char *next)
{
    char *s = contents(out);
    ck_assert_msg(strncmp(s, next, strlen(next)) == 0, "%s", s);
    ck_assert_ptr_null(strstr(s + 1, "id: "));
    free(s);
}

/* Resume (docs/PROTOCOL.md §3): live ticks wait while history is replayed, and
 * those the replay already sent are not sent twice. */
START_TEST(replay_holds_live_ticks_off_and_skips_what_it_sent)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    replaying_client(hub, &c, out);
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    char next[32];
    resume_ahead(hub, &c, 2, next, sizeof next); /* two ticks ahead of the hub */
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    ck_assert_int_eq(publish(hub), 0);
    assert_only_tick(out, next);
    /* Paused and resumed with nothing replayed: the next tick goes out. */
    evbuffer_drain(out, evbuffer_get_length(out));
    hub_client_pause(&c);
    hub_client_resume(hub, &c, NULL);
    ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_gt(evbuffer_get_length(out), 0);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

/* A worker just started has fanned out nothing, and the replay from the
 * history stream may hold ticks its live feed brings next: they are not
 * sent twice either. */
START_TEST(a_replay_before_any_live_tick_is_not_sent_again)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    replaying_client(hub, &c, out);
    char next[32];
    resume_ahead(hub, &c, 1, next, sizeof next);
    ck_assert_str_eq(hub_last_id(hub), ""); /* nothing fanned out yet */
    ck_assert_int_eq(publish(hub), 0);      /* the tick the replay sent */
    ck_assert_uint_eq(evbuffer_get_length(out), 0);
    ck_assert_int_eq(publish(hub), 0);
    assert_only_tick(out, next);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

static Suite *hub_fanout_suite(void)
{
    Suite *s = suite_create("hub_fanout");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, symbol_subscriber_gets_only_its_symbol);
    tcase_add_test(tc, star_subscriber_gets_one_bulk_frame_per_tick);
    tcase_add_test(tc, bad_tick_is_rejected_whole);
    tcase_add_test(tc, tick_with_negative_ts_is_rejected);
    tcase_add_test(tc, client_past_output_limit_is_reported_once);
    tcase_add_test(tc, overflow_handler_may_unsubscribe_during_fan_out);
    tcase_add_test(tc, slow_client_gets_latest_prices_not_a_backlog);
    tcase_add_test(tc, client_conflating_past_the_stall_limit_is_dropped);
    tcase_add_test(tc, stale_duplicate_and_future_ticks_are_rejected);
    tcase_add_test(tc, direct_write_sends_to_the_socket_and_queues_nothing);
    tcase_add_test(tc, ticks_of_one_batch_take_one_direct_write);
    tcase_add_test(tc, full_socket_leaves_the_rest_queued_in_order);
    tcase_add_test(tc, sse_stream_of_several_symbols_gets_the_id_after_the_tick);
    tcase_add_test(tc, single_event_of_a_tick_keeps_its_id);
    tcase_add_test(tc, conflating_sse_stream_gets_the_id_with_its_catch_up);
    tcase_add_test(tc, unknown_fields_of_a_tick_are_not_passed_on);
    tcase_add_test(tc, tick_over_max_tick_bytes_is_skipped);
    tcase_add_test(tc, replay_holds_live_ticks_off_and_skips_what_it_sent);
    tcase_add_test(tc, a_replay_before_any_live_tick_is_not_sent_again);
    tcase_add_test(tc, every_subscriber_gets_each_tick_once_while_others_leave);
    tcase_add_test(tc, one_walk_gives_each_subscriber_its_channels_in_tick_order);
    tcase_add_test(tc, client_dropped_midway_through_its_channels_gets_no_more);
    tcase_add_test(tc, mass_drop_during_one_walk_shrinks_the_array_safely);
    tcase_add_test(tc, counted_queue_is_what_the_limits_judge);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(hub_fanout_suite)
