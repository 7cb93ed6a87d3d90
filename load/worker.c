/* worker: one load-tool process.  It follows the phase plan on its own
 * event loop: a 5 ms timer opens its share of the clients wanted (at most
 * --max-pending handshakes in flight, at most --rate per second over all
 * workers), closes the newest first when fewer are wanted, marks the
 * sustain phase, and sends its report to the parent every half second and
 * at the end (reports.h).  The clients themselves are client.c; the clocks
 * and cause names all processes share are load.c. */
#include "config.h"

#include "load.h"

#include "client.h"
#include "reports.h"
#include "strlist.h"
#include "ticktab.h"
#include "xalloc.h"

#include <event2/event.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

struct worker {
    const struct load_opts *o;
    int index, fd;
    struct event_base *base;
    struct event *timer;
    struct client_ctx cx;
    struct client *clients;
    int64_t nclients; /* slots: the most this worker ever opens */
    int64_t next;     /* next slot to open */
    int64_t start_mono;
    int64_t last_report;
    double rate_credit;
    int64_t last_timer;
    int sustain_state; /* 0 before, 1 in, 2 after */
};

static void send_report(struct worker *w, bool final)
{
    w->cx.r.magic = LOAD_REPORT_MAGIC;
    w->cx.r.final = final;
    w->cx.r.open = (uint64_t)w->cx.open;
    reports_send(w->fd, LOAD_MSG_REPORT, &w->cx.r, sizeof w->cx.r);
}

static void send_ticks(struct worker *w)
{
    if (!w->cx.ticks)
        return;
    size_t n;
    const struct load_tick *t = ticktab_pack(w->cx.ticks, &n);
    reports_send(w->fd, LOAD_MSG_TICKS, t, n * sizeof *t);
}

/* This worker's share of a global target: the clients whose global index
 * (slot * workers + index) is below it. */
static int64_t share(const struct worker *w, int64_t target)
{
    int64_t n = (target - w->index + w->o->workers - 1) / w->o->workers;
    return n < 0 ? 0 : n > w->nclients ? w->nclients : n;
}

static void mark_sustain(struct worker *w, int phase, int sustain)
{
    if (w->sustain_state == 0 && phase >= sustain) {
        w->sustain_state = 1;
        w->cx.r.sustain_messages = w->cx.r.messages;
        w->cx.r.sustain_bytes = w->cx.r.bytes_in;
        w->cx.r.sustain_prices = w->cx.r.prices;
    }
    if (w->sustain_state == 1 && phase > sustain) {
        w->sustain_state = 2;
        w->cx.r.sustain_messages = w->cx.r.messages - w->cx.r.sustain_messages;
        w->cx.r.sustain_bytes = w->cx.r.bytes_in - w->cx.r.sustain_bytes;
        w->cx.r.sustain_prices = w->cx.r.prices - w->cx.r.sustain_prices;
        uint64_t lo = UINT64_MAX, hi = 0, n = 0;
        for (int64_t i = 0; i < w->next; i++) {
            struct client *c = &w->clients[i];
            if (c->state != C_OPEN || !c->ready)
                continue;
            n++;
            lo = c->ticks < lo ? c->ticks : lo;
            hi = c->ticks > hi ? c->ticks : hi;
        }
        w->cx.r.clients_at_end = n;
        w->cx.r.min_ticks = n ? lo : 0;
        w->cx.r.max_ticks = hi;
    }
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    const struct load_opts *o = w->o;
    int64_t now = load_mono_ms();
    int phase;
    int64_t want = share(w, phase_target(&o->plan, now - w->start_mono, &phase));
    int sustain = phase_find(&o->plan, "sustain");
    mark_sustain(w, phase, sustain < 0 ? o->plan.n - 1 : sustain);
    if (o->rate > 0) {
        w->rate_credit += (double)(now - w->last_timer) * o->rate / 1000.0 / o->workers;
        if (w->rate_credit > o->rate)
            w->rate_credit = o->rate;
    }
    w->last_timer = now;
    /* Open: every slot below want that is idle; closed ones stay closed. */
    int64_t live = w->cx.open + w->cx.pending;
    while (w->next < want && w->cx.pending < o->max_pending &&
           (o->rate <= 0 || w->rate_credit >= 1)) {
        client_start(&w->cx, &w->clients[w->next++]);
        w->rate_credit -= 1;
    }
    /* Close: newest first, down to want. */
    for (int64_t i = w->next - 1; live > want && i >= 0; i--) {
        struct client *c = &w->clients[i];
        if (c->state == C_OPEN || c->state == C_HANDSHAKE || c->state == C_CONNECTING) {
            client_close(c);
            live--;
        }
        if (i == w->next - 1 && c->state == C_DONE && i >= want)
            w->next = i; /* may be reopened by a later phase */
    }
    if (phase >= o->plan.n) {
        send_report(w, true);
        send_ticks(w);
        event_base_loopbreak(w->base);
        return;
    }
    if (now - w->last_report >= 500) {
        w->last_report = now;
        send_report(w, false);
    }
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int load_worker_run(const struct load_opts *o, int index, int fd, int64_t start_mono_ms)
{
    raise_nofile();
    struct worker w = {.o = o, .index = index, .fd = fd, .start_mono = start_mono_ms};
    w.base = event_base_new();
    client_ctx_init(&w.cx, o, w.base, index);
    w.nclients = (o->plan.peak + o->workers - 1) / o->workers;
    w.clients = xcalloc((size_t)w.nclients + 1, sizeof *w.clients);
    for (int64_t i = 0; i < w.nclients; i++)
        w.clients[i].global = (uint32_t)(i * o->workers + index);
    w.timer = event_new(w.base, -1, EV_PERSIST, on_timer, &w);
    struct timeval tv = strlist_timeval_ms(5);
    int64_t wait = start_mono_ms - load_mono_ms();
    if (wait > 0)
        usleep((useconds_t)wait * 1000);
    w.last_timer = w.last_report = load_mono_ms();
    event_add(w.timer, &tv);
    event_base_dispatch(w.base);
    for (int64_t i = 0; i < w.nclients; i++)
        if (w.clients[i].state != C_DONE && w.clients[i].state != C_IDLE)
            client_end(&w.clients[i], -1);
    event_free(w.timer);
    client_ctx_free(&w.cx);
    event_base_free(w.base);
    free(w.clients);
    return 0;
}
