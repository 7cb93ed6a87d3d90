/* cryptopulse-fcgi: answers GET /health, /stats (PROTOCOL.md §5) and
 * /history (§1) as a FastCGI application or, started by a web server as CGI,
 * for one request.  Routing and the JSON live in route.c, reply.c and lib/
 * (health, metrics, history); Redis in probe.c; this file picks the mode,
 * turns results into answers and moves bytes. */
#include "config.h"

#include "conf.h"
#include "cp_error.h"
#include "health.h"
#include "history.h"
#include "log.h"
#include "metrics.h"
#include "price.h"
#include "probe.h"
#include "reply.h"
#include "route.h"
#include "strlist.h"
#include "urlcode.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_BACKLOG 128

/* Everything a request needs, built in main(). */
struct fcgi_app {
    struct cp_conf conf;
    char listen[CONF_STR_MAX]; /* --listen ADDR, "" = not given */
    struct probe *probe;
    int last_status;   /* HTTP status of the previous /health, to log changes once */
    bool redis_failed; /* the previous /stats or /history found Redis unreachable */
};

static int set_listen(void *ctx, const char *arg, char *err, size_t errlen)
{
    struct fcgi_app *app = ctx;
    char any[CONF_STR_MAX + 2], host[CONF_STR_MAX];
    const char *entry = arg;
    if (arg[0] == ':') { /* libfcgi's ":PORT", any address: check it as "*:PORT" */
        snprintf(any, sizeof any, "*%s", arg);
        entry = any;
    }
    int port;
    bool port_ok = strlist_hostport(entry, strlen(entry), host, sizeof host, &port);
    if (!(arg[0] == '/' || port_ok) || strlen(arg) >= sizeof app->listen) {
        snprintf(err, errlen,
                 "--listen: \"%s\" is not HOST:PORT, :PORT (port 1-65535) or /path.sock", arg);
        return CP_EINVAL;
    }
    strcpy(app->listen, arg);
    return CP_OK;
}
/* Web servers running a CGI program may pass the words of a query as
 * arguments (RFC 3875 §4.4); route_cgi_argc drops those, this drops the rest. */
static int ignore_positional(void *ctx, const char *arg, char *err, size_t errlen)
{
    return CP_OK;
}

static const struct conf_extra_flag fcgi_flags[] = {
    {"listen", 'l', 1, "ADDR",
     "serve FastCGI on HOST:PORT or /path.sock (default: CGI or the socket on fd 0)", set_listen},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static char *answer_error(int status, const char *allow, const char *code, const char *msg,
                          bool head, size_t *len)
{
    char *body = reply_error_body(code, msg);
    char *out = reply_format(status, allow, body, head, len);
    free(body);
    return out;
}

static char *answer_health(struct fcgi_app *app, bool head, size_t *len)
{
    struct health_probe p;
    probe_run(app->probe, &p);
    int status = 500;
    json_t *obj = health_to_json(&p, price_now_ms(), app->conf.update_interval_ms, &status);
    char *body = reply_json(obj);
    json_decref(obj);
    if (!body) {
        log_error("cannot encode the /health JSON");
        return answer_error(500, NULL, "internal", "cannot encode the answer", head, len);
    }
    if (status != app->last_status) {
        enum log_level lvl = status == 200 ? LOG_INFO : LOG_WARN;
        log_msg(app->last_status < 0 && status == 200 ? LOG_DEBUG : lvl, "health %d: %s", status,
                body);
        app->last_status = status;
    }
    char *out = reply_format(status, NULL, body, head, len);
    free(body);
    return out;
}

/* 503 when Redis cannot be read, logged when it starts failing, not per request. */
static char *answer_unavailable(struct fcgi_app *app, const char *err, bool head, size_t *len)
{
    if (!app->redis_failed)
        log_warn("Redis unreachable: %s", err);
    app->redis_failed = true;
    return answer_error(503, NULL, "unavailable", "Redis is unreachable", head, len);
}

static void redis_answered(struct fcgi_app *app)
{
    if (app->redis_failed)
        log_info("Redis answers again");
    app->redis_failed = false;
}

static char *answer_json(int status, json_t *obj, bool head, size_t *len)
{
    char *body = reply_json(obj);
    json_decref(obj);
    if (!body)
        return answer_error(500, NULL, "internal", "cannot encode the answer", head, len);
    char *out = reply_format(status, NULL, body, head, len);
    free(body);
    return out;
}

/* The totals of every gateway worker whose counters are fresh in Redis, as
 * the gateway's own /stats sums them (README.md, Scaling). */
static char *answer_stats(struct fcgi_app *app, bool head, size_t *len)
{
    struct probe_strings s;
    char err[HEALTH_ERROR_MAX];
    int64_t since = price_now_ms() - metrics_ttl_ms(app->conf.stats_interval_ms);
    if (probe_stats(app->probe, since, &s, err, sizeof err) != CP_OK)
        return answer_unavailable(app, err, head, len);
    redis_answered(app);
    json_t *workers = metrics_workers((const char *const *)s.texts, s.lens, s.n);
    probe_strings_free(&s);
    json_t *total = metrics_merge(workers);
    json_decref(workers);
    struct health_probe hp = {0};
    probe_sources(app->probe, &hp); /* the live feed's sources, as /health shows them */
    json_t *sources = health_sources(&hp);
    if (sources)
        json_object_set_new(total, "sources", sources);
    return answer_json(200, total, head, len);
}

/* GET /history?symbol=BTC&limit=60, checked as the gateway checks it. */
static char *answer_history(struct fcgi_app *app, const char *query, bool head, size_t *len)
{
    char symbol[PRICE_SYMBOL_MAX + 1] = "", limit[16], err[HEALTH_ERROR_MAX];
    int n, lrc = urlcode_query_param(query, "limit", limit, sizeof limit);
    if (lrc != CP_OK)
        limit[0] = '\0'; /* too long or malformed: history_check refuses "" */
    if (urlcode_query_param(query, "symbol", symbol, sizeof symbol) != CP_OK)
        symbol[0] = '\0';
    if (history_check(symbol[0] ? symbol : NULL, lrc == CP_ENOENT ? NULL : limit, &n, err,
                      sizeof err) != CP_OK)
        return answer_error(400, NULL, "bad_request", symbol[0] ? err : "symbol is required", head,
                            len);
    struct probe_strings s;
    char *symbols;
    if (probe_history(app->probe, history_ticks_for(n), &s, &symbols, err, sizeof err) != CP_OK)
        return answer_unavailable(app, err, head, len);
    redis_answered(app);
    bool listed = history_symbol_listed(symbols, symbol);
    free(symbols);
    json_t *obj =
        listed ? history_points(symbol, (const char *const *)s.texts, s.lens, s.n, n) : NULL;
    probe_strings_free(&s);
    if (!listed)
        return answer_error(400, NULL, "unknown_symbol", "not carried by this feed", head, len);
    return answer_json(200, obj, head, len);
}

/* The whole CGI response for one request; the caller frees it. */
static char *answer(struct fcgi_app *app, const struct route_vars *v, size_t *len)
{
    bool head = v->method && strcmp(v->method, "HEAD") == 0;
    switch (route_request(v)) {
    case ROUTE_HEALTH: return answer_health(app, head, len);
    case ROUTE_STATS: return answer_stats(app, head, len);
    case ROUTE_HISTORY: return answer_history(app, v->query, head, len);
    case ROUTE_BAD_METHOD:
        return answer_error(405, ROUTE_ALLOW, "method_not_allowed", "only GET and HEAD are allowed",
                            head, len);
    case ROUTE_NOT_FOUND: break;
    }
    return answer_error(404, NULL, "not_found", "no such resource; try /health, /stats or /history",
                        head, len);
}

static int run_cgi(struct fcgi_app *app)
{
    struct route_vars v = {getenv("REQUEST_METHOD"), getenv("SCRIPT_NAME"), getenv("PATH_INFO"),
                           getenv("REQUEST_URI"), getenv("QUERY_STRING")};
    size_t len;
    char *out = answer(app, &v, &len);
    bool ok = fwrite(out, 1, len, stdout) == len && fflush(stdout) == 0;
    free(out);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* A Unix socket path left behind by a previous run that nobody listens on
 * any more is removed; one still in use is left alone (bind then fails). */
static void remove_stale_socket(const char *path)
{
    struct stat st;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode) || strlen(path) >= sizeof sa.sun_path)
        return;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno == ECONNREFUSED)
        unlink(path);
    close(fd);
}

static int run_fastcgi(struct fcgi_app *app)
{
    int fd = 0;
    if (FCGX_Init() != 0) {
        log_error("cannot initialise libfcgi");
        return EXIT_FAILURE;
    }
    if (app->listen[0]) {
        if (app->listen[0] == '/')
            remove_stale_socket(app->listen);
        fd = FCGX_OpenSocket(app->listen, LISTEN_BACKLOG);
        if (fd < 0) {
            log_error("cannot listen on %s (address in use, or not HOST:PORT or a path)",
                      app->listen);
            return EXIT_FAILURE;
        }
        log_info("serving FastCGI on %s", app->listen);
    }
    FCGX_Request req;
    if (FCGX_InitRequest(&req, fd, 0) != 0)
        return EXIT_FAILURE;
    int rc;
    while ((rc = FCGX_Accept_r(&req)) >= 0) {
        struct route_vars v = {
            FCGX_GetParam("REQUEST_METHOD", req.envp), FCGX_GetParam("SCRIPT_NAME", req.envp),
            FCGX_GetParam("PATH_INFO", req.envp), FCGX_GetParam("REQUEST_URI", req.envp),
            FCGX_GetParam("QUERY_STRING", req.envp)};
        size_t len;
        char *out = answer(app, &v, &len);
        FCGX_PutStr(out, (int)len, req.out);
        free(out);
        FCGX_Finish_r(&req);
    }
    log_info("FastCGI socket closed or interrupted (%d); exiting", rc);
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    static struct fcgi_app app = {.last_status = -1};
    bool cgi_env = getenv("GATEWAY_INTERFACE") != NULL;
    const struct conf_program_info info = {
        .name = "cryptopulse-fcgi",
        .summary =
            "Answer GET /health, /stats and /history for CryptoPulse as a FastCGI or CGI program.",
        .usage = "[OPTION]...",
        .programs = CONF_FCGI,
        .extra = fcgi_flags,
        .ctx = &app,
        .positional = cgi_env ? ignore_positional : NULL,
    };
    if (cgi_env)
        argc = route_cgi_argc(argc, argv, getenv("QUERY_STRING"));
    enum conf_args_result r = conf_parse_args(&app.conf, &info, argc, argv);
    if (r == CONF_ARGS_EXIT_OK)
        return EXIT_SUCCESS;
    bool fastcgi = app.listen[0] || !FCGX_IsCGI();
    if (r == CONF_ARGS_USAGE) {
        if (!cgi_env || fastcgi)
            return 2;
        size_t len; /* the error went to stderr, the server's log: tell the client too */
        char *out =
            answer_error(500, NULL, "bad_config", "see the server's error log", false, &len);
        fwrite(out, 1, len, stdout);
        free(out);
        return EXIT_FAILURE;
    }
    log_init(info.name, app.conf.log_level);
    if (!fastcgi && !cgi_env) {
        fprintf(stderr,
                "%s: not started by a web server (GATEWAY_INTERFACE unset, fd 0 is "
                "no FastCGI socket); use --listen ADDR\n"
                "Try '%s --help' for more information.\n",
                info.name, info.name);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-answer is an error return, not death */
    app.probe = probe_new(&app.conf);
    int rc = fastcgi ? run_fastcgi(&app) : run_cgi(&app);
    probe_free(app.probe);
    return rc;
}
