/* ticktab: one worker's count of clients per tick id for --ticks-file, an
 * open-addressing hash table that doubles when half full, so that no tick
 * goes uncounted however long the run.  Owned by one worker, its loop only;
 * ticktab_new() / ticktab_free(). */
#ifndef CP_LOAD_TICKTAB_H
#define CP_LOAD_TICKTAB_H

#include <stddef.h>
#include <stdint.h>

#include "load.h"

struct ticktab;

/* An empty table (aborts on out-of-memory, like xalloc). */
struct ticktab *ticktab_new(void);

/* ticktab_free(NULL) is a no-op. */
void ticktab_free(struct ticktab *t);

/* One more client got tick ms-seq. */
void ticktab_add(struct ticktab *t, int64_t ms, uint64_t seq);

/* Distinct ticks counted. */
size_t ticktab_size(const struct ticktab *t);

/* Every tick and its count, in no order: moves them to the front of the
 * table, so no ticktab_add() may follow.  Returns the array (borrowed,
 * valid until ticktab_free) and sets *n. */
const struct load_tick *ticktab_pack(struct ticktab *t, size_t *n);

#endif
