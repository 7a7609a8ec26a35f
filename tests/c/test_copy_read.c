/* Check tests for the binary COPY reader in csrc/core/copy_read.c: stream framing and each
 * formatter against the text Python's str() gives for the value psycopg loads. */
#include "check_main.h"
#include "copy_read.h"

#include <string.h>

static void be(unsigned char *p, uint64_t v, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xFF);
        v >>= 8;
    }
}

/* numeric: ndigits, weight, sign, dscale, then digits */
static size_t numeric(char *out, int ndigits, int weight, int sign, int dscale, const int *digits)
{
    unsigned char p[64];
    int i;

    be(p, (uint64_t)ndigits, 2);
    be(p + 2, (uint64_t)(uint16_t)weight, 2);
    be(p + 4, (uint64_t)sign, 2);
    be(p + 6, (uint64_t)dscale, 2);
    for (i = 0; i < ndigits; i++) {
        be(p + 8 + 2 * i, (uint64_t)digits[i], 2);
    }
    return djf_copy_fmt_numeric(out, 200, p, 8 + 2 * ndigits);
}

#define ASSERT_TEXT(n, buf, want)                                                                  \
    do {                                                                                           \
        ck_assert_uint_eq((n), strlen(want));                                                      \
        ck_assert_mem_eq((buf), (want), strlen(want));                                             \
    } while (0)

START_TEST(test_stream_framing)
{
    unsigned char s[64] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n', 0};
    size_t used = 0;
    size_t pos;
    int nf = 0;
    const unsigned char *data = NULL;
    int32_t len = 0;

    /* header (no flags, no extension), one tuple (NULL, 2-byte int), trailer */
    be(s + 19, 2, 2);
    be(s + 21, 0xFFFFFFFFu, 4);
    be(s + 25, 2, 4);
    be(s + 29, 7, 2);
    be(s + 31, 0xFFFF, 2);
    ck_assert_int_eq(djf_copy_read_header(s, 33, &used), DJF_OK);
    ck_assert_uint_eq(used, 19);
    pos = used;
    ck_assert_int_eq(djf_copy_read_count(s, 33, &pos, &nf), DJF_OK);
    ck_assert_int_eq(nf, 2);
    ck_assert_int_eq(djf_copy_read_field(s, 33, &pos, &data, &len), DJF_OK);
    ck_assert_int_eq(len, -1);
    ck_assert_int_eq(djf_copy_read_field(s, 33, &pos, &data, &len), DJF_OK);
    ck_assert_int_eq(len, 2);
    ck_assert_int_eq(djf_copy_read_count(s, 33, &pos, &nf), DJF_OK);
    ck_assert_int_eq(nf, -1);
    /* truncated field, truncated count, bad signature, OIDs flag */
    pos = 25;
    ck_assert_int_eq(djf_copy_read_field(s, 28, &pos, &data, &len), DJF_COPY_EFORMAT);
    pos = 32;
    ck_assert_int_eq(djf_copy_read_count(s, 32, &pos, &nf), DJF_COPY_EFORMAT);
    ck_assert_int_eq(djf_copy_read_header(s, 18, &used), DJF_COPY_EFORMAT);
    s[12] = 1;
    ck_assert_int_eq(djf_copy_read_header(s, 33, &used), DJF_COPY_EFORMAT);
    s[12] = 0;
    s[0] = 'X';
    ck_assert_int_eq(djf_copy_read_header(s, 33, &used), DJF_COPY_EFORMAT);
}
END_TEST

START_TEST(test_scalars_format_as_python_str)
{
    unsigned char p[16];
    char out[DJF_COPY_TEXT_MAX];
    double v = 0;
    static const unsigned char u[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                        0,    1,    2,    3,    4,    5,    6,    0xff};

    be(p, 0x8000, 2);
    ASSERT_TEXT(djf_copy_fmt_int(out, p, 2), out, "-32768");
    be(p, 0x80000000u, 4);
    ASSERT_TEXT(djf_copy_fmt_int(out, p, 4), out, "-2147483648");
    be(p, UINT64_C(0x7FFFFFFFFFFFFFFF), 8);
    ASSERT_TEXT(djf_copy_fmt_int(out, p, 8), out, "9223372036854775807");
    ck_assert_uint_eq(djf_copy_fmt_int(out, p, 3), 0);
    p[0] = 1;
    ASSERT_TEXT(djf_copy_fmt_bool(out, p, 1), out, "True");
    p[0] = 0;
    ASSERT_TEXT(djf_copy_fmt_bool(out, p, 1), out, "False");
    be(p, UINT64_C(0x3FF8000000000000), 8); /* 1.5 */
    ck_assert_int_eq(djf_copy_get_double(p, 8, &v), 1);
    ck_assert(v == 1.5);
    ASSERT_TEXT(djf_copy_fmt_uuid(out, u, 16), out, "12345678-9abc-def0-0001-0203040506ff");
}
END_TEST

START_TEST(test_dates_times_and_timestamps)
{
    unsigned char p[8];
    char out[DJF_COPY_TEXT_MAX];

    be(p, 0, 4);
    ASSERT_TEXT(djf_copy_fmt_date(out, p, 4), out, "2000-01-01");
    be(p, (uint64_t)(uint32_t)-730119, 4);
    ASSERT_TEXT(djf_copy_fmt_date(out, p, 4), out, "0001-01-01");
    be(p, (uint64_t)(uint32_t)-730120, 4); /* year 0: Python has none */
    ck_assert_uint_eq(djf_copy_fmt_date(out, p, 4), 0);
    be(p, 2921939, 4);
    ASSERT_TEXT(djf_copy_fmt_date(out, p, 4), out, "9999-12-31");
    be(p, 2921940, 4);
    ck_assert_uint_eq(djf_copy_fmt_date(out, p, 4), 0);
    be(p, 0x7FFFFFFF, 4); /* infinity */
    ck_assert_uint_eq(djf_copy_fmt_date(out, p, 4), 0);
    be(p, UINT64_C(86399999999), 8);
    ASSERT_TEXT(djf_copy_fmt_time(out, p, 8), out, "23:59:59.999999");
    be(p, UINT64_C(86400000000), 8); /* 24:00:00 */
    ck_assert_uint_eq(djf_copy_fmt_time(out, p, 8), 0);
    be(p, (uint64_t)-1, 8); /* 1999-12-31 23:59:59.999999 */
    ASSERT_TEXT(djf_copy_fmt_timestamp(out, p, 8, "+00:00"), out,
                "1999-12-31 23:59:59.999999+00:00");
    be(p, UINT64_C(1000000) * 86400 * 60, 8); /* 2000-03-01: after the leap day */
    ASSERT_TEXT(djf_copy_fmt_timestamp(out, p, 8, ""), out, "2000-03-01 00:00:00");
    be(p, UINT64_C(0x7FFFFFFFFFFFFFFF), 8);
    ck_assert_uint_eq(djf_copy_fmt_timestamp(out, p, 8, ""), 0);
    be(p, UINT64_C(0x8000000000000000), 8);
    ck_assert_uint_eq(djf_copy_fmt_timestamp(out, p, 8, ""), 0);
}
END_TEST

START_TEST(test_numeric_as_str_of_decimal)
{
    static const int d1[] = {12, 3400};
    static const int d2[] = {500};
    static const int d3[] = {1500};
    static const int d5[] = {15};
    static const int d4[] = {1, 0, 0};
    char out[256];

    ASSERT_TEXT(numeric(out, 0, 0, 0, 0, NULL), out, "0");
    ASSERT_TEXT(numeric(out, 0, 0, 0, 2, NULL), out, "0.00");
    ASSERT_TEXT(numeric(out, 0, 0, 0, 7, NULL), out, "0E-7");
    ASSERT_TEXT(numeric(out, 2, 0, 0x4000, 2, d1), out, "-12.34");
    ASSERT_TEXT(numeric(out, 1, -1, 0, 2, d2), out, "0.05");
    ASSERT_TEXT(numeric(out, 1, -2, 0, 8, d5), out, "1.5E-7");
    ASSERT_TEXT(numeric(out, 1, -2, 0, 6, d3), out, "0.000015");
    ASSERT_TEXT(numeric(out, 1, -2, 0, 8, d3), out, "0.00001500");
    ASSERT_TEXT(numeric(out, 3, 2, 0, 0, d4), out, "100000000");
    ck_assert_uint_eq(numeric(out, 0, 0, 0xC000, 0, NULL), 0); /* NaN */
}
END_TEST

static Suite *copy_read_suite(void)
{
    Suite *s = suite_create("copy_read");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_stream_framing);
    tcase_add_test(tc, test_scalars_format_as_python_str);
    tcase_add_test(tc, test_dates_times_and_timestamps);
    tcase_add_test(tc, test_numeric_as_str_of_decimal);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(copy_read_suite)
