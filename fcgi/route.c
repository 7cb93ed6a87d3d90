#include "config.h"

#include "route.h"

#include "cp_error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_set(const char *s)
{
    return s && *s;
}

int route_path(const struct route_vars *v, char *buf, size_t len)
{
    int n;
    if (is_set(v->script_name) || is_set(v->path_info)) {
        n = snprintf(buf, len, "%s%s", v->script_name ? v->script_name : "",
                     v->path_info ? v->path_info : "");
    } else if (is_set(v->request_uri)) {
        n = snprintf(buf, len, "%.*s", (int)strcspn(v->request_uri, "?#"), v->request_uri);
    } else {
        n = snprintf(buf, len, "%s", "");
    }
    return n < 0 || (size_t)n >= len ? CP_ETOOBIG : n;
}

const char *route_last_segment(const char *path, size_t *seglen)
{
    const char *end = path + strlen(path);
    while (end > path && end[-1] == '/')
        end--;
    const char *start = end;
    while (start > path && start[-1] != '/')
        start--;
    *seglen = (size_t)(end - start);
    return start;
}

static bool segment_is(const char *seg, size_t len, const char *name)
{
    return len == strlen(name) && memcmp(seg, name, len) == 0;
}

enum route_target route_request(const struct route_vars *v)
{
    char path[ROUTE_PATH_MAX];
    if (route_path(v, path, sizeof path) < 0)
        return ROUTE_NOT_FOUND;
    size_t len;
    const char *seg = route_last_segment(path, &len);
    enum route_target t;
    if (segment_is(seg, len, "health"))
        t = ROUTE_HEALTH;
    else if (segment_is(seg, len, "stats"))
        t = ROUTE_STATS;
    else if (segment_is(seg, len, "history"))
        t = ROUTE_HISTORY;
    else
        return ROUTE_NOT_FOUND;
    const char *m = is_set(v->method) ? v->method : "GET";
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ? t : ROUTE_BAD_METHOD;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* True when arg equals the query word word[0..len) once the word is
 * %-decoded and any backslash Apache's ap_escape_shell_cmd put in arg is
 * dropped. */
static bool word_matches(const char *word, size_t len, const char *arg)
{
    size_t i = 0;
    while (i < len) {
        int c = (unsigned char)word[i++];
        if (c == '%' && i + 2 <= len && hex_value(word[i]) >= 0 && hex_value(word[i + 1]) >= 0) {
            c = hex_value(word[i]) * 16 + hex_value(word[i + 1]);
            i += 2;
        }
        if (*arg == '\\' && c != '\\')
            arg++;
        else if (*arg == '\\' && arg[1] == '\\')
            arg++;
        if ((unsigned char)*arg != c)
            return false;
        arg++;
    }
    return *arg == '\0';
}

int route_cgi_argc(int argc, char *const argv[], const char *query_string)
{
    if (!is_set(query_string) || strchr(query_string, '='))
        return argc;
    int words = 1;
    for (const char *p = query_string; *p; p++)
        words += *p == '+';
    if (words > argc - 1)
        return argc;
    const char *w = query_string;
    for (int i = argc - words; i < argc; i++) {
        size_t len = strcspn(w, "+");
        if (!word_matches(w, len, argv[i]))
            return argc;
        w += len + (w[len] == '+');
    }
    return argc - words;
}
