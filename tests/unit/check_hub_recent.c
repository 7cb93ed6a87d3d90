/* check_hub_recent: gateway/hub_recent.c — the newest ticks the hub holds
 * for resumes: none before the subscription is up and anchored to the
 * history stream, the anchor's entries joined with the ticks fanned out
 * since the open, at most HUB_RECENT_TICKS, forgotten when the
 * subscription goes down. */
#include "config.h"

#include "check_main.h"
#include "hub_ticks.h"
#include "price.h"

/* What hub_recent_after() gave: the ids, comma-separated, and for each
 * tick whether its text is the tick as JSON. */
struct seen {
    char ids[4096];
    int n;
};

static void collect(json_t *t, const char *text, const char *id, void *arg)
{
    struct seen *s = arg;
    ck_assert_str_eq(json_string_value(json_object_get(t, "id")), id);
    json_t *parsed = json_loads(text, 0, NULL);
    ck_assert_msg(json_equal(parsed, t), "text %s is not the tick", text);
    json_decref(parsed);
    size_t len = strlen(s->ids);
    snprintf(s->ids + len, sizeof s->ids - len, "%s%s", len ? "," : "", id);
    s->n++;
}

/* hub_recent_after(since), its answer and the ids it gave. */
static bool after(struct hub *hub, const char *since, struct seen *s)
{
    memset(s, 0, sizeof *s);
    return hub_recent_after(hub, since, collect, s);
}

/* History entries as an XREVRANGE gives them, oldest first: ids "<ms>-0"
 * for ms in [from, to], ticks in the feeder's form. */
struct entries {
    char id[8][32];
    char text[8][512];
    const char *ids[8], *texts[8];
    size_t lens[8];
    size_t n;
};

static void entries(struct entries *e, int from, int to)
{
    memset(e, 0, sizeof *e);
    for (int ms = from; ms <= to; ms++, e->n++) {
        snprintf(e->id[e->n], sizeof e->id[e->n], "%d-0", ms);
        snprintf(e->text[e->n], sizeof e->text[e->n], tick_format, ms, ms, ms);
        e->ids[e->n] = e->id[e->n];
        e->texts[e->n] = e->text[e->n];
        e->lens[e->n] = strlen(e->text[e->n]);
    }
}

static bool anchor(struct hub *hub, uint64_t gen, const struct entries *e)
{
    return hub_recent_anchor(hub, gen, e->ids, e->texts, e->lens, e->n);
}

START_TEST(nothing_is_vouched_for_before_the_anchor)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct seen s;
    publish(hub); /* subscription not up: not held */
    uint64_t gen = hub_recent_open(hub);
    publish(hub);
    char id[32];
    snprintf(id, sizeof id, "%d-0", tick_seq);
    ck_assert(!after(hub, id, &s)); /* held, but no anchor yet */
    ck_assert_int_eq(s.n, 0);
    ck_assert_uint_eq(hub_recent_count(hub), 0);
    struct entries e;
    entries(&e, tick_seq, tick_seq); /* the stream's newest is that tick */
    ck_assert(anchor(hub, gen, &e));
    ck_assert_uint_eq(hub_recent_count(hub), 1);
    ck_assert(after(hub, id, &s)); /* the newest: nothing after it */
    ck_assert_int_eq(s.n, 0);
    hub_free(hub);
}
END_TEST

/* Entries read from the stream, then the ticks fanned out since the open
 * that are newer than the newest entry: one sequence, none twice. */
START_TEST(the_anchor_joins_history_and_the_ticks_since_the_open)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    tick_seq = 100;
    uint64_t gen = hub_recent_open(hub);
    publish(hub); /* 101: also in the read below */
    publish(hub); /* 102: published after the read */
    struct entries e;
    entries(&e, 98, 101);
    ck_assert(anchor(hub, gen, &e));
    publish(hub); /* 103 */
    struct seen s;
    ck_assert(after(hub, "99-0", &s));
    ck_assert_str_eq(s.ids, "100-0,101-0,102-0,103-0");
    ck_assert(after(hub, "102-0", &s));
    ck_assert_str_eq(s.ids, "103-0");
    ck_assert(!after(hub, "97-0", &s));  /* older than what is held */
    ck_assert(!after(hub, "104-0", &s)); /* not fanned out here (yet) */
    ck_assert(!after(hub, "100-5", &s)); /* unknown */
    ck_assert(!after(hub, NULL, &s));
    ck_assert_uint_eq(hub_recent_count(hub), 6);
    hub_free(hub);
}
END_TEST

/* An entry that is not a valid tick is left out, as the fan-out leaves it
 * out: a resume from the entry before it skips it. */
START_TEST(entries_that_are_not_ticks_are_skipped)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    uint64_t gen = hub_recent_open(hub);
    struct entries e;
    entries(&e, 200, 203);
    snprintf(e.text[1], sizeof e.text[1], "{\"id\":\"201-0\",\"ts\":5}"); /* no prices */
    e.lens[1] = strlen(e.text[1]);
    snprintf(e.text[2], sizeof e.text[2], tick_format, 999, 999, 999); /* not its id */
    e.lens[2] = strlen(e.text[2]);
    ck_assert(anchor(hub, gen, &e));
    struct seen s;
    ck_assert(after(hub, "200-0", &s));
    ck_assert_str_eq(s.ids, "203-0");
    ck_assert_uint_eq(hub_recent_count(hub), 2);
    hub_free(hub);
}
END_TEST

/* A read asked for an older subscription anchors nothing; a close forgets
 * every tick held. */
START_TEST(a_stale_anchor_is_refused_and_a_close_forgets)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct entries e;
    entries(&e, 300, 302);
    uint64_t old = hub_recent_open(hub);
    uint64_t gen = hub_recent_open(hub); /* subscribed again */
    ck_assert(!anchor(hub, old, &e));
    ck_assert_uint_eq(hub_recent_count(hub), 0);
    ck_assert(anchor(hub, gen, &e));
    struct seen s;
    ck_assert(after(hub, "300-0", &s));
    ck_assert_str_eq(s.ids, "301-0,302-0");
    hub_recent_close(hub);
    ck_assert(!after(hub, "300-0", &s));
    ck_assert(!anchor(hub, gen, &e)); /* the subscription is down */
    tick_seq = 400;
    publish(hub); /* not held while down */
    gen = hub_recent_open(hub);
    entries(&e, 401, 401);
    ck_assert(anchor(hub, gen, &e));
    ck_assert(!after(hub, "300-0", &s));
    ck_assert_uint_eq(hub_recent_count(hub), 1);
    hub_free(hub);
}
END_TEST

/* At most HUB_RECENT_TICKS: the oldest go first. */
START_TEST(only_the_newest_ticks_are_held)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    tick_seq = 1000;
    uint64_t gen = hub_recent_open(hub);
    struct entries e;
    entries(&e, 1000, 1000);
    ck_assert(anchor(hub, gen, &e));
    for (int i = 0; i < HUB_RECENT_TICKS + 5; i++)
        ck_assert_int_eq(publish(hub), 0);
    ck_assert_uint_eq(hub_recent_count(hub), HUB_RECENT_TICKS);
    struct seen s;
    char oldest[32], dropped[32];
    snprintf(oldest, sizeof oldest, "%d-0", tick_seq - HUB_RECENT_TICKS + 1);
    snprintf(dropped, sizeof dropped, "%d-0", tick_seq - HUB_RECENT_TICKS);
    ck_assert(!after(hub, dropped, &s));
    ck_assert(after(hub, oldest, &s));
    ck_assert_int_eq(s.n, HUB_RECENT_TICKS - 1);
    hub_free(hub);
}
END_TEST

/* A tick stored before the read and published after it comes both ways:
 * it is held once. */
START_TEST(a_tick_both_read_and_published_is_held_once)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    uint64_t gen = hub_recent_open(hub);
    struct entries e;
    entries(&e, 500, 502);
    ck_assert(anchor(hub, gen, &e));
    tick_seq = 501;
    ck_assert_int_eq(publish(hub), 0); /* 502, live: the hub had fanned out none */
    ck_assert_int_eq(publish(hub), 0); /* 503 */
    struct seen s;
    ck_assert(after(hub, "500-0", &s));
    ck_assert_str_eq(s.ids, "501-0,502-0,503-0");
    hub_free(hub);
}
END_TEST

/* More ticks than it holds came before the read's answer: the oldest are
 * gone, and the entries read are not joined to the rest across that gap
 * (they are the oldest, dropped for room in turn); what came since the
 * subscription is still whole. */
START_TEST(ticks_lost_before_the_anchor_are_not_bridged)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    tick_seq = 2000;
    uint64_t gen = hub_recent_open(hub);
    for (int i = 0; i < HUB_RECENT_TICKS + 3; i++)
        ck_assert_int_eq(publish(hub), 0); /* 2001 ... */
    struct entries e;
    entries(&e, 1998, 2001); /* read when 2001 was the newest */
    ck_assert(anchor(hub, gen, &e));
    struct seen s;
    ck_assert(!after(hub, "2000-0", &s));
    ck_assert(!after(hub, "2001-0", &s)); /* dropped for room */
    char oldest[32];
    snprintf(oldest, sizeof oldest, "%d-0", tick_seq - HUB_RECENT_TICKS + 1);
    ck_assert(after(hub, oldest, &s));
    ck_assert_int_eq(s.n, HUB_RECENT_TICKS - 1);
    ck_assert_uint_eq(hub_recent_count(hub), HUB_RECENT_TICKS);
    hub_free(hub);
}
END_TEST

static Suite *hub_recent_suite(void)
{
    Suite *s = suite_create("hub_recent");
    TCase *t = tcase_create("recent");
    tcase_add_test(t, nothing_is_vouched_for_before_the_anchor);
    tcase_add_test(t, the_anchor_joins_history_and_the_ticks_since_the_open);
    tcase_add_test(t, entries_that_are_not_ticks_are_skipped);
    tcase_add_test(t, a_stale_anchor_is_refused_and_a_close_forgets);
    tcase_add_test(t, only_the_newest_ticks_are_held);
    tcase_add_test(t, a_tick_both_read_and_published_is_held_once);
    tcase_add_test(t, ticks_lost_before_the_anchor_are_not_bridged);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(hub_recent_suite)
