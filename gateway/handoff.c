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

struct handoff {
    int fd;
    struct event *ev;
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
    free(h->buf);
    free(h);
}

int handoff_send(struct handoff *h, int to, int fd, const void *bytes, size_t len)
{
    if (len > HANDOFF_MAX_BYTES) {
        errno = EMSGSIZE;
        return -1;
    }
    struct sockaddr_un sa;
    socklen_t salen = address(h, to, &sa);
    struct iovec iov = {(void *)bytes, len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_name = &sa,
                         .msg_namelen = salen,
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    return sendmsg(h->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}
