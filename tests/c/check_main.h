/* Shared main() for the Check suites in tests/c: each test_*.c is its own binary. */
#ifndef DJF_CHECK_MAIN_H
#define DJF_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define DJF_CHECK_MAIN(suite_fn)                                                                   \
    int main(void)                                                                                 \
    {                                                                                              \
        int failed;                                                                                \
        SRunner *sr = srunner_create(suite_fn());                                                  \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        failed = srunner_ntests_failed(sr);                                                        \
        srunner_free(sr);                                                                          \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

#endif
