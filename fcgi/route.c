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

/* Decode the application/x-www-form-urlencoded value src[0..n) into buf. */
static int form_decode(const char *src, size_t n, char *buf, size_t len)
{
    size_t o = 0;
    if (len == 0)
        return CP_ETOOBIG;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)src[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return CP_EINVAL;
            int hi = hex_value(src[i + 1]), lo = hex_value(src[i + 2]);
            if (hi < 0 || lo < 0 || (c = hi * 16 + lo) == 0)
                return CP_EINVAL;
            i += 2;
        }
        if (o + 1 >= len)
            return CP_ETOOBIG;
        buf[o++] = (char)c;
    }
    buf[o] = '\0';
    return CP_OK;
}

int route_query_param(const char *query, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen(name);
    for (const char *p = query ? query : ""; *p;) {
        size_t n = strcspn(p, "&;");
        if (n >= nlen && strncmp(p, name, nlen) == 0 && (n == nlen || p[nlen] == '='))
            return n == nlen ? form_decode("", 0, buf, len)
                             : form_decode(p + nlen + 1, n - nlen - 1, buf, len);
        p += n + (p[n] != '\0');
    }
    return CP_ENOENT;
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
