/* conn_io: a bare connection's socket I/O — one edge-triggered event on the
 * socket instead of libevent's bufferevent, for streams on plain TCP once
 * their head is answered.
 *
 * Output: bytes added to c->out put c on the registry's flush list (an
 * evbuffer callback); at the end of the loop turn each connection on it is
 * written with one sendmsg(2) of everything queued, so that a client that
 * fell behind costs one system call per turn and none in epoll_ctl(2).  An
 * answer to what c sent (a handshake's 101, a subscribe's snapshot) is
 * written at the end of c's own event instead.  What the socket does not
 * take waits for its next EPOLLOUT edge.
 * Input: read until the socket is empty (edge-triggered), at most
 * CONN_READ_PER_WAKE bytes per wake; c->in exists only while bytes wait to
 * be parsed.  A read with nothing waiting goes into the registry's one
 * read buffer and is parsed from there, so that a whole request head or a
 * whole client frame costs no allocation.  Runs on the gateway's loop. */
#include "config.h"

#include "conn_private.h"

#include "http.h"
#include "strlist.h"
#include "xalloc.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define CONN_READ_BYTES 16384    /* bytes one read(2) asks for */
#define CONN_READ_PER_WAKE 65536 /* bytes read per wake before other clients' turn */
#define CONN_WRITE_IOVECS 64     /* chains one sendmsg(2) writes */

static void bare_flush(struct conn *c);

/* ---- the flush list ----------------------------------------------------- */

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    struct conn_registry *reg = arg;
    struct conn *list = reg->flushing;
    reg->flushing = NULL; /* what drained callbacks queue goes on a new list */
    while (list) {
        struct conn *c = list;
        list = c->next_flush;
        c->flush_queued = false;
        if (c->closing)
            conn_schedule_reap(reg); /* the reaper waited for this */
        else if (!c->bev)
            bare_flush(c); /* else it moved onto a bufferevent, which writes */
    }
}

static void queue_flush(struct conn *c)
{
    struct conn_registry *reg = c->ctx->conns;
    if (c->flush_queued || c->closing)
        return;
    c->flush_queued = true;
    c->next_flush = reg->flushing;
    if (!reg->flushing)
        event_active(reg->flusher, EV_TIMEOUT, 0);
    reg->flushing = c;
}

/* Every change of a bare connection's output: the hub's count of its
 * bytes follows (hub_client_count_queued()), and bytes added get written. */
static void on_queued(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct conn *c = arg;
    c->pc.sub.queued = info->orig_size + info->n_added - info->n_deleted;
    if (info->n_added > 0)
        queue_flush(c);
}

void conn_io_registry_init(struct conn_registry *reg)
{
    reg->flusher = event_new(reg->base, -1, 0, on_flush, reg);
    reg->shared_in = evbuffer_new();
    reg->read_buf = xmalloc(CONN_READ_BYTES);
}

void conn_io_registry_free(struct conn_registry *reg)
{
    for (struct conn *c = reg->flushing; c; c = c->next_flush)
        c->flush_queued = false;
    reg->flushing = NULL;
    event_free(reg->flusher);
    reg->flusher = NULL;
    if (reg->shared_in)
        evbuffer_free(reg->shared_in);
    reg->shared_in = NULL;
    free(reg->read_buf);
    reg->read_buf = NULL;
}

/* The timeval to give event_add() for ms: the base's common timeout for
 * that duration (set up on first use), or *tv filled in when the registry
 * has no room for another duration or libevent has none. */
static const struct timeval *io_timeout(struct conn_registry *reg, int ms, struct timeval *tv)
{
    for (int i = 0; i < reg->n_timeouts; i++)
        if (reg->timeouts[i].ms == ms)
            return reg->timeouts[i].tv;
    *tv = strlist_timeval_ms(ms);
    if (reg->n_timeouts == CONN_COMMON_TIMEOUTS)
        return tv;
    const struct timeval *common = event_base_init_common_timeout(reg->base, tv);
    if (!common)
        return tv;
    reg->timeouts[reg->n_timeouts].ms = ms;
    reg->timeouts[reg->n_timeouts++].tv = common;
    return common;
}

/* ---- writing and reading ------------------------------------------------ */

/* Reading stops when c starts closing (and resumes for a lingering close),
 * while an HTTP request waits for Redis (conn_await()), and once c has
 * moved onto a bufferevent (conn_leave_bare()). */
static bool reading(const struct conn *c)
{
    return c->ev && !c->closing && !c->awaiting && (!c->close_after_flush || c->lingering);
}

/* Write what is queued, CONN_WRITE_IOVECS chains per sendmsg(2), until it
 * is all written or the socket is full (a short write). */
static void bare_flush(struct conn *c)
{
    struct conn_registry *reg = c->ctx->conns;
    bool wrote = false;
    for (;;) {
        struct evbuffer_iovec v[CONN_WRITE_IOVECS];
        struct iovec iov[CONN_WRITE_IOVECS];
        int k = evbuffer_peek(c->out, -1, NULL, v, CONN_WRITE_IOVECS);
        if (k <= 0)
            break;
        if (k > CONN_WRITE_IOVECS)
            k = CONN_WRITE_IOVECS;
        size_t want = 0;
        for (int i = 0; i < k; i++) {
            iov[i].iov_base = v[i].iov_base;
            iov[i].iov_len = v[i].iov_len;
            want += v[i].iov_len;
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)k};
        ssize_t n = sendmsg(event_get_fd(c->ev), &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break; /* the next EPOLLOUT edge goes on */
        if (n < 0) {
            reg->io->event(c, BEV_EVENT_ERROR | BEV_EVENT_WRITING);
            return;
        }
        evbuffer_drain(c->out, (size_t)n);
        wrote = true;
        if ((size_t)n < want)
            break; /* the socket is full */
    }
    if (wrote && !c->closing && evbuffer_get_length(c->out) <= reg->low_water)
        reg->io->drained(c);
}

/* One read(2) of up to CONN_READ_BYTES into c->in (evbuffer_read() would
 * stop at 4096 bytes, and a short read could not be told from an empty
 * socket).  Returns what read(2) returned. */
static ssize_t read_some(struct conn *c)
{
    struct evbuffer_iovec v;
    if (evbuffer_reserve_space(c->in, CONN_READ_BYTES, &v, 1) < 1) {
        errno = ENOMEM;
        return -1;
    }
    ssize_t n = read(event_get_fd(c->ev), v.iov_base, CONN_READ_BYTES);
    int err = errno;
    v.iov_len = n > 0 ? (size_t)n : 0;
    evbuffer_commit_space(c->in, &v, 1);
    errno = err;
    return n;
}

/* Part of a message is read and the rest is to come: bytes wait to be
 * parsed, a request head or body has begun, or a WebSocket frame. */
static bool mid_message(const struct conn *c)
{
    return c->in || c->ws || (c->kind == CONN_HTTP && c->req && http_request_started(c->req));
}

/* Add len bytes to c's own input buffer, made when c has none.  False
 * without memory (c->in is then as it was, or NULL). */
static bool keep_input(struct conn *c, const char *bytes, size_t len)
{
    if (!c->in && !(c->in = evbuffer_new()))
        return false;
    return evbuffer_add(c->in, bytes, len) == 0;
}

/* c->in is the registry's shared read buffer: only while bare_read()'s
 * reader runs. */
static bool input_shared(const struct conn *c)
{
    return c->in && c->in == c->ctx->conns->shared_in;
}

/* One read(2) with nothing waiting to be parsed, handed to the reader in
 * the shared buffer; what it leaves is copied into c's own input buffer
 * (the shared one is read into again by the next connection).  Returns
 * what read(2) returned, or -1 with ENOMEM. */
static ssize_t read_shared(struct conn *c)
{
    struct conn_registry *reg = c->ctx->conns;
    ssize_t n = read(event_get_fd(c->ev), reg->read_buf, CONN_READ_BYTES);
    if (n <= 0)
        return n;
    int err = errno;
    if (evbuffer_add_reference(reg->shared_in, reg->read_buf, (size_t)n, NULL, NULL) != 0) {
        errno = ENOMEM;
        return -1;
    }
    c->in = reg->shared_in;
    reg->io->read(c, c->in);
    size_t left = evbuffer_get_length(reg->shared_in);
    if (!input_shared(c)) {
        /* the reader moved c onto a bufferevent, which copied the rest */
    } else if (left == 0) {
        c->in = NULL;
    } else {
        c->in = NULL;
        if (!keep_input(c, (const char *)evbuffer_pullup(reg->shared_in, -1), left)) {
            evbuffer_drain(reg->shared_in, left);
            errno = ENOMEM;
            return -1;
        }
    }
    evbuffer_drain(reg->shared_in, left);
    errno = err;
    return n;
}

/* Read until the socket is empty (a short read), handing each piece to the
 * reader; at most CONN_READ_PER_WAKE bytes before the loop's other clients
 * get their turn (the event is made active again for the rest). */
static void bare_read(struct conn *c)
{
    struct conn_registry *reg = c->ctx->conns;
    const struct conn_io *io = reg->io;
    size_t total = 0;
    while (reading(c)) {
        ssize_t n;
        int err;
        /* Not when the shared buffer is in use: a reader that read another
         * connection (none does) would find its bytes overwritten. */
        if (!c->in && reg->shared_in && evbuffer_get_length(reg->shared_in) == 0) {
            n = read_shared(c);
            err = errno;
        } else {
            if (!c->in && !(c->in = evbuffer_new()))
                return;
            n = read_some(c);
            err = errno;
            if (evbuffer_get_length(c->in) > 0)
                io->read(c, c->in);
            if (c->in && evbuffer_get_length(c->in) == 0) {
                evbuffer_free(c->in); /* an idle client keeps no input buffer */
                c->in = NULL;
            }
        }
        if (n > 0)
            total += (size_t)n;
        if (n == 0) {
            /* A request read with the FIN may wait for Redis now (or c is
             * closing): the EOF is read again when reading resumes. */
            if (reading(c))
                io->event(c, BEV_EVENT_EOF | BEV_EVENT_READING);
            return;
        }
        if (n < 0 && err == EINTR)
            continue;
        if (n < 0 && err != EAGAIN && err != EWOULDBLOCK) {
            io->event(c, BEV_EVENT_ERROR | BEV_EVENT_READING);
            return;
        }
        if (n < 0)
            return; /* empty */
        /* A short read left the socket empty, and the next byte brings a new
         * edge; but a FIN or an RST that came with the bytes brings none.
         * A FIN says so (EV_CLOSED): read on to the EOF.  An RST does not
         * (libevent reports EPOLLHUP and EPOLLERR as plain EV_READ|EV_WRITE),
         * so while part of a head or frame is read, read once more:
         * EAGAIN, or the ECONNRESET that closes c.  A complete message costs
         * no extra read(2); its answer's write meets the reset instead. */
        if (n < CONN_READ_BYTES && !c->peer_closed && !mid_message(c))
            return;
        if (total >= CONN_READ_PER_WAKE && c->ev) {
            /* Once active the event keeps its priority (conn.h): a first
             * read this long is not a head, and the rest waits its turn. */
            event_priority_set(c->ev, CONN_PRIORITY_STREAM);
            event_active(c->ev, EV_READ, 0);
            return;
        }
    }
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    if (c->closing)
        return;
    if ((what & EV_TIMEOUT) && c->awaiting)
        return; /* a request waiting for Redis is not idle (a bufferevent stops the time) */
    /* Nor are requests read behind it: its answer made the event active to
     * parse them, and a timeout due in the same loop turn comes with that
     * read; it must not close them unanswered. */
    if ((what & EV_TIMEOUT) && !c->close_after_flush && c->in && evbuffer_get_length(c->in) > 0)
        what = (short)((what & ~EV_TIMEOUT) | EV_READ);
    if (what & EV_TIMEOUT) {
        bool flushing = c->close_after_flush && !c->lingering;
        c->ctx->conns->io->event(c, BEV_EVENT_TIMEOUT |
                                        (flushing ? BEV_EVENT_WRITING : BEV_EVENT_READING));
        return;
    }
    if ((what & EV_WRITE) && !c->flush_queued)
        bare_flush(c); /* on the flush list: written at the end of this turn anyway */
    if (what & EV_CLOSED)
        c->peer_closed = true;
    if ((what & (EV_READ | EV_CLOSED)) && !c->closing)
        bare_read(c);
    /* What the client asked for goes out now, not after the rest of the
     * turn: a handshake's 101 waits for no other connection's work.  The
     * flush list then finds nothing left to write.  (A Socket.IO request
     * moved c onto a bufferevent, which writes.) */
    if (c->flush_queued && !c->closing && !c->bev)
        bare_flush(c);
    /* Its first read is done (a whole head, normally): whatever c sends
     * from now on (a stream's frames, more requests on a kept-alive
     * connection, the rest of a head that came in pieces) waits behind new
     * clients' first reads (conn.h), so that no client can keep the loop on
     * its own input.  Set here, where c->ev is not active (libevent refuses
     * then: the next read tries again); on a loop without priorities (a
     * test's) this fails and changes nothing. */
    if (c->ev && (what & (EV_READ | EV_CLOSED)) && event_get_priority(c->ev) == CONN_PRIORITY_HEAD)
        event_priority_set(c->ev, CONN_PRIORITY_STREAM);
}

/* ---- going bare, and back ----------------------------------------------- */

bool conn_io_attach(struct conn *c, evutil_socket_t fd, const struct conn_io *io, size_t low_water)
{
    struct conn_registry *reg = c->ctx->conns;
    c->out = evbuffer_new();
    c->ev =
        event_new(reg->base, fd, EV_READ | EV_WRITE | EV_CLOSED | EV_ET | EV_PERSIST, on_socket, c);
    if (!c->out || !c->ev) {
        if (c->out)
            evbuffer_free(c->out);
        if (c->ev)
            event_free(c->ev);
        c->out = NULL;
        c->ev = NULL;
        return false;
    }
    reg->io = io;
    reg->low_water = low_water;
    evbuffer_add_cb(c->out, on_queued, c);
    return true;
}

bool conn_go_bare(struct conn *c, const struct conn_io *io, size_t low_water, int read_ms)
{
    if (!c->bev) {
        conn_set_read_timeout(c, read_ms); /* bare from its accept */
        return true;
    }
    if (bufferevent_openssl_get_ssl(c->bev))
        return false;
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    struct evbuffer *in = bufferevent_get_input(c->bev), *out = bufferevent_get_output(c->bev);
    c->in = evbuffer_get_length(in) > 0 ? evbuffer_new() : NULL;
    if ((evbuffer_get_length(in) > 0 && !c->in) || !conn_io_attach(c, fd, io, low_water)) {
        if (c->in)
            evbuffer_free(c->in);
        c->in = NULL;
        return false; /* out of memory: it stays on its bufferevent */
    }
    /* The socket bufferevent keeps the start of its output frozen (only it
     * drains that side). */
    evbuffer_unfreeze(out, 1);
    evbuffer_add_buffer(c->out, out);
    if (c->in)
        evbuffer_add_buffer(c->in, in);
    if (c->pc.sub.out == out) {
        c->pc.sub.out = c->out;
        hub_client_count_queued(&c->pc.sub, evbuffer_get_length(c->out));
    }
    /* Detached from the socket first, so that freeing it leaves fd open. */
    bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
    bufferevent_setfd(c->bev, -1);
    bufferevent_free(c->bev);
    c->bev = NULL;
    conn_set_read_timeout(c, read_ms);
    if (evbuffer_get_length(c->out) > 0)
        queue_flush(c);
    if (c->in)
        event_active(c->ev, EV_READ, 0); /* bytes that came with the head */
    return true;
}

bool conn_leave_bare(struct conn *c, bufferevent_data_cb read_cb, bufferevent_data_cb write_cb,
                     bufferevent_event_cb event_cb, int read_ms)
{
    if (c->bev)
        return true;
    evutil_socket_t fd = event_get_fd(c->ev);
    struct bufferevent *bev = bufferevent_socket_new(
        c->ctx->conns->base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!bev)
        return false;
    event_free(c->ev); /* the socket stays open: the bufferevent owns it now */
    c->ev = NULL;
    /* The socket bufferevent keeps the end of its input frozen (only it
     * adds there): thaw it for what was read and not yet parsed. */
    struct evbuffer *in = bufferevent_get_input(bev);
    if (c->in) {
        evbuffer_unfreeze(in, 0);
        if (input_shared(c)) /* copied: the shared buffer is read into again */
            evbuffer_add(in, evbuffer_pullup(c->in, -1), evbuffer_get_length(c->in));
        else
            evbuffer_add_buffer(in, c->in);
        evbuffer_freeze(in, 0);
        if (!input_shared(c))
            evbuffer_free(c->in);
        c->in = NULL;
    }
    evbuffer_remove_cb(c->out, on_queued, c);
    evbuffer_add_buffer(bufferevent_get_output(bev), c->out);
    evbuffer_free(c->out);
    c->out = NULL;
    c->bev = bev;
    bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
    conn_set_read_timeout(c, read_ms);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    if (evbuffer_get_length(in) > 0)
        bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
    return true;
}

void conn_push_input(struct conn *c, const char *bytes, size_t len)
{
    if (c->bev) {
        /* A socket bufferevent keeps the end of its input frozen (only it
         * adds there): thaw it for these bytes. */
        struct evbuffer *in = bufferevent_get_input(c->bev);
        evbuffer_unfreeze(in, 0);
        evbuffer_add(in, bytes, len);
        evbuffer_freeze(in, 0);
        bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
        return;
    }
    if (!keep_input(c, bytes, len))
        return;
    event_active(c->ev, EV_READ, 0);
}

void conn_resume_reading(struct conn *c)
{
    if (c->bev) {
        bufferevent_enable(c->bev, EV_READ);
        /* Requests pipelined behind this one may already be read: let the
         * read callback parse them, as if they had just arrived. */
        bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
    } else {
        event_active(c->ev, EV_READ, 0); /* what waited in c->in and the socket */
    }
}

void conn_io_free(struct conn *c)
{
    evutil_socket_t fd = event_get_fd(c->ev);
    event_free(c->ev);
    if (c->in && !input_shared(c))
        evbuffer_free(c->in);
    evbuffer_free(c->out);
    evutil_closesocket(fd);
}

void conn_io_flush_then(struct conn *c, int timeout_ms)
{
    struct timeval tv;
    event_add(c->ev, io_timeout(c->ctx->conns, timeout_ms, &tv));
}

/* ---- both kinds --------------------------------------------------------- */

evutil_socket_t conn_fd(const struct conn *c)
{
    return c->bev ? bufferevent_getfd(c->bev) : event_get_fd(c->ev);
}

struct evbuffer *conn_output(struct conn *c)
{
    return c->bev ? bufferevent_get_output(c->bev) : c->out;
}

struct evbuffer *conn_input(struct conn *c)
{
    return c->bev ? bufferevent_get_input(c->bev) : c->in;
}

void conn_set_read_timeout(struct conn *c, int read_ms)
{
    struct timeval tv = strlist_timeval_ms(read_ms);
    if (c->bev) {
        bufferevent_set_timeouts(c->bev, read_ms > 0 ? &tv : NULL, NULL);
        bufferevent_enable(c->bev, EV_READ); /* libevent stops reading on a timeout */
    } else if (read_ms > 0) {
        event_add(c->ev, io_timeout(c->ctx->conns, read_ms, &tv));
    } else if (event_pending(c->ev, EV_READ | EV_WRITE, NULL)) {
        event_remove_timer(c->ev); /* event_add(NULL) would keep the old timeout */
    } else {
        event_add(c->ev, NULL);
    }
}

void conn_linger(struct conn *c, int ms)
{
    struct timeval tv = strlist_timeval_ms(ms);
    c->lingering = true;
    shutdown(conn_fd(c), SHUT_WR);
    if (c->bev) {
        struct evbuffer *in = bufferevent_get_input(c->bev);
        evbuffer_drain(in, evbuffer_get_length(in));
        bufferevent_set_timeouts(c->bev, &tv, NULL);
        bufferevent_enable(c->bev, EV_READ);
        return;
    }
    if (c->in)
        evbuffer_drain(c->in, evbuffer_get_length(c->in));
    event_add(c->ev, &tv);
    event_active(c->ev, EV_READ, 0); /* what came while it was not reading */
}
