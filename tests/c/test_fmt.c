/* Check tests for csrc/core/fmt.c: the same text as Python's str()/isoformat(). */
#include "check_main.h"
#include "fmt.h"

#include <stdint.h>
#include <string.h>

static char out[64];

#define FMT_EQ(call, expected)                                                                     \
    do {                                                                                           \
        size_t n_ = (call);                                                                        \
        ck_assert_uint_eq(n_, strlen(expected));                                                   \
        ck_assert_mem_eq(out, expected, n_);                                                       \
    } while (0)

START_TEST(test_integers)
{
    FMT_EQ(djf_fmt_int64(out, 0), "0");
    FMT_EQ(djf_fmt_int64(out, -7), "-7");
    FMT_EQ(djf_fmt_int64(out, INT64_MAX), "9223372036854775807");
    FMT_EQ(djf_fmt_int64(out, INT64_MIN), "-9223372036854775808");
    FMT_EQ(djf_fmt_uint64(out, UINT64_MAX), "18446744073709551615");
}
END_TEST

START_TEST(test_dates_and_times)
{
    FMT_EQ(djf_fmt_date(out, 1, 1, 1), "0001-01-01");
    FMT_EQ(djf_fmt_date(out, 2024, 2, 29), "2024-02-29");
    FMT_EQ(djf_fmt_time(out, 0, 0, 0, 0), "00:00:00");
    FMT_EQ(djf_fmt_time(out, 23, 59, 59, 5), "23:59:59.000005");
    FMT_EQ(djf_fmt_time(out, 12, 3, 4, 999999), "12:03:04.999999");
}
END_TEST

START_TEST(test_utc_offsets_like_isoformat)
{
    FMT_EQ(djf_fmt_utcoffset(out, 0), "+00:00");
    FMT_EQ(djf_fmt_utcoffset(out, (int64_t)-5 * 3600 * 1000000), "-05:00");
    FMT_EQ(djf_fmt_utcoffset(out, ((int64_t)5 * 3600 + 30 * 60) * 1000000), "+05:30");
    FMT_EQ(djf_fmt_utcoffset(out, ((int64_t)1 * 3600 + 2 * 60 + 3) * 1000000), "+01:02:03");
    FMT_EQ(djf_fmt_utcoffset(out, -(((int64_t)1 * 60 + 3) * 1000000 + 7)), "-00:01:03.000007");
}
END_TEST

START_TEST(test_uuid_and_hex)
{
    static const unsigned char b[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0xff};
    FMT_EQ(djf_fmt_uuid(out, b), "12345678-9abc-def0-0011-2233445566ff");
    FMT_EQ(djf_fmt_hex(out, b, 3), "123456");
    FMT_EQ(djf_fmt_hex(out, b, 0), "");
}
END_TEST

static Suite *fmt_suite(void)
{
    Suite *s = suite_create("fmt");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_integers);
    tcase_add_test(tc, test_dates_and_times);
    tcase_add_test(tc, test_utc_offsets_like_isoformat);
    tcase_add_test(tc, test_uuid_and_hex);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(fmt_suite)
