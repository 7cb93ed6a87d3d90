/* fuzz: what every harness of fuzz/ shares.  A harness defines
 * LLVMFuzzerTestOneInput(); it is linked either with libFuzzer (make fuzz,
 * configure --enable-fuzzing) or with replay_main.c, which feeds it files so
 * that make check replays the corpora and regressions in every build.  Each
 * input is self-contained: a harness frees all it allocates before
 * returning, so a leak is a finding. */
#ifndef CP_FUZZ_H
#define CP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: a failure is a finding, reported with
 * the line and turned into a crash that libFuzzer saves as a reproducer. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
