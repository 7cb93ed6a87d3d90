#include "config.h"

#include "www.h"

#include "log.h"
#include "xalloc.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct www {
    char root[PATH_MAX];
    size_t root_len;
};

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
    return w;
}

void www_free(struct www *w)
{
    free(w);
}

const char *www_mime_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
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

int www_open(const struct www *w, const char *path, long long *size, const char **mime)
{
    if (path[0] != '/' || strstr(path, "/.")) /* no "..", no hidden files */
        return -1;
    char full[PATH_MAX], real[PATH_MAX];
    const char *rel = strcmp(path, "/") == 0 ? "/index.html" : path;
    if (snprintf(full, sizeof full, "%s%s", w->root, rel) >= (int)sizeof full)
        return -1;
    /* Symlinks could still lead out: compare the resolved path with the root. */
    if (!realpath(full, real) || strncmp(real, w->root, w->root_len) != 0 ||
        real[w->root_len] != '/')
        return -1;
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *size = st.st_size;
    *mime = www_mime_type(real);
    return fd;
}
