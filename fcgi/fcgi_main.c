/* cryptopulse-fcgi: answers GET /health, /stats (docs/PROTOCOL.md §5) and
 * /history (§1) as a FastCGI application or, started by a web server as CGI,
 * for one request.  The answers come from handlers.c (routing in route.c,
 * Redis in probe.c); this file reads the options, picks the mode and moves
 * the bytes. */
#include "config.h"

#include "conf.h"
#include "confreload.h"
#include "cp_error.h"
#include "handlers.h"
#include "log.h"
#include "probe.h"
#include "route.h"
#include "strlist.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
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
    struct handlers_state handlers;
    const struct conf_program_info *info; /* with argc, argv: read again on SIGHUP */
    int argc;
    char **argv;
};

/* SIGHUP: the handler writes a byte here; the accept loop reads it. */
static int fcgi_hup_pipe[2] = {-1, -1};

static void note_hup(int sig)
{
    int saved = errno;
    ssize_t w = write(fcgi_hup_pipe[1], "h", 1);
    (void)w; /* full: a reload is pending anyway */
    errno = saved;
}

/* SIGHUP stays blocked from the start of main() until note_hup is in place
 * (run_fastcgi): one sent during start-up waits instead of killing us. */
static void block_hup(int how)
{
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    sigprocmask(how, &hup, NULL);
}

/* Read the settings again and apply LOG_LEVEL and what the handlers read per
 * request (confreload.h); a bad value keeps the running settings. */
static void reload(struct fcgi_app *app)
{
    char buf[64];
    while (read(fcgi_hup_pipe[0], buf, sizeof buf) > 0)
        continue;
    static struct cp_conf fresh;
    char err[CONF_LIST_MAX + 128];
    if (conf_reparse_args(&fresh, app->info, app->argc, app->argv, err, sizeof err) != CP_OK)
        confreload_failed(err);
    else
        confreload_apply(&app->conf, &fresh, CONF_FCGI, app->info->name, false);
}

/* Before accepting on listen_fd: wait until a client connects, reloading on
 * every SIGHUP meanwhile.  Returns false if waiting failed or another signal
 * came (libfcgi catches SIGTERM and SIGUSR1 to end the accept loop). */
static bool wait_for_client(struct fcgi_app *app, int listen_fd)
{
    for (;;) {
        struct pollfd p[2] = {{listen_fd, POLLIN, 0}, {fcgi_hup_pipe[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            int why = errno;
            char hup;
            if (why == EINTR && read(fcgi_hup_pipe[0], &hup, 1) == 1) {
                reload(app);
                continue;
            }
            /* libfcgi's SIGTERM or SIGUSR1: stop, as its accept would */
            if (why != EINTR)
                log_error("poll: %s", strerror(why));
            return false;
        }
        if (p[1].revents)
            reload(app);
        if (p[0].revents)
            return true;
    }
}

/* Install the SIGHUP handler and let a pending SIGHUP in. */
static int catch_hup(void)
{
    if (pipe(fcgi_hup_pipe) != 0)
        return CP_EIO;
    for (int i = 0; i < 2; i++) {
        fcntl(fcgi_hup_pipe[i], F_SETFL, fcntl(fcgi_hup_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(fcgi_hup_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa = {.sa_handler = note_hup};
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    block_hup(SIG_UNBLOCK);
    return CP_OK;
}

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

static int run_cgi(struct fcgi_app *app)
{
    struct route_vars v = {getenv("REQUEST_METHOD"), getenv("SCRIPT_NAME"),
                           getenv("PATH_INFO"),      getenv("REQUEST_URI"),
                           getenv("QUERY_STRING"),   getenv("HTTP_IF_NONE_MATCH")};
    size_t len;
    char *out = handlers_answer(&app->handlers, &v, &len);
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
    if (FCGX_InitRequest(&req, fd, 0) != 0 || catch_hup() != CP_OK)
        return EXIT_FAILURE;
    int rc = 0;
    /* A kept-alive web server connection (ipcFd open) brings the next
     * request itself; otherwise wait for a client here, where SIGHUP is
     * served at once. */
    while ((req.ipcFd >= 0 || wait_for_client(app, fd)) && (rc = FCGX_Accept_r(&req)) >= 0) {
        struct route_vars v = {FCGX_GetParam("REQUEST_METHOD", req.envp),
                               FCGX_GetParam("SCRIPT_NAME", req.envp),
                               FCGX_GetParam("PATH_INFO", req.envp),
                               FCGX_GetParam("REQUEST_URI", req.envp),
                               FCGX_GetParam("QUERY_STRING", req.envp),
                               FCGX_GetParam("HTTP_IF_NONE_MATCH", req.envp)};
        size_t len;
        char *out = handlers_answer(&app->handlers, &v, &len);
        FCGX_PutStr(out, (int)len, req.out);
        free(out);
        FCGX_Finish_r(&req);
        char pending;
        if (read(fcgi_hup_pipe[0], &pending, 1) == 1)
            reload(app);
    }
    log_info("FastCGI socket closed or interrupted (%d); exiting", rc);
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    block_hup(SIG_BLOCK);
    static struct fcgi_app app;
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
    app.info = &info;
    app.argc = argc;
    app.argv = argv;
    enum conf_args_result r = conf_parse_args(&app.conf, &info, argc, argv);
    if (r == CONF_ARGS_EXIT_OK)
        return EXIT_SUCCESS;
    bool fastcgi = app.listen[0] || !FCGX_IsCGI();
    if (r == CONF_ARGS_USAGE) {
        if (!cgi_env || fastcgi)
            return 2;
        size_t len; /* the error went to stderr, the server's log: tell the client too */
        char *out =
            handlers_error(500, NULL, "bad_config", "see the server's error log", false, &len);
        fwrite(out, 1, len, stdout);
        free(out);
        return EXIT_FAILURE;
    }
    conf_apply_logging(info.name, &app.conf);
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
    handlers_init(&app.handlers, &app.conf, app.probe);
    int rc = fastcgi ? run_fastcgi(&app) : run_cgi(&app);
    probe_free(app.probe);
    return rc;
}
