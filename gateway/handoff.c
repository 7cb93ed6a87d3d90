#include "config.h"

#include "handoff.h"

#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HANDOFF_WORKERS 256 /* worker numbers a session id can name */
/* Hand-offs waiting for room in one worker's queue (which holds only
 * net.unix.max_dgram_qlen messages, 10 by default); beyond, refused. */
#define HANDOFF_PENDING_MAX 4096

/* A connection waiting to be passed: our own copy of its socket. */
struct handoff_pending {
    int fd;
    size_t len;
    struct handoff_pending *next;
    char bytes[];
};

/* The way to one other worker: a datagram socket connected to its, which
 * polls writable when its queue has room (unix(7)), and what waits. */
struct handoff_link {
    struct handoff *h;
    int to;
    int fd;
    struct event *ev; /* EV_WRITE while something waits */
    struct handoff_pending *head, *tail;
    size_t n_pending;
};

struct handoff {
    int fd;
    struct event *ev;
    struct event_base *base;
    struct handoff_link *links[HANDOFF_WORKERS];
    char host[64];
    int port;
    handoff_cb cb;
    void *arg;
    char *buf; /* HANDOFF_MAX_BYTES: one message */
};

/* The abstract address of worker's socket (unix(7): sun_path[0] == 0). */
static socklen_t address(const struct handoff *h, int worker, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    int n = snprintf(sa->sun_path + 1, sizeof sa->sun_path - 1, "cryptopulse-handoff/%s:%d/%d",
                     h->host, h->port, worker);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static void drop_link(struct handoff *h, int to);

static void on_message(evutil_socket_t fd, short what, void *arg)
{
    struct handoff *h = arg;
    for (;;) {
        struct iovec iov = {h->buf, HANDOFF_MAX_BYTES};
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } control;
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof control.buf};
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0)
            return; /* EAGAIN: all read */
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue; /* no connection in it: not ours */
        int client;
        memcpy(&client, CMSG_DATA(cm), sizeof client);
        if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
            close(client);
            continue;
        }
        evutil_make_socket_nonblocking(client);
        h->cb(client, h->buf, (size_t)n, h->arg);
    }
}

struct handoff *handoff_new(struct event_base *base, const char *host, int port, int worker,
                            handoff_cb cb, void *arg)
{
    struct handoff *h = xcalloc(1, sizeof *h);
    snprintf(h->host, sizeof h->host, "%s", host);
    h->port = port;
    h->cb = cb;
    h->arg = arg;
    h->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa;
    socklen_t len = address(h, worker, &sa);
    int size = 4 * HANDOFF_MAX_BYTES;
    if (h->fd >= 0)
        setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (h->fd < 0 || bind(h->fd, (struct sockaddr *)&sa, len) != 0) {
        log_warn("worker %d cannot take connections from the others (%s): Socket.IO "
                 "long-polling clients may see \"Session ID unknown\"",
                 worker, strerror(errno));
        if (h->fd >= 0)
            close(h->fd);
        free(h);
        return NULL;
    }
    h->base = base;
    h->buf = xmalloc(HANDOFF_MAX_BYTES);
    h->ev = event_new(base, h->fd, EV_READ | EV_PERSIST, on_message, h);
    event_add(h->ev, NULL);
    return h;
}

void handoff_free(struct handoff *h)
{
    if (!h)
        return;
    event_free(h->ev);
    close(h->fd);
    for (int i = 0; i < HANDOFF_WORKERS; i++)
        drop_link(h, i);
    free(h->buf);
    free(h);
}

/* One sendmsg of fd and bytes on l's socket: 0, or -1 with errno. */
static int send_one(struct handoff_link *l, int fd, const void *bytes, size_t len)
{
    struct iovec iov = {(void *)bytes, len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    ssize_t n;
    do
        n = sendmsg(l->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)len ? 0 : -1;
}

static void drop_link(struct handoff *h, int to)
{
    struct handoff_link *l = h->links[to];
    if (!l)
        return;
    for (struct handoff_pending *p = l->head, *next; p; p = next) {
        next = p->next;
        close(p->fd); /* its client sees the connection close, and retries */
        free(p);
    }
    event_free(l->ev);
    close(l->fd);
    free(l);
    h->links[to] = NULL;
}

/* The waiting hand-offs, in order, while the other worker's queue has room. */
static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    struct handoff_link *l = arg;
    while (l->head) {
        struct handoff_pending *p = l->head;
        if (send_one(l, p->fd, p->bytes, p->len) != 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return; /* still full: EV_WRITE stays armed */
            log_warn("could not pass %zu Socket.IO connections to worker %d: %s", l->n_pending,
                     l->to, strerror(errno));
            drop_link(l->h, l->to);
            return;
        }
        l->head = p->next;
        if (!l->head)
            l->tail = NULL;
        l->n_pending--;
        close(p->fd);
        free(p);
    }
    event_del(l->ev);
}

static struct handoff_link *link_to(struct handoff *h, int to)
{
    if (h->links[to])
        return h->links[to];
    struct sockaddr_un sa;
    socklen_t salen = address(h, to, &sa);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, salen) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct handoff_link *l = xcalloc(1, sizeof *l);
    l->h = h;
    l->to = to;
    l->fd = fd;
    l->ev = event_new(h->base, fd, EV_WRITE | EV_PERSIST, on_writable, l);
    h->links[to] = l;
    return l;
}

int handoff_send(struct handoff *h, int to, int fd, const void *bytes, size_t len)
{
    if (len > HANDOFF_MAX_BYTES || to < 0 || to >= HANDOFF_WORKERS) {
        errno = EMSGSIZE;
        return -1;
    }
    struct handoff_link *l = link_to(h, to);
    if (l && !l->head) { /* nothing waits before it: try now */
        if (send_one(l, fd, bytes, len) == 0)
            return 0;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            /* That worker restarted (its socket is a new one): once more. */
            drop_link(h, to);
            l = link_to(h, to);
            if (l && send_one(l, fd, bytes, len) == 0)
                return 0;
            if (l && errno != EAGAIN && errno != EWOULDBLOCK)
                l = NULL;
        }
    }
    if (!l || l->n_pending >= HANDOFF_PENDING_MAX) {
        log_warn("could not pass a Socket.IO connection to worker %d: %s", to,
                 l ? "too many waiting" : strerror(errno));
        return -1;
    }
    /* Its queue is full: wait for room, with our own copy of the socket. */
    struct handoff_pending *p = xmalloc(sizeof *p + len);
    p->fd = dup(fd);
    if (p->fd < 0) {
        free(p);
        return -1;
    }
    p->len = len;
    p->next = NULL;
    memcpy(p->bytes, bytes, len);
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
    l->n_pending++;
    event_add(l->ev, NULL);
    return 0;
}
