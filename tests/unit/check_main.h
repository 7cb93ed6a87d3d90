/* check_main: the main() of every unit-test program.  Each
 * tests/unit/check_<module>.c defines <module>_suite() and ends with
 * CHECK_MAIN(<module>_suite).  CK_FORK=no (e.g. under valgrind) is honoured
 * by Check itself. */
#ifndef CP_CHECK_MAIN_H
#define CP_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define CHECK_MAIN(suite_fn)                                                                       \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(suite_fn());                                                  \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        int failed = srunner_ntests_failed(sr);                                                    \
        srunner_free(sr);                                                                          \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

#endif
