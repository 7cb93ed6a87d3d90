/* reports: the pipe from each load worker to the parent.  A message is a
 * uint32 type (enum load_msg) and a uint32 length, then the payload: a
 * struct load_report, or an array of struct load_tick.  The worker writes
 * with reports_send(); the parent reads each worker's pipe into a struct
 * reports, keeps every worker's latest report, merges them, and gathers
 * the ticks for --ticks-file.  Parent side: one thread; reports_new() /
 * reports_free(). */
#ifndef CP_LOAD_REPORTS_H
#define CP_LOAD_REPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load.h"

struct reports;

/* Write one message of type (len bytes of data) to fd, all of it, retrying
 * after signals; a parent gone (EPIPE, EOF) ends it silently. */
void reports_send(int fd, uint32_t type, const void *data, size_t len);

/* Room for the reports of workers workers (aborts on out-of-memory). */
struct reports *reports_new(int workers);

/* reports_free(NULL) is a no-op. */
void reports_free(struct reports *r);

/* Read what worker index wrote to fd (one read(2)) and take every whole
 * message in it.  Returns false at end of file or on a read error (the
 * worker is gone), true otherwise (EINTR included). */
bool reports_read(struct reports *r, int index, int fd);

/* The sum of every worker's latest report into *m: counts and histograms
 * added, min_ticks the least of the workers that held clients at the end
 * (0 if none), max_ticks and last_ready_ms the greatest. */
void reports_merge(const struct reports *r, struct load_report *m);

/* Errors of every cause in m. */
uint64_t reports_errors(const struct load_report *m);

/* Write every tick the workers sent to path, "MS-SEQ CLIENTS" per line,
 * oldest first, clients summed over the workers.  Returns CP_OK or CP_EIO
 * (path cannot be written; reported on stderr). */
int reports_write_ticks(struct reports *r, const char *path);

#endif
