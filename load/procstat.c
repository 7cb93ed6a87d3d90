/* procstat: RSS and CPU of the measured server from /proc; see procstat.h. */
#include "config.h"

#include "procstat.h"

#include "load.h"
#include "strlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void proc_one(long pid, struct procstat *s)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    long long rss_pages;
    /* Fields after the command: state(3) ... utime(14) stime(15) ... rss(24). */
    if (!p || sscanf(p + 2,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d "
                     "%*d %*d %*d %*u %*u %lld",
                     &ut, &st, &rss_pages) != 3)
        return;
    s->cpu_ticks += (int64_t)(ut + st);
    s->rss_kb += rss_pages * (sysconf(_SC_PAGESIZE) / 1024);
    s->ok++;
}

struct procstat procstat_sample(const char *pids)
{
    struct procstat s = {.mono_ms = load_mono_ms()};
    const char *item;
    size_t len;
    while (strlist_next(&pids, &item, &len))
        if (len > 0)
            proc_one(strtol(item, NULL, 10), &s);
    return s;
}

void procstat_warn_missing(const char *pids)
{
    const char *item;
    size_t len;
    while (strlist_next(&pids, &item, &len)) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%.*s/stat", (int)(len > 32 ? 32 : len), item);
        if (len > 0 && access(path, R_OK) != 0)
            fprintf(stderr,
                    "cryptopulse-load: warning: --pid %.*s: no such process, not measured\n",
                    (int)len, item);
    }
}

double procstat_cpu_pct(struct procstat a, struct procstat b)
{
    double secs = (double)(b.mono_ms - a.mono_ms) / 1000.0;
    return secs > 0
               ? (double)(b.cpu_ticks - a.cpu_ticks) / (double)sysconf(_SC_CLK_TCK) / secs * 100
               : 0;
}
