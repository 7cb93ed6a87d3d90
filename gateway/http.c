#include "config.h"

#include "http.h"

#include "cp_error.h"
#include "strlist.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdint.h>
#include <http_parser.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#define HTTP_FIELD_MAX 64   /* longer names are never ones we act on */
#define HTTP_VALUE_MAX 1024 /* bytes kept of an acted-on header's value */

/* The header fields we act on, with their lengths (a field line's name is
 * compared only with those of its length). */
#define HEADER_NAME(s)                                                                             \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
static const struct {
    const char *name;
    size_t len;
} header_names[HTTP_H_COUNT] = {
    [HTTP_H_HOST] = HEADER_NAME("host"),
    [HTTP_H_UPGRADE] = HEADER_NAME("upgrade"),
    [HTTP_H_CONNECTION] = HEADER_NAME("connection"),
    [HTTP_H_WS_KEY] = HEADER_NAME("sec-websocket-key"),
    [HTTP_H_WS_VERSION] = HEADER_NAME("sec-websocket-version"),
    [HTTP_H_WS_EXTENSIONS] = HEADER_NAME("sec-websocket-extensions"),
    [HTTP_H_ORIGIN] = HEADER_NAME("origin"),
    [HTTP_H_LAST_EVENT_ID] = HEADER_NAME("last-event-id"),
    [HTTP_H_IF_NONE_MATCH] = HEADER_NAME("if-none-match"),
    [HTTP_H_IF_MODIFIED_SINCE] = HEADER_NAME("if-modified-since"),
    [HTTP_H_ACCEPT_ENCODING] = HEADER_NAME("accept-encoding"),
};

/* Where the raw bytes of the head are, line by line (for obs-fold). */
enum http_line {
    HTTP_LINE_BEFORE,  /* empty lines before the request line (RFC 9112 §2.2) */
    HTTP_LINE_REQUEST, /* in the request line */
    HTTP_LINE_START,   /* at the start of a field line, or of the blank line */
    HTTP_LINE_FIELD,   /* in a field line */
    HTTP_LINE_DONE,    /* the blank line: the head is over */
};

struct http_request {
    http_parser parser;
    size_t max_head, head_bytes;
    unsigned max_headers;
    int error;          /* set by a callback to stop parsing */
    bool head_done;     /* on_headers_complete ran: fields now are trailers */
    const char *reason; /* why, when error is CP_EPROTO; static text */
    enum http_line line;
    bool complete, url_too_long;
    bool method_unknown; /* failed on a well-formed request line's method */
    size_t url_len;
    size_t field_len;
    bool in_value;
    int current;       /* enum http_header of the value being read, or -1 */
    size_t line_start; /* where the current line's part of that value begins */
    int n_headers;
    char *values[HTTP_H_COUNT]; /* value_buf[h] once header h was seen, else NULL */
    size_t value_len[HTTP_H_COUNT];
    unsigned lines[HTTP_H_COUNT]; /* field lines of each */
    size_t max_body;              /* bytes of body allowed (0: none) */
    char *body;                   /* the request body, NUL-terminated, or NULL */
    size_t body_len, body_cap;
    bool body_too_large;
    bool keep_raw; /* keep a copy of the request's bytes, as they came */
    char *raw;
    size_t raw_len, raw_cap;
    /* Text buffers, last: a reset empties them without clearing their ~17 KB
     * (every read is bounded by a length or a NUL written with it).  The
     * values live here rather than in blocks of their own: a WebSocket
     * handshake has five or six of them, and one allocation per request
     * is what a connection's set-up should cost (issue 20). */
    char url[HTTP_URL_MAX];
    char path[HTTP_URL_MAX], query[HTTP_URL_MAX];
    char field[HTTP_FIELD_MAX];
    char value_buf[HTTP_H_COUNT][HTTP_VALUE_MAX];
};

static struct http_request *req_of(http_parser *p)
{
    return p->data;
}

/* Stop parsing with a malformed request (400) for reason; returns what
 * stops http-parser from any callback. */
static int refuse(struct http_request *r, const char *reason)
{
    r->error = CP_EPROTO;
    r->reason = reason;
    return -1;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct http_request *r = req_of(p);
    if (r->url_len + len >= sizeof r->url) {
        r->url_too_long = true;
        r->error = CP_ETOOBIG;
        return 1;
    }
    memcpy(r->url + r->url_len, at, len);
    r->url_len += len;
    r->url[r->url_len] = '\0';
    return 0;
}

static int lookup_field(const struct http_request *r)
{
    if (r->field_len >= HTTP_FIELD_MAX)
        return -1;
    for (int h = 0; h < HTTP_H_COUNT; h++)
        if (header_names[h].len == r->field_len &&
            strncasecmp(header_names[h].name, r->field, r->field_len) == 0)
            return h;
    return -1;
}

/* Append to a header we act on; repeated lines are joined with ", " as
 * RFC 9110 §5.3 allows for list-valued fields. */
static int append_value(struct http_request *r, int h, const char *at, size_t len, bool first)
{
    size_t sep = first && r->values[h] ? 2 : 0;
    if (r->value_len[h] + sep + len >= HTTP_VALUE_MAX) {
        r->error = CP_ETOOBIG;
        return 1;
    }
    if (!r->values[h])
        r->values[h] = r->value_buf[h]; /* NUL-ended below at each append */
    if (sep)
        memcpy(r->values[h] + r->value_len[h], ", ", 2);
    if (first)
        r->line_start = r->value_len[h] + sep;
    memcpy(r->values[h] + r->value_len[h] + sep, at, len);
    r->value_len[h] += sep + len;
    r->values[h][r->value_len[h]] = '\0';
    return 0;
}

/* A field line ended: drop its value's trailing OWS.  RFC 9110 §5.5 leaves
 * OWS on both sides out of the value; http-parser strips only the leading
 * one, and a value may come in several calls (one per read), so this waits
 * for the line's end. */
static void end_value(struct http_request *r)
{
    if (!r->in_value || r->current < 0 || !r->values[r->current])
        return;
    char *v = r->values[r->current];
    size_t n = r->value_len[r->current];
    while (n > r->line_start && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    v[n] = '\0';
    r->value_len[r->current] = n;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct http_request *r = req_of(p);
    if (r->head_done)
        return 0; /* a chunked body's trailer: not merged (RFC 9110 §6.5.1) */
    if (r->in_value || r->n_headers == 0) {
        end_value(r);
        r->in_value = false;
        r->field_len = 0;
        if (++r->n_headers > (int)r->max_headers) {
            r->error = CP_ETOOBIG;
            return 1;
        }
    }
    /* This http-parser build takes SP as a name character, so "Host : a"
     * would be a header "Host " that nobody reads; RFC 9112 §5.1 says 400. */
    if (memchr(at, ' ', len))
        return refuse(r, "whitespace in a header name or before its colon (RFC 9112 5.1)");
    if (r->field_len + len < HTTP_FIELD_MAX)
        memcpy(r->field + r->field_len, at, len);
    r->field_len += len;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct http_request *r = req_of(p);
    if (r->head_done)
        return 0;
    bool first = !r->in_value;
    if (first) {
        r->in_value = true;
        r->current = lookup_field(r);
        if (r->current >= 0)
            r->lines[r->current]++;
    }
    return r->current < 0 ? 0 : append_value(r, r->current, at, len, first);
}

/* unreserved or sub-delims, RFC 3986 §2.3, §2.2 */
static bool is_host_char(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch && strchr("-._~!$&'()*+,;=", ch));
}

/* Host = uri-host [ ":" port ] (RFC 9112 §3.2, RFC 3986 §3.2.2-3), possibly
 * empty; an IP-literal's inside is checked only for its characters. */
static bool host_valid(const char *h)
{
    if (*h == '[') {
        size_t n = 0;
        while (is_host_char(h[1 + n]) || h[1 + n] == ':')
            n++;
        if (n == 0 || h[1 + n] != ']')
            return false;
        h += n + 2;
    } else {
        while (*h && *h != ':') {
            if (*h == '%' && isxdigit((unsigned char)h[1]) && isxdigit((unsigned char)h[2]))
                h += 3;
            else if (is_host_char(*h))
                h++;
            else
                return false;
        }
    }
    if (*h == ':')
        h += 1 + strspn(h + 1, "0123456789");
    return *h == '\0';
}

/* RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, and for any
 * request with more than one Host line or an invalid one.  HTTP/1.0 may
 * leave it out. */
static int check_host(struct http_request *r)
{
    const http_parser *p = &r->parser;
    bool v11 = p->http_major == 1 && p->http_minor >= 1;
    if (r->lines[HTTP_H_HOST] > 1)
        return refuse(r, "more than one Host header (RFC 9112 3.2)");
    if (r->lines[HTTP_H_HOST] == 0)
        return v11 ? refuse(r, "HTTP/1.1 request without a Host header (RFC 9112 3.2)") : 0;
    if (!host_valid(r->values[HTTP_H_HOST]))
        return refuse(r, "Host header is not a valid host[:port] (RFC 9112 3.2)");
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct http_request *r = req_of(p);
    end_value(r);
    r->head_done = true;
    if (check_host(r) != 0)
        return -1;
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(r->url, r->url_len, 0, &u) != 0 || !(u.field_set & (1 << UF_PATH)))
        return refuse(r, "malformed request target");
    memcpy(r->path, r->url + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    r->path[u.field_data[UF_PATH].len] = '\0';
    r->query[0] = '\0';
    if (u.field_set & (1 << UF_QUERY)) {
        memcpy(r->query, r->url + u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
        r->query[u.field_data[UF_QUERY].len] = '\0';
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct http_request *r = req_of(p);
    if (r->max_body == 0)
        return 0; /* not read: counted with the head, as before bodies were */
    if (len > r->max_body - r->body_len) {
        r->body_too_large = true;
        r->error = CP_ETOOBIG;
        return -1;
    }
    if (r->body_len + len + 1 > r->body_cap) {
        r->body_cap =
            r->body_len + len + 1 > 2 * r->body_cap ? r->body_len + len + 1 : 2 * r->body_cap;
        r->body = xrealloc(r->body, r->body_cap);
    }
    memcpy(r->body + r->body_len, at, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct http_request *r = req_of(p);
    r->complete = true;
    http_parser_pause(p, 1); /* leave pipelined bytes for the next request */
    return 0;
}

static const http_parser_settings http_settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

struct http_request *http_request_new(size_t max_head, unsigned max_headers)
{
    struct http_request *r = xmalloc(sizeof *r);
    memset(r, 0, offsetof(struct http_request, url));
    r->max_head = max_head;
    r->max_headers = max_headers;
    http_request_reset(r);
    return r;
}

void http_request_reset(struct http_request *r)
{
    free(r->body);
    free(r->raw);
    size_t max_head = r->max_head, max_body = r->max_body;
    unsigned max_headers = r->max_headers;
    bool keep_raw = r->keep_raw;
    memset(r, 0, offsetof(struct http_request, url));
    r->url[0] = r->path[0] = r->query[0] = r->field[0] = '\0';
    r->max_head = max_head;
    r->max_body = max_body;
    r->keep_raw = keep_raw;
    r->max_headers = max_headers;
    r->current = -1;
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
}

void http_request_free(struct http_request *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->raw);
    free(r);
}

/* Follow the head's raw bytes line by line.  False at a field line that
 * starts with SP or HTAB: obs-fold, or whitespace before the first field,
 * which RFC 9112 §5.2 and §2.2 let a server refuse.  http-parser joins such a
 * line to the previous value and calls on_header_value for it just as it
 * does for a value split across reads, so only the bytes can tell. */
static bool lines_ok(struct http_request *r, const char *data, size_t len)
{
    for (size_t i = 0; i < len && r->line != HTTP_LINE_DONE; i++) {
        char ch = data[i];
        switch (r->line) {
        case HTTP_LINE_BEFORE:
            if (ch != '\r' && ch != '\n')
                r->line = HTTP_LINE_REQUEST;
            break;
        case HTTP_LINE_START:
            if (ch == ' ' || ch == '\t')
                return false;
            r->line = ch == '\r' || ch == '\n' ? HTTP_LINE_DONE : HTTP_LINE_FIELD;
            break;
        default: { /* the request line or a field line: on to its LF */
            const char *lf = memchr(data + i, '\n', len - i);
            if (!lf)
                return true;
            i = (size_t)(lf - data);
            r->line = HTTP_LINE_START;
            break;
        }
        }
    }
    return true;
}

/* A tchar of RFC 9110 §5.6.2, what a method is made of. */
static bool is_tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* p (n bytes) starts with a request line of RFC 9112 §3's form: method SP
 * request-target SP HTTP/d.d CRLF (or LF).  What http-parser refused in it
 * can then only be the method: one it does not know. */
static bool request_line_well_formed(const char *p, size_t n)
{
    size_t i = 0, start;
    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i >= n || p[i++] != ' ')
        return false;
    for (start = i; i < n && (unsigned char)p[i] > ' ' && p[i] != 0x7f; i++)
        ;
    if (i == start || n - i < 10 || p[i++] != ' ' || memcmp(p + i, "HTTP/", 5) != 0)
        return false;
    i += 5;
    if (!isdigit((unsigned char)p[i]) || p[i + 1] != '.' || !isdigit((unsigned char)p[i + 2]))
        return false;
    i += 3;
    return p[i] == '\n' || (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n');
}

int http_request_feed(struct http_request *r, const char *data, size_t len, size_t *consumed)
{
    *consumed = 0;
    if (r->complete)
        return CP_OK;
    /* The head within max_head; once it is read, the body (which on_body
     * bounds by max_body) and its chunk framing.  Without max_body a body
     * is skipped within max_head. */
    bool body = r->head_done && r->max_body > 0;
    size_t room = body ? SIZE_MAX - r->head_bytes : r->max_head - r->head_bytes;
    size_t n = http_parser_execute(&r->parser, &http_settings, data, len < room ? len : room);
    *consumed = n;
    r->head_bytes += n;
    if (r->keep_raw && n > 0) {
        if (r->raw_len + n > r->raw_cap) {
            r->raw_cap = (r->raw_len + n) * 2;
            r->raw = xrealloc(r->raw, r->raw_cap);
        }
        memcpy(r->raw + r->raw_len, data, n);
        r->raw_len += n;
    }
    enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
    if (!lines_ok(r, data, n)) {
        refuse(r, "obsolete line folding: a header line starts with a space or tab "
                  "(RFC 9112 5.2)");
        return CP_EPROTO;
    }
    if (r->complete) {
        http_parser_pause(&r->parser, 0);
        return CP_OK;
    }
    if (r->error)
        return r->error;
    /* Not parser.upgrade: it is set from the head on, so a read ending in
     * the body of an Upgrade request is still "need more", as it is for
     * any other request. */
    if (e != HPE_OK) {
        /* Unknown methods fail on their first bytes, so the line is here
         * whole unless it came in pieces (then it is a plain 400). */
        r->method_unknown = e == HPE_INVALID_METHOD && request_line_well_formed(data, len);
        return CP_EPROTO;
    }
    /* The head ended within this read's max_head bytes and its body goes on
     * past them: feed the rest now, since no further read may come. */
    if (!body && r->head_done && r->max_body > 0 && n < len) {
        size_t more;
        int rc = http_request_feed(r, data + n, len - n, &more);
        *consumed += more;
        return rc;
    }
    if (!(r->head_done && r->max_body > 0) && r->head_bytes >= r->max_head)
        return CP_ETOOBIG;
    return CP_EAGAIN;
}

const char *http_request_method(const struct http_request *r)
{
    return http_method_str(r->parser.method);
}

bool http_request_is_get(const struct http_request *r)
{
    return r->parser.method == HTTP_GET;
}

bool http_request_is_head(const struct http_request *r)
{
    /* http_parser guesses the method from its first letter before it has
     * read the whole token ("HELLO" starts as HEAD): trust it only once the
     * URL started, i.e. the method was read whole. */
    return (r->url_len > 0 || r->url_too_long) && r->parser.method == HTTP_HEAD;
}

bool http_request_is_options(const struct http_request *r)
{
    return r->parser.method == HTTP_OPTIONS;
}

const char *http_request_path(const struct http_request *r)
{
    return r->path;
}

const char *http_request_query(const struct http_request *r)
{
    return r->query;
}

const char *http_request_header(const struct http_request *r, enum http_header h)
{
    return r->values[h];
}

/* Not http_should_keep_alive(): http-parser matches "close" and
 * "keep-alive" only when a space, comma or line end follows them, so
 * "Connection: close<TAB>" kept the connection open. */
bool http_request_keep_alive(const struct http_request *r)
{
    const char *conn = r->values[HTTP_H_CONNECTION];
    bool v11 = r->parser.http_major > 1 || (r->parser.http_major == 1 && r->parser.http_minor >= 1);
    if (http_token_list_has(conn, "close"))
        return false;
    return v11 || http_token_list_has(conn, "keep-alive"); /* RFC 9112 §9.3 */
}

int http_request_major(const struct http_request *r)
{
    return r->parser.http_major;
}

int http_request_minor(const struct http_request *r)
{
    return r->parser.http_major > 1 ? 1 : r->parser.http_minor;
}

const char *http_request_error(const struct http_request *r)
{
    return r->reason ? r->reason : "malformed HTTP request";
}

bool http_request_url_too_long(const struct http_request *r)
{
    return r->url_too_long;
}

bool http_request_method_unknown(const struct http_request *r)
{
    return r->method_unknown;
}

bool http_token_list_has(const char *list, const char *token)
{
    size_t tlen = strlen(token);
    const char *item;
    size_t len;
    while (strlist_next(&list, &item, &len))
        if (len > 0 && len == tlen && strncasecmp(item, token, tlen) == 0)
            return true;
    return false;
}

const char *http_status_text(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    }
    return "Unknown";
}

bool http_request_started(const struct http_request *r)
{
    return r && r->head_bytes > 0;
}

void http_request_set_max_body(struct http_request *r, size_t max_body)
{
    r->max_body = max_body;
}

const char *http_request_body(const struct http_request *r, size_t *len)
{
    *len = r->body_len;
    return r->body ? r->body : "";
}

bool http_request_body_too_large(const struct http_request *r)
{
    return r->body_too_large;
}

bool http_request_is_post(const struct http_request *r)
{
    return r->parser.method == HTTP_POST;
}

void http_request_keep_raw(struct http_request *r, bool keep)
{
    r->keep_raw = keep;
}

const char *http_request_raw(const struct http_request *r, size_t *len)
{
    *len = r->raw_len;
    return r->raw ? r->raw : "";
}
