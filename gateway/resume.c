#include "config.h"

#include "resume.h"

#include "cp_error.h"
#include "log.h"
#include "price.h"
#include "tickid.h"
#include "xalloc.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESUME_PAGE 200 /* stream entries per XRANGE */
/* Reads in a row that brought nothing while the hub has fanned out a
 * later tick, before the resume gives up and sends a marked snapshot. */
#define RESUME_EMPTY_READS_MAX 3

struct resume {
    struct conn *c;
    char after[PRICE_ID_MAX]; /* the last id the client has */
    bool first;               /* the first page also checks that id is in history */
    size_t skipped;           /* history entries that were not valid ticks */
    unsigned empty_reads;     /* pages in a row with nothing after `after` */
};

/* Go live; with snapshot, the client's resume point was not usable (unknown,
 * older than history, Redis away, or too much to replay): it gets the
 * current prices first instead, on SSE as a "snapshot" event so that it can
 * tell it missed ticks (docs/PROTOCOL.md §3), on WebSocket as a
 * price-update-bulk marked "snapshot": true (§2). */
static void finish(struct resume *rp, bool snapshot)
{
    struct conn *c = rp->c;
    c->resume = NULL;
    if (rp->skipped)
        log_info("a resume skipped %zu history entries that are not valid ticks", rp->skipped);
    if (snapshot)
        conn_emit_snapshot(c, c->kind == CONN_SSE ? "snapshot" : "price-update-bulk",
                           c->kind != CONN_SSE);
    hub_client_resume(c->ctx->hub, &c->pc.sub, snapshot ? NULL : rp->after);
    free(rp);
}

static void read_page(struct resume *rp, bool inclusive);

/* The history entries last read for resumes, decoded and cleaned once
 * and, for "*" subscribers, encoded once: in a reconnect storm every
 * client replays the same few entries, and decoding a tick (its floats
 * through strtod) and encoding it again for each was most of the
 * gateway's work (perf).  A stream entry's id names one entry for the
 * stream's life, so an id found here needs no new read of its text. */
#define RESUME_CACHE_ENTRIES 64

struct resume_cached {
    char id[PRICE_ID_MAX]; /* "" while the slot is empty */
    json_t *tick;          /* the cleaned tick; NULL: not a valid tick */
    char *bulk;            /* its JSON text (the bulk message's data) */
};

struct resume_cache {
    struct resume_cached slot[RESUME_CACHE_ENTRIES];
    size_t next; /* the slot replaced next (oldest first) */
    unsigned long long decoded;
};

/* e decoded, from the cache or into it (replacing its oldest entry). */
static const struct resume_cached *cached_entry(struct ctx *ctx, const struct rdb_entry *e)
{
    struct resume_cache *rc = ctx->resume_cache;
    if (!rc)
        rc = ctx->resume_cache = xcalloc(1, sizeof *rc);
    for (size_t i = 0; i < RESUME_CACHE_ENTRIES; i++)
        if (strcmp(rc->slot[i].id, e->id) == 0)
            return &rc->slot[i];
    struct resume_cached *s = &rc->slot[rc->next];
    rc->next = (rc->next + 1) % RESUME_CACHE_ENTRIES;
    json_decref(s->tick);
    free(s->bulk);
    char err[256];
    json_t *raw = json_loadb(e->tick, e->len, JSON_REJECT_DUPLICATES, NULL);
    s->tick = raw ? price_tick_clean(raw, err, sizeof err) : NULL;
    json_decref(raw);
    const char *id = json_string_value(json_object_get(s->tick, "id"));
    if (s->tick && (!id || strcmp(id, e->id) != 0)) {
        json_decref(s->tick);
        s->tick = NULL;
    }
    s->bulk = s->tick ? json_dumps(s->tick, PRICE_JSON_FLAGS) : NULL;
    snprintf(s->id, sizeof s->id, "%s", e->id); /* on_page's loop: shorter than PRICE_ID_MAX */
    rc->decoded++;
    return s;
}

unsigned long long resume_cache_decoded(const struct ctx *ctx)
{
    return ctx->resume_cache ? ctx->resume_cache->decoded : 0;
}

void resume_cache_free(struct ctx *ctx)
{
    struct resume_cache *rc = ctx->resume_cache;
    if (!rc)
        return;
    for (size_t i = 0; i < RESUME_CACHE_ENTRIES; i++) {
        json_decref(rc->slot[i].tick);
        free(rc->slot[i].bulk);
    }
    free(rc);
    ctx->resume_cache = NULL;
}

/* Emit one history entry to c as the live fan-out would have sent it; an
 * entry that is not a valid tick (or is over MAX_TICK_BYTES) is skipped
 * and counted, as the live fan-out skips it. */
static void emit_entry(struct resume *rp, const struct rdb_entry *e)
{
    struct conn *c = rp->c;
    const struct resume_cached *s =
        e->len <= (size_t)c->ctx->conf->max_tick_bytes ? cached_entry(c->ctx, e) : NULL;
    if (!s || !s->tick || !s->bulk)
        rp->skipped++;
    else if (c->pc.sub.all)
        conn_emit_text(c, "price-update-bulk", s->bulk, e->id);
    else
        conn_emit_tick(c, s->tick, e->id);
}

static void on_page(bool ok, const struct rdb_entry *e, size_t n, void *arg)
{
    struct resume *rp = arg;
    struct conn *c = rp->c;
    if (!conn_answer_arrived(c)) {
        c->resume = NULL;
        free(rp);
        return;
    }
    c->resume = rp;
    struct evbuffer *out = conn_output(c);
    size_t i = 0, advanced = 0;
    if (ok && rp->first) { /* the resume point itself must still be there */
        ok = n > 0 && strcmp(e[0].id, rp->after) == 0;
        i = 1;
    }
    /* Stop at the high-water mark: the rest of the page is read again from
     * the last entry sent once the output has drained (write_cb), so a long
     * replay never holds much more than OUTPUT_HIGH_WATER_BYTES, whatever
     * the size of its ticks. */
    bool full = false;
    for (; ok && i < n && !full && strlen(e[i].id) < sizeof rp->after; i++, advanced++) {
        emit_entry(rp, &e[i]);
        strcpy(rp->after, e[i].id); /* skipped or sent, never read again */
        full = evbuffer_get_length(out) > (size_t)c->ctx->conf->output_high_water_bytes;
    }
    if (!ok) {
        finish(rp, true);
        return;
    }
    rp->first = false;
    if (full)
        return;
    /* More pages, or live ticks that came while this page was read: the
     * hub held them off this client, so they are read from history (the
     * feeder stores a tick before it publishes it), also when this page
     * brought nothing new.  A tick the hub has that history keeps not
     * having (RESUME_EMPTY_READS_MAX reads) cannot be replayed: the client
     * gets the snapshot marked as such. */
    struct tickid a, b;
    bool behind = tickid_parse(hub_last_id(c->ctx->hub), &a) == CP_OK &&
                  tickid_parse(rp->after, &b) == CP_OK && tickid_after(a, b);
    rp->empty_reads = advanced ? 0 : rp->empty_reads + 1;
    if (behind && rp->empty_reads > RESUME_EMPTY_READS_MAX)
        finish(rp, true);
    else if (n < RESUME_PAGE && !behind)
        finish(rp, false);
    else
        read_page(rp, false);
}

void resume_continue(struct conn *c)
{
    if (c->resume && !c->pending)
        read_page(c->resume, false);
}

static void read_page(struct resume *rp, bool inclusive)
{
    if (rdb_ticks_from(rp->c->ctx->rdb, rp->after, inclusive, RESUME_PAGE, on_page, rp) != CP_OK) {
        finish(rp, true);
        return;
    }
    conn_await(rp->c);
}

void resume_start(struct conn *c, const char *last_id)
{
    struct tickid parsed;
    struct resume *rp = xcalloc(1, sizeof *rp);
    rp->c = c;
    rp->first = true;
    hub_client_pause(&c->pc.sub);
    if (!last_id || strlen(last_id) >= sizeof rp->after ||
        tickid_parse(last_id, &parsed) != CP_OK) {
        finish(rp, true);
        return;
    }
    strcpy(rp->after, last_id);
    read_page(rp, true);
}
