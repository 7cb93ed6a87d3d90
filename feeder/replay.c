#include "config.h"

#include "replay.h"

#include "cp_error.h"
#include "xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A candle and where it came from, for error messages after the merge. */
struct replay_entry {
    struct candle c;
    size_t file; /* index into files */
    size_t line; /* 1-based */
    size_t seq;  /* insertion order: keeps the sort stable */
};

struct replay {
    struct replay_entry *entries;
    size_t n, cap;
    char **files;
    size_t nfiles;
    /* built by replay_finish() */
    struct candle *sorted;
    size_t *group_start; /* ngroups + 1 offsets into sorted */
    size_t ngroups;
    char (*symbols)[PRICE_SYMBOL_MAX];
    size_t nsymbols;
    int64_t not_after; /* replay_set_not_after(); INT64_MAX: none */
};

/* Last ts_ms of each symbol seen in the file being parsed. */
struct last_ts {
    char symbol[PRICE_SYMBOL_MAX];
    int64_t ts_ms;
};

struct replay *replay_new(void)
{
    struct replay *r = xcalloc(1, sizeof(struct replay));
    r->not_after = INT64_MAX;
    return r;
}

void replay_set_not_after(struct replay *r, int64_t max_ms)
{
    r->not_after = max_ms;
}

void replay_free(struct replay *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nfiles; i++)
        free(r->files[i]);
    free(r->files);
    free(r->entries);
    free(r->sorted);
    free(r->group_start);
    free(r->symbols);
    free(r);
}

static void push_entry(struct replay *r, const struct candle *c, size_t line)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 1024;
        r->entries = xrealloc(r->entries, r->cap * sizeof *r->entries);
    }
    r->entries[r->n] = (struct replay_entry){*c, r->nfiles, line, r->n};
    r->n++;
}

/* Check that c comes after the previous candle of its symbol in this file. */
static int check_order(struct last_ts **last, size_t *nlast, const struct candle *c, char *why,
                       size_t whylen)
{
    for (size_t i = 0; i < *nlast; i++) {
        if (strcmp((*last)[i].symbol, c->symbol) != 0)
            continue;
        if (c->ts_ms <= (*last)[i].ts_ms) {
            snprintf(why, whylen,
                     "time %" PRId64 " of %s is not after its previous candle (%" PRId64 ")",
                     c->ts_ms, c->symbol, (*last)[i].ts_ms);
            return CP_ESYNTAX;
        }
        (*last)[i].ts_ms = c->ts_ms;
        return CP_OK;
    }
    *last = xrealloc(*last, (*nlast + 1) * sizeof **last);
    strcpy((*last)[*nlast].symbol, c->symbol);
    (*last)[*nlast].ts_ms = c->ts_ms;
    (*nlast)++;
    return CP_OK;
}

/* The parse state of one file. */
struct file_parse {
    bool have_layout;
    enum candle_layout layout;
    char symbol[PRICE_SYMBOL_MAX]; /* Binance: from the file name */
    struct last_ts *last;
    size_t nlast;
};

static int parse_one(struct replay *r, struct file_parse *p, const char *name, const char *line,
                     size_t lineno, char *why, size_t whylen)
{
    struct candle c;
    if (!p->have_layout) {
        bool header;
        if (candle_detect_layout(line, &p->layout, &header, why, whylen) != CP_OK)
            return CP_ESYNTAX;
        p->have_layout = true;
        if (p->layout == CANDLE_LAYOUT_BINANCE &&
            candle_symbol_from_path(name, p->symbol, why, whylen) != CP_OK)
            return CP_ESYNTAX;
        if (header)
            return CP_OK;
    }
    int rc = candle_parse_line(p->layout, line, p->symbol, &c, why, whylen);
    if (rc == CP_OK && c.ts_ms > r->not_after) {
        snprintf(why, whylen, "time %lld is in the future", (long long)c.ts_ms);
        rc = CP_ESYNTAX;
    }
    if (rc == CP_OK)
        rc = check_order(&p->last, &p->nlast, &c, why, whylen);
    if (rc == CP_OK)
        push_entry(r, &c, lineno);
    return rc;
}

int replay_add_text(struct replay *r, const char *name, const char *text, char *err, size_t errlen)
{
    struct file_parse p = {0};
    char why[256];
    size_t before = r->n, lineno = 0;
    int rc = CP_OK;
    if (strncmp(text, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 BOM */
        text += 3;
    for (const char *line = text; rc == CP_OK && *line;) {
        const char *nl = strchr(line, '\n');
        lineno++;
        if (line[strspn(line, " \t\r")] != '\n' && line[strspn(line, " \t\r")] != '\0')
            rc = parse_one(r, &p, name, line, lineno, why, sizeof why);
        line = nl ? nl + 1 : line + strlen(line);
    }
    free(p.last);
    if (rc != CP_OK) {
        snprintf(err, errlen, "%s:%zu: %s", name, lineno, why);
        r->n = before;
        return rc;
    }
    if (r->n == before) {
        snprintf(err, errlen, "%s: no candles (%s)", name,
                 p.have_layout ? "only a header" : "empty file");
        return CP_ENOENT;
    }
    r->files = xrealloc(r->files, (r->nfiles + 1) * sizeof *r->files);
    r->files[r->nfiles++] = xstrdup(name);
    return CP_OK;
}

int replay_add_file(struct replay *r, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return CP_ENOENT;
    }
    size_t len = 0, cap = 1 << 16;
    char *text = xmalloc(cap);
    size_t got;
    while ((got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0)
            text = xrealloc(text, cap *= 2);
    }
    int failed = ferror(f);
    fclose(f);
    text[len] = '\0';
    int rc;
    if (failed) {
        snprintf(err, errlen, "%s: read error", path);
        rc = CP_EIO;
    } else if (memchr(text, '\0', len)) {
        snprintf(err, errlen, "%s:1: binary data (NUL byte), not a CSV file", path);
        rc = CP_ESYNTAX;
    } else {
        rc = replay_add_text(r, path, text, err, errlen);
    }
    free(text);
    return rc;
}

static int entry_cmp(const void *a, const void *b)
{
    const struct replay_entry *x = a, *y = b;
    if (x->c.ts_ms != y->c.ts_ms)
        return x->c.ts_ms < y->c.ts_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void note_symbol(struct replay *r, const char *symbol)
{
    for (size_t i = 0; i < r->nsymbols; i++)
        if (strcmp(r->symbols[i], symbol) == 0)
            return;
    r->symbols = xrealloc(r->symbols, (r->nsymbols + 1) * sizeof *r->symbols);
    strcpy(r->symbols[r->nsymbols++], symbol);
}

/* Two candles of one symbol in the group [from, to) of the sorted entries? */
static int check_group(const struct replay *r, size_t from, size_t to, char *err, size_t errlen)
{
    for (size_t i = from + 1; i < to; i++) {
        for (size_t j = from; j < i; j++) {
            const struct replay_entry *a = &r->entries[j], *b = &r->entries[i];
            if (strcmp(a->c.symbol, b->c.symbol) != 0)
                continue;
            snprintf(
                err, errlen, "%s:%zu: second candle of %s at time %" PRId64 " (first at %s:%zu)",
                r->files[b->file], b->line, b->c.symbol, b->c.ts_ms, r->files[a->file], a->line);
            return CP_ESYNTAX;
        }
    }
    return CP_OK;
}

int replay_finish(struct replay *r, char *err, size_t errlen)
{
    if (r->n == 0) {
        snprintf(err, errlen, "no candles to replay");
        return CP_ENOENT;
    }
    qsort(r->entries, r->n, sizeof *r->entries, entry_cmp);
    free(r->sorted);
    free(r->group_start);
    r->sorted = xmalloc(r->n * sizeof *r->sorted);
    r->group_start = xmalloc((r->n + 1) * sizeof *r->group_start);
    r->ngroups = 0;
    r->nsymbols = 0;
    for (size_t i = 0; i < r->n; i++) {
        r->sorted[i] = r->entries[i].c;
        note_symbol(r, r->entries[i].c.symbol);
        if (i == 0 || r->entries[i].c.ts_ms != r->entries[i - 1].c.ts_ms)
            r->group_start[r->ngroups++] = i;
    }
    r->group_start[r->ngroups] = r->n;
    for (size_t g = 0; g < r->ngroups; g++) {
        int rc = check_group(r, r->group_start[g], r->group_start[g + 1], err, errlen);
        if (rc != CP_OK)
            return rc;
    }
    return CP_OK;
}

size_t replay_minutes(const struct replay *r)
{
    return r->ngroups;
}

const struct candle *replay_minute(const struct replay *r, size_t i, size_t *n)
{
    if (i >= r->ngroups) {
        *n = 0;
        return NULL;
    }
    *n = r->group_start[i + 1] - r->group_start[i];
    return &r->sorted[r->group_start[i]];
}

size_t replay_symbol_count(const struct replay *r)
{
    return r->nsymbols;
}

const char *replay_symbol(const struct replay *r, size_t i)
{
    return i < r->nsymbols ? r->symbols[i] : NULL;
}
