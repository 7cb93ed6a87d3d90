#define _GNU_SOURCE 1 /* strptime, timegm */

#include "config.h"

#include "www.h"

#include "cp_error.h"
#include "etag.h"
#include "log.h"
#include "strlist.h"
#include "xalloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define WWW_DEPTH_MAX 8 /* folder levels loaded at start */

/* Bytes shared by every output buffer that sends them (evbuffer_add_reference);
 * the last reference frees them, so reloading a file never pulls bytes out
 * from under a response still being written. */
struct blob {
    unsigned refs;
    size_t len;
    unsigned char data[];
};

struct entry {
    struct entry *next;
    char *real; /* resolved path, the cache key */
    const char *mime;
    time_t mtime;
    off_t size;
    ino_t ino;
    struct blob *body, *gz; /* gz NULL when compression does not pay */
    char etag[ETAG_MAX], etag_gz[ETAG_MAX], last_modified[40];
};

struct www {
    char root[PATH_MAX];
    size_t root_len;
    struct entry *files;
};

static void blob_unref(struct blob *b)
{
    if (b && --b->refs == 0)
        free(b);
}

static void blob_cleanup(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    blob_unref(arg);
}

static struct blob *blob_new(size_t len)
{
    struct blob *b = xmalloc(sizeof *b + (len ? len : 1));
    b->refs = 1;
    b->len = len;
    return b;
}

/* Text compresses; images and fonts are compressed already. */
static bool compressible(const char *mime)
{
    return strncmp(mime, "text/", 5) == 0 || strcmp(mime, "image/svg+xml") == 0 ||
           strcmp(mime, "application/json") == 0;
}

/* gzip (RFC 1952) of b at level 9, or NULL when it would not be smaller. */
static struct blob *gzip_blob(const struct blob *b)
{
    z_stream zs = {0};
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    struct blob *gz = blob_new(deflateBound(&zs, b->len) + 32);
    zs.next_in = (Bytef *)b->data;
    zs.avail_in = (uInt)b->len;
    zs.next_out = gz->data;
    zs.avail_out = (uInt)gz->len;
    int rc = deflate(&zs, Z_FINISH);
    gz->len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END || gz->len >= b->len) {
        blob_unref(gz);
        return NULL;
    }
    return gz;
}

static bool read_all(int fd, struct blob *b)
{
    size_t done = 0;
    while (done < b->len) {
        ssize_t n = read(fd, b->data + done, b->len - done);
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    return true;
}

static void entry_drop_bytes(struct entry *e)
{
    blob_unref(e->body);
    blob_unref(e->gz);
    e->body = e->gz = NULL;
}

/* (Re)load e's bytes from disk with their validators and gzip copy. */
static bool entry_load(struct entry *e)
{
    int fd = open(e->real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > WWW_FILE_MAX) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    struct blob *body = blob_new((size_t)st.st_size);
    bool ok = read_all(fd, body);
    close(fd);
    if (!ok) {
        blob_unref(body);
        return false;
    }
    entry_drop_bytes(e);
    e->body = body;
    e->mtime = st.st_mtime;
    e->size = st.st_size;
    e->ino = st.st_ino;
    e->mime = www_mime_type(e->real);
    e->gz = compressible(e->mime) ? gzip_blob(body) : NULL;
    etag_format(body->data, body->len, NULL, e->etag);
    /* A different representation needs its own strong tag (RFC 9110 §8.8.3). */
    etag_format(body->data, body->len, "-gz", e->etag_gz);
    struct tm tm;
    gmtime_r(&e->mtime, &tm);
    strftime(e->last_modified, sizeof e->last_modified, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return true;
}

static void entry_free(struct entry *e)
{
    entry_drop_bytes(e);
    free(e->real);
    free(e);
}

static struct entry *find(const struct www *w, const char *real)
{
    for (struct entry *e = w->files; e; e = e->next)
        if (strcmp(e->real, real) == 0)
            return e;
    return NULL;
}

static void remove_entry(struct www *w, struct entry *gone)
{
    for (struct entry **p = &w->files; *p; p = &(*p)->next)
        if (*p == gone) {
            *p = gone->next;
            entry_free(gone);
            return;
        }
}

/* The cached entry of a resolved path, loaded when new or changed on disk
 * (one stat per request keeps edits to www/ visible without a restart). */
static struct entry *lookup(struct www *w, const char *real)
{
    struct entry *e = find(w, real);
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (e)
            remove_entry(w, e);
        return NULL;
    }
    if (e && e->mtime == st.st_mtime && e->size == st.st_size && e->ino == st.st_ino)
        return e;
    bool fresh = !e;
    if (fresh) {
        e = xcalloc(1, sizeof *e);
        e->real = xstrdup(real);
    }
    if (!entry_load(e)) {
        if (fresh)
            entry_free(e);
        else
            remove_entry(w, e);
        return NULL;
    }
    if (fresh) {
        e->next = w->files;
        w->files = e;
    }
    return e;
}

/* Load every visible file below dir, so compression happens at start. */
static void preload(struct www *w, const char *dir, int depth)
{
    DIR *d = depth < WWW_DEPTH_MAX ? opendir(dir) : NULL;
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        char path[PATH_MAX], real[PATH_MAX];
        if (de->d_name[0] == '.' ||
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path ||
            !realpath(path, real) || strncmp(real, w->root, w->root_len) != 0 ||
            real[w->root_len] != '/')
            continue;
        struct stat st;
        if (stat(real, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            preload(w, real, depth + 1);
        else if (S_ISREG(st.st_mode))
            lookup(w, real);
    }
    closedir(d);
}

struct www *www_new(const char *root)
{
    if (!root || !*root)
        return NULL;
    struct www *w = xcalloc(1, sizeof *w);
    if (!realpath(root, w->root)) {
        log_warn("WWW_ROOT %s does not exist: not serving the dashboard", root);
        free(w);
        return NULL;
    }
    w->root_len = strlen(w->root);
    preload(w, w->root, 0);
    return w;
}

void www_free(struct www *w)
{
    if (!w)
        return;
    while (w->files) {
        struct entry *e = w->files;
        w->files = e->next;
        entry_free(e);
    }
    free(w);
}

const char *www_mime_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* Resolve a decoded request path to a real path inside the root. */
static bool resolve(const struct www *w, const char *path, char real[PATH_MAX])
{
    if (path[0] != '/' || strstr(path, "/.")) /* no "..", no hidden files */
        return false;
    /* A folder's path ("/", "/examples/") names its index.html. */
    char full[PATH_MAX];
    const char *index = path[strlen(path) - 1] == '/' ? "index.html" : "";
    if (snprintf(full, sizeof full, "%s%s%s", w->root, path, index) >= (int)sizeof full)
        return false;
    /* Symlinks could still lead out: compare the resolved path with the root. */
    return realpath(full, real) && strncmp(real, w->root, w->root_len) == 0 &&
           real[w->root_len] == '/';
}

/* The q value of one Accept-Encoding element ("gzip;q=0.5"), 1 without one. */
static double qvalue(const char *el, size_t len)
{
    const char *semi = memchr(el, ';', len);
    if (!semi)
        return 1.0;
    for (const char *p = semi + 1; p < el + len; p++)
        if ((*p == 'q' || *p == 'Q') && p + 1 < el + len && p[1] == '=')
            return strtod(p + 2, NULL);
    return 1.0;
}

static bool coding_is(const char *el, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len >= n && strncasecmp(el, name, n) == 0 &&
           (len == n || el[n] == ';' || el[n] == ' ' || el[n] == '\t');
}

bool www_accepts_gzip(const char *accept_encoding)
{
    const char *s = accept_encoding, *el;
    size_t len;
    int gzip = -1, star = -1; /* -1 unnamed, else whether q > 0 */
    while (strlist_next_element(&s, &el, &len)) {
        if (coding_is(el, len, "gzip") || coding_is(el, len, "x-gzip"))
            gzip = qvalue(el, len) > 0;
        else if (coding_is(el, len, "*"))
            star = qvalue(el, len) > 0;
    }
    return gzip == 1 || (gzip == -1 && star == 1);
}

bool www_parse_http_date(const char *s, time_t *t)
{
    struct tm tm = {0};
    const char *end = s ? strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    if (!end || *end)
        return false;
    *t = timegm(&tm);
    return *t != (time_t)-1;
}

/* RFC 9110 §13.2.2: If-None-Match decides when present, else
 * If-Modified-Since. */
static bool not_modified(const struct entry *e, const struct www_request *req, const char *etag)
{
    if (req->if_none_match)
        return etag_matches(req->if_none_match, etag) || etag_matches(req->if_none_match, e->etag);
    time_t since;
    return req->if_modified_since && www_parse_http_date(req->if_modified_since, &since) &&
           e->mtime <= since;
}

int www_respond(struct www *w, const struct www_request *req, struct evbuffer *out)
{
    char real[PATH_MAX];
    struct entry *e = w && resolve(w, req->path, real) ? lookup(w, real) : NULL;
    if (!e)
        return CP_ENOENT;
    bool gz = e->gz && www_accepts_gzip(req->accept_encoding);
    const char *etag = gz ? e->etag_gz : e->etag;
    int status = not_modified(e, req, etag) ? 304 : 200;
    struct blob *b = gz ? e->gz : e->body;
    /* no-cache: browsers revalidate every load, which a 304 makes cheap, so
     * a new dashboard is picked up at once. */
    evbuffer_add_printf(out,
                        "HTTP/1.1 %s\r\nETag: %s\r\nLast-Modified: %s\r\n"
                        "Cache-Control: no-cache\r\n%sServer: cryptopulse/%s\r\n%s",
                        status == 200 ? "200 OK" : "304 Not Modified", etag, e->last_modified,
                        e->gz ? "Vary: Accept-Encoding\r\n" : "", PACKAGE_VERSION,
                        req->extra ? req->extra : "");
    if (status == 200)
        evbuffer_add_printf(out, "Content-Type: %s\r\nContent-Length: %zu\r\n%s", e->mime, b->len,
                            gz ? "Content-Encoding: gzip\r\n" : "");
    evbuffer_add_printf(out, "%s\r\n",
                        !req->keep_alive ? "Connection: close\r\n"
                        : req->http10    ? "Connection: keep-alive\r\n" /* RFC 9112 §9.3 */
                                         : "");
    if (status == 200 && !req->head && b->len > 0) {
        b->refs++;
        evbuffer_add_reference(out, b->data, b->len, blob_cleanup, b);
    }
    return status;
}
