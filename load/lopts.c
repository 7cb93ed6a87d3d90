#include "config.h"

#include "lopts.h"

#include "cp_error.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* A decimal number lo..hi made of digits alone, len bytes; -1 if not. */
static long long digits(const char *s, size_t len, long long lo, long long hi)
{
    long long v = 0;
    if (len == 0 || len > 10)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

int lopts_url(struct load_opts *o, const char *url, char *err, size_t errlen)
{
    const char *rest;
    enum load_transport t;
    if (strncmp(url, "ws://", 5) == 0) {
        t = LOAD_WS;
        rest = url + 5;
    } else if (strncmp(url, "http://", 7) == 0) {
        t = LOAD_SSE;
        rest = url + 7;
    } else if (strncmp(url, "socketio://", 11) == 0) {
        t = LOAD_SIO;
        rest = url + 11;
    } else {
        snprintf(err, errlen, "bad URL '%s': not ws://, http:// or socketio://", url);
        return CP_EINVAL;
    }
    const char *slash = strchr(rest, '/');
    size_t hl = slash ? (size_t)(slash - rest) : strlen(rest);
    const char *colon = memchr(rest, ':', hl);
    size_t host_len = colon ? (size_t)(colon - rest) : hl;
    if (host_len == 0 || host_len >= sizeof o->host) {
        snprintf(err, errlen, "bad URL '%s': no host or too long a host", url);
        return CP_EINVAL;
    }
    long long port = 80;
    if (colon && (port = digits(colon + 1, hl - host_len - 1, 1, 65535)) < 0) {
        snprintf(err, errlen, "bad URL '%s': the port is not a number 1..65535", url);
        return CP_EINVAL;
    }
    if (slash && strlen(slash) >= sizeof o->path) {
        snprintf(err, errlen, "bad URL '%s': path too long", url);
        return CP_EINVAL;
    }
    o->transport = t;
    memcpy(o->host, rest, host_len);
    o->host[host_len] = '\0';
    o->port = (int)port;
    static const char *const def_path[] = {
        [LOAD_WS] = "/ws", [LOAD_SSE] = "/events", [LOAD_SIO] = "/socket.io/"};
    snprintf(o->path, sizeof o->path, "%s", slash ? slash : def_path[t]);
    return CP_OK;
}

int lopts_symbols(struct load_opts *o, const char *list, char *err, size_t errlen)
{
    char sym[LOAD_SYMBOLS_MAX][PRICE_SYMBOL_MAX]; /* o changes only if all are good */
    int n = 0;
    for (const char *p = list;; p++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char one[PRICE_SYMBOL_MAX];
        if (len == 0 || len >= sizeof one || n == LOAD_SYMBOLS_MAX) {
            snprintf(err, errlen, "bad symbol list '%s': %s", list,
                     n == LOAD_SYMBOLS_MAX ? "too many symbols"
                     : len == 0            ? "an empty symbol"
                                           : "a symbol too long");
            return CP_EINVAL;
        }
        memcpy(one, p, len);
        one[len] = '\0';
        if (!price_symbol_valid(one)) {
            snprintf(err, errlen, "bad symbol list '%s': bad symbol '%s'", list, one);
            return CP_EINVAL;
        }
        memcpy(sym[n++], one, sizeof one);
        if (!comma)
            break;
        p = comma;
    }
    memcpy(o->symbols, sym, (size_t)n * sizeof sym[0]);
    o->nsymbols = n;
    return CP_OK;
}

int lopts_pids(const char *list, char *err, size_t errlen)
{
    int n = 0;
    for (const char *p = list;; p++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (digits(p, len, 1, INT_MAX) < 0) {
            snprintf(err, errlen, "bad --pid list '%s': '%.*s' is not a process id", list,
                     (int)(len > 32 ? 32 : len), p);
            return CP_EINVAL;
        }
        n++;
        if (!comma)
            return n;
        p = comma;
    }
}
