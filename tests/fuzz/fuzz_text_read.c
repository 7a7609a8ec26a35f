/* libFuzzer harness: text-protocol values as Python's str() (csrc/core/text_read.c).
 *
 * Any bytes as the text of a value: nothing is read past it, every function either refuses it
 * (0) or writes within its documented size; the validators accept only text they return
 * unchanged, and what the time and timestamp formatters write is accepted again and written
 * unchanged (str() of a time or datetime reads back as itself). */
#include "fmt.h"
#include "fuzz_common.h"
#include "text_read.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1); /* a copy of exactly size bytes: ASan sees overreads */
    char out[DJF_TEXT_TIMESTAMP_MAX];
    char again[DJF_TEXT_TIMESTAMP_MAX];
    size_t n;

    if (s == NULL) {
        return 0;
    }
    memcpy(s, data, size);
    n = djf_text_int(s, size);
    FUZZ_CHECK(n == 0 || n == size);
    n = djf_text_decimal(s, size);
    FUZZ_CHECK(n == 0 || n == size);
    FUZZ_CHECK(djf_text_int(s, size) == 0 || djf_text_decimal(s, size) == size);
    n = djf_text_date(s, size);
    FUZZ_CHECK(n == 0 || n == 10);
    n = djf_text_time(out, s, size);
    FUZZ_CHECK(n <= DJF_FMT_TIME_MAX);
    if (n > 0) {
        FUZZ_CHECK(djf_text_time(again, out, n) == n && memcmp(again, out, n) == 0);
    }
    n = djf_text_timestamp(out, s, size, "");
    FUZZ_CHECK(n <= 26);
    if (n > 0) {
        FUZZ_CHECK(memcmp(out, s, 11) == 0); /* the date and the space are kept */
        FUZZ_CHECK(djf_text_timestamp(again, out, n, "") == n && memcmp(again, out, n) == 0);
        FUZZ_CHECK(djf_text_timestamp(again, s, size, "+00:00") == n + 6);
    }
    free(s);
    return 0;
}
