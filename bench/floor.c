/* cryptopulse-floor: the benchmark's floor, the least a WebSocket price
 * server can do on this machine (issue 20).  One epoll loop per process:
 * accept in batches, read the HTTP head, answer the RFC 6455 handshake, send
 * a prebuilt welcome, read and ignore client frames, and for each tick from
 * Redis pub/sub (<prefix>ticks) build one frame
 * {"event":"price-update-bulk","data":<tick>} and send() it to every client.
 * No buffering: a client whose send() would block or is short is dropped
 * (closed), so a floor never pays for a slow reader; the load tool counts
 * that as a disconnect.  No subscribe, no snapshot, no resume, no SSE.
 * --processes N forks N such loops on one SO_REUSEPORT port; the parent only
 * forwards SIGTERM/SIGINT and waits. */
#include "config.h"

#include "wsproto/ws.h"

#include <errno.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 1024 /* bytes of HTTP head a client may send (malloc'd until the 101) */
#define ACCEPT_BATCH 256
#define DEF_HOST "127.0.0.1"
#define DEF_REDIS_HOST "127.0.0.1"
#define DEF_REDIS_PORT 6379
#define DEF_PREFIX "cryptopulse:"

/* Per fd: the HTTP head while shaking hands (NULL once open), the index in
 * the open list (-1 before). */
struct conn {
    char *head;
    int hlen;
    int live;
};

static struct conn *conns;
static int nconns; /* size of conns: the open-file limit */
static int *open_fds, nopen;
static const char WELCOME[] = "{\"event\":\"welcome\",\"data\":{\"server\":\"cryptopulse-floor\","
                              "\"symbols\":[],\"interval_ms\":0}}";

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: cryptopulse-floor --port PORT [OPTION]...\n"
            "The benchmark's floor: a minimal epoll WebSocket server that sends every tick\n"
            "from Redis to every client as one prebuilt frame, and nothing else.\n\n"
            "  -p, --port PORT        listen on PORT (required)\n"
            "  -H, --host ADDR        listen address [default: " DEF_HOST "]\n"
            "      --redis-host ADDR  Redis host [default: " DEF_REDIS_HOST "]\n"
            "      --redis-port PORT  Redis port [default: %d]\n"
            "      --prefix PREFIX    Redis key prefix; ticks come from PREFIXticks"
            " [default: " DEF_PREFIX "]\n"
            "  -n, --processes N      1 to 64 processes sharing the port (SO_REUSEPORT)\n"
            "                         [default: 1]\n"
            "  -h, --help             show this help and exit\n",
            DEF_REDIS_PORT);
}


static void drop(int ep, int fd)
{
    struct conn *c = &conns[fd];
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(c->head);
    c->head = NULL;
    if (c->live >= 0) { /* swap-remove from the open list */
        int last = open_fds[--nopen];
        open_fds[c->live] = last;
        conns[last].live = c->live;
    }
    c->live = -1;
}

/* The head is complete: RFC 6455 §4.2.2's answer and the welcome, in one
 * send.  A short send drops the client (nothing is ever buffered). */
static void handshake(int ep, int fd, struct conn *c)
{
    char *k = NULL;
    for (char *p = strstr(c->head, "\r\n"); p && !k; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, "Sec-WebSocket-Key:", 18) == 0)
            k = p + 20;
    if (!k) {
        drop(ep, fd);
        return;
    }
    k += strspn(k, " \t");
    size_t klen = strcspn(k, " \t\r");
    char buf[256 + sizeof WELCOME + 16], key[65], acc[WS_ACCEPT_LEN + 1];
    if (klen > 64) {
        drop(ep, fd);
        return;
    }
    memcpy(key, k, klen);
    key[klen] = '\0';
    ws_accept_key(key, acc); /* RFC 6455 §4.2.2, the gateway's own code */
    int n = snprintf(buf, 256,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     acc);
    n += (int)ws_frame_header_ext((uint8_t *)buf + n, WS_OP_TEXT, true, false, sizeof WELCOME - 1);
    memcpy(buf + n, WELCOME, sizeof WELCOME - 1);
    n += (int)sizeof WELCOME - 1;
    free(c->head);
    c->head = NULL;
    if (send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != n) {
        drop(ep, fd);
        return;
    }
    c->live = nopen;
    open_fds[nopen++] = fd;
}

/* Readable client: the head while shaking hands, else frames read and
 * thrown away (a subscribe, a pong, a close: all the same to the floor). */
static void on_client(int ep, int fd)
{
    struct conn *c = &conns[fd];
    char junk[4096];
    if (c->head) {
        ssize_t r = recv(fd, c->head + c->hlen, HEAD_MAX - 1 - (size_t)c->hlen, 0);
        if (r <= 0) {
            if (r == 0 || (errno != EAGAIN && errno != EINTR))
                drop(ep, fd);
            return;
        }
        c->hlen += (int)r;
        c->head[c->hlen] = '\0';
        if (strstr(c->head, "\r\n\r\n"))
            handshake(ep, fd, c);
        else if (c->hlen >= HEAD_MAX - 1)
            drop(ep, fd);
        return;
    }
    ssize_t r = recv(fd, junk, sizeof junk, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
        drop(ep, fd);
}

/* Out of descriptors (EMFILE, ENFILE): the listening socket stays readable,
 * so it leaves the epoll set for ACCEPT_PAUSE_MS instead of spinning, and
 * the backlog waits. */
#define ACCEPT_PAUSE_MS 100
static long long accept_resume_ms; /* monotonic ms to listen again at; 0: listening */

static long long mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void on_accept(int ep, int lfd)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
            epoll_ctl(ep, EPOLL_CTL_DEL, lfd, NULL);
            accept_resume_ms = mono_ms() + ACCEPT_PAUSE_MS;
            return;
        }
        if (fd < 0)
            return; /* EAGAIN: the batch is done */
        if (fd >= nconns) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conns[fd].head = malloc(HEAD_MAX);
        conns[fd].hlen = 0;
        conns[fd].live = -1;
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if (!conns[fd].head || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            free(conns[fd].head);
            conns[fd].head = NULL;
            close(fd);
        }
    }
}

/* One tick: one frame, one send() per open client, newest first so that a
 * drop (swap-remove) never skips a client. */
static void fan_out(int ep, const char *tick, size_t len)
{
    static const char pre[] = "{\"event\":\"price-update-bulk\",\"data\":";
    size_t plen = sizeof pre - 1 + len + 1;
    uint8_t *f = malloc(plen + 10);
    if (!f)
        return;
    size_t h = ws_frame_header_ext(f, WS_OP_TEXT, true, false, plen);
    memcpy(f + h, pre, sizeof pre - 1);
    memcpy(f + h + sizeof pre - 1, tick, len);
    f[h + plen - 1] = '}';
    for (int i = nopen - 1; i >= 0; i--) {
        int fd = open_fds[i];
        if (send(fd, f, h + plen, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(h + plen))
            drop(ep, fd);
    }
    free(f);
}

static void on_redis(int ep, redisContext *rc)
{
    if (redisBufferRead(rc) != REDIS_OK) {
        fprintf(stderr, "cryptopulse-floor: redis: %s\n", rc->errstr);
        exit(1);
    }
    void *reply;
    while (redisGetReplyFromReader(rc, &reply) == REDIS_OK && reply) {
        redisReply *r = reply;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
            strcmp(r->element[0]->str, "message") == 0)
            fan_out(ep, r->element[2]->str, r->element[2]->len);
        freeReplyObject(reply);
    }
}

static int listen_on(const char *host, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        errno = 0; /* the caller's message: not an IPv4 address */
        return -1;
    }
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4096) != 0)
        return -1;
    return fd;
}

static int serve(const char *host, int port, const char *rhost, int rport, const char *prefix)
{
    struct rlimit rl = {20000, 20000};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    nconns = rl.rlim_cur > 2000000 ? 2000000 : (int)rl.rlim_cur;
    conns = calloc((size_t)nconns, sizeof *conns);
    open_fds = calloc((size_t)nconns, sizeof *open_fds);
    if (!conns || !open_fds) {
        fprintf(stderr, "cryptopulse-floor: out of memory for %d connections\n", nconns);
        return 1;
    }
    int lfd = listen_on(host, port);
    if (lfd < 0) {
        fprintf(stderr, "cryptopulse-floor: cannot listen on %s:%d: %s\n", host, port,
                errno ? strerror(errno) : "not an IPv4 address");
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        fprintf(stderr, "cryptopulse-floor: epoll_create1: %s\n", strerror(errno));
        return 1;
    }
    redisContext *rc = redisConnect(rhost, rport);
    if (!rc || rc->err) {
        fprintf(stderr, "cryptopulse-floor: cannot reach redis %s:%d: %s\n", rhost, rport,
                rc ? rc->errstr : "out of memory");
        return 1;
    }
    /* Fault in libcrypto's SHA-1 and base64 now, so that their pages do not
     * count as the first clients' RSS growth. */
    char warm[WS_ACCEPT_LEN + 1];
    ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", warm);
    redisReply *r = redisCommand(rc, "SUBSCRIBE %sticks", prefix);
    if (!r) {
        fprintf(stderr, "cryptopulse-floor: SUBSCRIBE: %s\n", rc->errstr);
        return 1;
    }
    freeReplyObject(r);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.fd = rc->fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, rc->fd, &ev);
    struct epoll_event evs[512];
    for (;;) {
        long long wait = accept_resume_ms ? accept_resume_ms - mono_ms() : -1;
        int n = epoll_wait(ep, evs, 512, wait < 0 && accept_resume_ms ? 0 : (int)wait);
        if (accept_resume_ms && mono_ms() >= accept_resume_ms) {
            struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
            epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
            accept_resume_ms = 0;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd)
                on_accept(ep, lfd);
            else if (fd == rc->fd)
                on_redis(ep, rc);
            else
                on_client(ep, fd);
        }
    }
}

static volatile sig_atomic_t stopping;
static void on_signal(int sig)
{
    stopping = sig;
}

/* The parent of --processes N: start the children, pass on SIGTERM/SIGINT,
 * exit with 0 once they are all gone after a signal, 1 if one died alone. */
static int supervise(int n, const char *host, int port, const char *rhost, int rport,
                     const char *prefix)
{
    pid_t *kids = calloc((size_t)n, sizeof *kids);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    for (int i = 0; i < n; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            signal(SIGTERM, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            _exit(serve(host, port, rhost, rport, prefix));
        }
    }
    int left = n, status = 0;
    while (left > 0) {
        pid_t p = wait(NULL);
        if (p > 0) {
            left--;
            if (!stopping)
                status = 1, stopping = SIGTERM;
        }
        if (stopping)
            for (int i = 0; i < n; i++)
                if (kids[i] > 0 && kids[i] != p)
                    kill(kids[i], SIGTERM);
    }
    free(kids);
    return status;
}

/* A whole number in [lo, hi] from text, or -1 (with a message naming opt). */
static long number(const char *opt, const char *text, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) {
        fprintf(stderr, "cryptopulse-floor: %s must be a whole number from %ld to %ld, not '%s'\n",
                opt, lo, hi, text);
        return -1;
    }
    return v;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"port", 1, NULL, 'p'},       {"host", 1, NULL, 'H'},
                                         {"redis-host", 1, NULL, 'R'}, {"redis-port", 1, NULL, 'P'},
                                         {"prefix", 1, NULL, 'x'},     {"processes", 1, NULL, 'n'},
                                         {"help", 0, NULL, 'h'},       {NULL, 0, NULL, 0}};
    const char *host = DEF_HOST, *rhost = DEF_REDIS_HOST, *prefix = DEF_PREFIX;
    int port = 0, rport = DEF_REDIS_PORT, procs = 1, c;
    while ((c = getopt_long(argc, argv, "p:H:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': port = (int)number("--port", optarg, 1, 65535); if (port < 0) return 2; break;
        case 'H': host = optarg; break;
        case 'R': rhost = optarg; break;
        case 'P': rport = (int)number("--redis-port", optarg, 1, 65535); if (rport < 0) return 2; break;
        case 'x': prefix = optarg; break;
        case 'n': procs = (int)number("--processes", optarg, 1, 64); if (procs < 0) return 2; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cryptopulse-floor: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (port == 0) {
        fprintf(stderr, "cryptopulse-floor: --port is required (see --help)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (procs == 1)
        return serve(host, port, rhost, rport, prefix);
    return supervise(procs, host, port, rhost, rport, prefix);
}
