/* load: what the load tool's parent and its worker processes share — the
 * options (read-only after parsing, inherited by fork), the causes of errors
 * and disconnects, and the report a worker sends up its pipe.  A report
 * holds no pointers: it travels as bytes. */
#ifndef CP_LOAD_LOAD_H
#define CP_LOAD_LOAD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "phase.h"
#include "price.h"
#include "lstats.h"

/* LOAD_SIO: Socket.IO v5 over Engine.IO v4's WebSocket transport (sioc.h). */
enum load_transport { LOAD_WS, LOAD_SSE, LOAD_SIO };
enum load_sub { LOAD_SUB_ALL, LOAD_SUB_ONE, LOAD_SUB_RANDOM, LOAD_SUB_NONE };

#define LOAD_SYMBOLS_MAX 256

struct load_opts {
    enum load_transport transport;
    char host[128];
    int port;
    char path[256]; /* from the URL, query included */
    struct sockaddr_in dst;
    bool deflate; /* offer permessage-deflate (WebSocket, Socket.IO) */
    enum load_sub sub;
    char symbol[PRICE_SYMBOL_MAX]; /* LOAD_SUB_ONE */
    int k;                         /* LOAD_SUB_RANDOM: symbols per client */
    char symbols[LOAD_SYMBOLS_MAX][PRICE_SYMBOL_MAX];
    int nsymbols;
    bool snapshot; /* the server sends a snapshot first (CryptoPulse: yes) */
    int64_t clients;
    struct phase_plan plan;
    int connect_timeout_ms;
    int max_pending; /* handshakes in flight per worker */
    int rate;        /* new connections per second, all workers; 0: no limit */
    int workers;
    int per_worker_max;   /* clients one worker may hold (open file limit) */
    uint32_t source_base; /* host order; 0: let the kernel choose */
    int per_source;       /* clients per source address */
    char pids[256];       /* gateway pids to watch in /proc, comma list */
    char ticks_file[256];
    double min_connected_pct, max_avg_latency_ms, max_error_pct, max_p99_latency_ms;
    bool progress;
    unsigned seed;
    /* --storm: every client that loses its connection reconnects with the
     * dashboard's backoff (www/cryptopulse-connection.js) and resumes with "since". */
    bool storm;
    /* --url-subscribe: a WebSocket client puts its subscription and resume
     * point in the handshake's URL (?symbols=&since=) instead of sending
     * "subscribe" after the welcome. */
    bool url_subscribe;
};

/* Why a client failed or went away: counted per cause. */
enum load_cause {
    CAUSE_REFUSED,     /* connect: ECONNREFUSED */
    CAUSE_ADDR,        /* connect: EADDRNOTAVAIL / no source port left */
    CAUSE_FD,          /* socket(): EMFILE/ENFILE */
    CAUSE_CONNECT,     /* connect: other errors */
    CAUSE_TIMEOUT,     /* no handshake within --connect-timeout */
    CAUSE_STATUS,      /* HTTP answer other than 101 (WebSocket) or 200 (SSE) */
    CAUSE_HANDSHAKE,   /* malformed answer, wrong accept key */
    CAUSE_EOF,         /* server closed the TCP connection */
    CAUSE_RESET,       /* ECONNRESET and other read/write errors */
    CAUSE_CLOSE_FRAME, /* server sent a WebSocket close */
    CAUSE_PROTOCOL,    /* bad frame, bad SSE, bad deflate data */
    CAUSE_ERROR_EVENT, /* an "error" event (not a disconnect) */
    CAUSE_UNFINISHED,  /* connect or handshake still going when the plan closed it */
    CAUSE_MAX
};

extern const char *const load_cause_names[CAUSE_MAX];

#define LOAD_REPORT_MAGIC 0x4c4f4144u

struct load_report {
    uint32_t magic;
    uint32_t final;
    uint64_t attempted, connected, open, ready, closed_by_us;
    uint64_t messages, prices, bytes_in, ticks;
    uint64_t sustain_messages, sustain_bytes, sustain_prices;
    uint64_t cause[CAUSE_MAX];
    uint64_t clients_at_end;       /* ready clients when sustain ended */
    uint64_t min_ticks, max_ticks; /* live ticks per such client */
    int64_t last_ready_ms;         /* wall clock when the last client became ready */
    struct lstats_hist latency_us; /* receive time - price ts */
    struct lstats_hist connect_us; /* connect start -> handshake done */
    /* --storm: clients that lost a live connection (drops), came back with
     * their resume acknowledged (back), reconnect attempts and those that
     * failed, resumes that ended in a "snapshot": true bulk (gaps). */
    uint64_t storm_drops, storm_back, storm_attempts, storm_failed, storm_gaps;
    int64_t storm_first_drop_ms;         /* wall clock of the first drop, 0 before */
    struct lstats_hist storm_back_ms;    /* live again, ms after the worker's first drop */
    struct lstats_hist storm_connect_us; /* reconnects: connect start -> handshake */
};

/* One tick as the workers saw it: how many clients got it live. */
struct load_tick {
    int64_t ms;
    uint64_t seq;
    uint64_t count;
};

/* Pipe messages: a uint32 type and uint32 length, then the payload. */
enum load_msg { LOAD_MSG_REPORT = 1, LOAD_MSG_TICKS = 2 };

/* Run worker number index of o->workers until the plan ends, writing
 * reports to fd.  Returns the process exit status (worker.c). */
int load_worker_run(const struct load_opts *o, int index, int fd, int64_t start_mono_ms);

/* Monotonic (CLOCK_MONOTONIC) and wall (CLOCK_REALTIME) clocks, ms and µs
 * (load.c, with load_cause_names). */
int64_t load_mono_ms(void);
int64_t load_wall_us(void);

#endif
