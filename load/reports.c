/* reports: the workers' pipe messages, read and merged by the parent; see
 * reports.h. */
#include "config.h"

#include "reports.h"

#include "cp_error.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the parent holds of one worker's pipe. */
struct worker_pipe {
    char *buf; /* bytes read, not yet a whole message */
    size_t len, cap;
    struct load_report last;
    bool have;
};

struct reports {
    int n;
    struct worker_pipe *w;
    struct load_tick *ticks;
    size_t nticks, tick_cap;
};

void reports_send(int fd, uint32_t type, const void *data, size_t len)
{
    uint32_t head[2] = {type, (uint32_t)len};
    struct iovec_like {
        const void *p;
        size_t n;
    } parts[2] = {{head, sizeof head}, {data, len}};
    for (int i = 0; i < 2; i++) {
        const char *p = parts[i].p;
        size_t n = parts[i].n;
        while (n) {
            ssize_t k = write(fd, p, n);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return; /* the parent is gone: nothing left to tell */
            p += k;
            n -= (size_t)k;
        }
    }
}

struct reports *reports_new(int workers)
{
    struct reports *r = xcalloc(1, sizeof *r);
    r->n = workers;
    r->w = xcalloc((size_t)workers, sizeof *r->w);
    return r;
}

void reports_free(struct reports *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++)
        free(r->w[i].buf);
    free(r->w);
    free(r->ticks);
    free(r);
}

static void take_message(struct reports *r, struct worker_pipe *wp, uint32_t type, const char *data,
                         uint32_t len)
{
    if (type == LOAD_MSG_REPORT && len == sizeof wp->last) {
        memcpy(&wp->last, data, len);
        wp->have = true;
    } else if (type == LOAD_MSG_TICKS) {
        size_t n = len / sizeof(struct load_tick);
        if (r->nticks + n > r->tick_cap) {
            r->tick_cap = (r->nticks + n) * 2;
            r->ticks = xrealloc(r->ticks, r->tick_cap * sizeof *r->ticks);
        }
        memcpy(r->ticks + r->nticks, data, n * sizeof *r->ticks);
        r->nticks += n;
    }
}

bool reports_read(struct reports *r, int index, int fd)
{
    struct worker_pipe *wp = &r->w[index];
    if (wp->cap - wp->len < 65536) {
        wp->cap = wp->cap * 2 + 65536;
        wp->buf = xrealloc(wp->buf, wp->cap);
    }
    ssize_t k = read(fd, wp->buf + wp->len, wp->cap - wp->len);
    if (k < 0 && errno == EINTR)
        return true;
    if (k <= 0)
        return false;
    wp->len += (size_t)k;
    size_t off = 0;
    while (wp->len - off >= 8) {
        uint32_t head[2];
        memcpy(head, wp->buf + off, 8);
        if (wp->len - off - 8 < head[1])
            break;
        take_message(r, wp, head[0], wp->buf + off + 8, head[1]);
        off += 8 + head[1];
    }
    memmove(wp->buf, wp->buf + off, wp->len - off);
    wp->len -= off;
    return true;
}

static void add_report(struct load_report *m, const struct load_report *r)
{
    m->attempted += r->attempted;
    m->connected += r->connected;
    m->open += r->open;
    m->ready += r->ready;
    m->closed_by_us += r->closed_by_us;
    m->messages += r->messages;
    m->prices += r->prices;
    m->bytes_in += r->bytes_in;
    m->ticks += r->ticks;
    m->sustain_messages += r->sustain_messages;
    m->sustain_bytes += r->sustain_bytes;
    m->sustain_prices += r->sustain_prices;
    for (int k = 0; k < CAUSE_MAX; k++)
        m->cause[k] += r->cause[k];
    m->clients_at_end += r->clients_at_end;
    if (r->clients_at_end && r->min_ticks < m->min_ticks)
        m->min_ticks = r->min_ticks;
    if (r->max_ticks > m->max_ticks)
        m->max_ticks = r->max_ticks;
    if (r->last_ready_ms > m->last_ready_ms)
        m->last_ready_ms = r->last_ready_ms;
    lstats_hist_merge(&m->latency_us, &r->latency_us);
    lstats_hist_merge(&m->connect_us, &r->connect_us);
    m->storm_drops += r->storm_drops;
    m->storm_back += r->storm_back;
    m->storm_attempts += r->storm_attempts;
    m->storm_failed += r->storm_failed;
    m->storm_gaps += r->storm_gaps;
    if (r->storm_first_drop_ms &&
        (!m->storm_first_drop_ms || r->storm_first_drop_ms < m->storm_first_drop_ms))
        m->storm_first_drop_ms = r->storm_first_drop_ms;
    lstats_hist_merge(&m->storm_back_ms, &r->storm_back_ms);
    lstats_hist_merge(&m->storm_connect_us, &r->storm_connect_us);
}

void reports_merge(const struct reports *r, struct load_report *m)
{
    memset(m, 0, sizeof *m);
    lstats_hist_init(&m->latency_us);
    lstats_hist_init(&m->connect_us);
    lstats_hist_init(&m->storm_back_ms);
    lstats_hist_init(&m->storm_connect_us);
    m->min_ticks = UINT64_MAX;
    for (int i = 0; i < r->n; i++)
        if (r->w[i].have)
            add_report(m, &r->w[i].last);
    if (m->min_ticks == UINT64_MAX)
        m->min_ticks = 0;
}

uint64_t reports_errors(const struct load_report *m)
{
    uint64_t e = 0;
    for (int k = 0; k < CAUSE_MAX; k++)
        e += m->cause[k];
    return e;
}

static int cmp_tick(const void *a, const void *b)
{
    const struct load_tick *x = a, *y = b;
    if (x->ms != y->ms)
        return x->ms < y->ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int reports_write_ticks(struct reports *r, const char *path)
{
    qsort(r->ticks, r->nticks, sizeof *r->ticks, cmp_tick);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cryptopulse-load: cannot write %s\n", path);
        return CP_EIO;
    }
    for (size_t i = 0; i < r->nticks;) {
        size_t j = i;
        uint64_t n = 0;
        for (; j < r->nticks && cmp_tick(&r->ticks[i], &r->ticks[j]) == 0; j++)
            n += r->ticks[j].count;
        fprintf(f, "%lld-%llu %llu\n", (long long)r->ticks[i].ms,
                (unsigned long long)r->ticks[i].seq, (unsigned long long)n);
        i = j;
    }
    fclose(f);
    return CP_OK;
}
