/* libFuzzer harness: SQLite decimals read as stored (csrc/core/dbtext.c; stored ISO text is
 * fuzzed by fuzz_text_read). The first 8 bytes as a double and as an int64 with a random
 * precision, scale, digit limit and room: the decimal text fits the room, has exactly `places`
 * digits after the point and at most max_digits digits in all. */
#include "dbtext.h"
#include "fuzz_common.h"

#include <string.h>

static void check_decimal(const char *out, size_t n, size_t cap, const djf_dbtext_decimal *spec)
{
    size_t i = 0;
    size_t digits = 0;
    size_t after = 0;
    int point = 0;

    FUZZ_CHECK(n <= cap);
    if (n == 0) {
        return;
    }
    if (out[0] == '-') {
        i++;
    }
    FUZZ_CHECK(i < n && out[i] >= '0' && out[i] <= '9');
    for (; i < n; i++) {
        if (out[i] == '.') {
            FUZZ_CHECK(!point && i + 1 < n);
            point = 1;
            continue;
        }
        FUZZ_CHECK(out[i] >= '0' && out[i] <= '9');
        digits++;
        after += (size_t)point;
    }
    FUZZ_CHECK(after == (size_t)spec->places);
    FUZZ_CHECK(point == (spec->places > 0));
    FUZZ_CHECK(digits <= (size_t)spec->max_digits + 7); /* plus the zeros of "0.000ddd" */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dec[256];
    djf_dbtext_decimal spec;
    double d;
    int64_t v;
    size_t cap;
    size_t n;

    if (size < 12) {
        return 0;
    }
    memcpy(&d, data, sizeof d);
    memcpy(&v, data, sizeof v);
    spec.sig = 1 + data[8] % DJF_DBTEXT_SIG_MAX;
    spec.places = data[9] % 48;
    spec.max_digits = 1 + data[10] % 64;
    cap = data[11] % sizeof dec;
    n = djf_dbtext_decimal_double(dec, cap, d, &spec);
    check_decimal(dec, n, cap, &spec);
    n = djf_dbtext_decimal_int64(dec, cap, v, &spec);
    check_decimal(dec, n, cap, &spec);
    return 0;
}
