/* route: which answer a CGI or FastCGI request gets, decided from its CGI
 * variables (RFC 3875 §4.1) alone.  Pure functions, no I/O, any thread.
 * Every string is borrowed from the caller; output buffers are the caller's. */
#ifndef CP_ROUTE_H
#define CP_ROUTE_H

#include <stddef.h>

/* The CGI variables routing looks at; any may be NULL (unset). */
struct route_vars {
    const char *method;        /* REQUEST_METHOD */
    const char *script_name;   /* SCRIPT_NAME */
    const char *path_info;     /* PATH_INFO */
    const char *request_uri;   /* REQUEST_URI (not in RFC 3875, but every server sends it) */
    const char *query;         /* QUERY_STRING */
    const char *if_none_match; /* HTTP_IF_NONE_MATCH (not for routing: /history's 304) */
};

enum route_target {
    ROUTE_HEALTH,     /* GET or HEAD /health */
    ROUTE_STATS,      /* GET or HEAD /stats */
    ROUTE_HISTORY,    /* GET or HEAD /history */
    ROUTE_NOT_FOUND,  /* 404: no such path */
    ROUTE_BAD_METHOD, /* 405: known path, method other than GET or HEAD */
};

#define ROUTE_ALLOW "GET, HEAD" /* the Allow header of a 405 */
#define ROUTE_PATH_MAX 1024     /* bytes of a request path route_path keeps */

/* The request path: SCRIPT_NAME followed by PATH_INFO, or REQUEST_URI without
 * its query when both are empty.  Writes it NUL-terminated into buf (len
 * bytes; "" when nothing is set).  Returns its length, or CP_ETOOBIG. */
int route_path(const struct route_vars *v, char *buf, size_t len);

/* The last non-empty '/'-separated segment of path, ignoring trailing
 * slashes: "/cgi-bin/cryptopulse-fcgi/health/" gives "health" (*seglen = 6).
 * Returns a pointer into path; *seglen is 0 when there is no segment. */
const char *route_last_segment(const char *path, size_t *seglen);

/* Decide the answer from the last segment, "health", "stats" or "history".
 * Servers split the path differently (mod_proxy_fcgi:
 * SCRIPT_NAME=/health; mod_cgi and mod_fcgid: SCRIPT_NAME=/cgi-bin/x,
 * PATH_INFO=/health; lighttpd: SCRIPT_NAME=/health, PATH_INFO unset), so only
 * the last segment of route_path counts.  A missing method counts as GET. */
enum route_target route_request(const struct route_vars *v);

/* RFC 3875 §4.4: for a query without an unencoded '=' (an "indexed" query),
 * servers such as Apache mod_cgi append its '+'-separated, %-decoded (and
 * shell-escaped) words to argv.  Returns argc without those trailing words
 * when argv really ends with them, else argc unchanged, so that a request
 * for /health?--help cannot reach the option parser. */
int route_cgi_argc(int argc, char *const argv[], const char *query_string);

#endif
