/* Check tests for csrc/core/copy.c: COPY text escaping, bytea hex, datetime shifting. */
#include "check_main.h"
#include "copy.h"

#include <stdint.h>
#include <string.h>

static void assert_escaped(const char *in, size_t n, const char *want)
{
    djf_buf b = {0};

    ck_assert_int_eq(djf_copy_escape(&b, in, n, NULL), DJF_OK);
    ck_assert_uint_eq(b.len, strlen(want));
    if (b.len > 0) {
        ck_assert_mem_eq(b.data, want, b.len);
    }
    djf_buf_free(&b);
}

START_TEST(test_escape_specials)
{
    assert_escaped("", 0, "");
    assert_escaped("plain text", 10, "plain text");
    assert_escaped("a\tb", 3, "a\\tb");
    assert_escaped("a\nb\r", 4, "a\\nb\\r");
    assert_escaped("\\N", 2, "\\\\N");
    assert_escaped("\\\\", 2, "\\\\\\\\");
    /* other control bytes and UTF-8 travel as they are */
    assert_escaped("\x01\x0b\x0c\xc3\xa9'\"", 7, "\x01\x0b\x0c\xc3\xa9'\"");
}
END_TEST

START_TEST(test_escape_refuses_nul_and_reports_offset)
{
    djf_buf b = {0};
    size_t at = 99;

    ck_assert_int_eq(djf_copy_escape(&b, "ab\tc\0d", 6, &at), DJF_EINVAL);
    ck_assert_uint_eq(at, 4);
    ck_assert_int_eq(djf_copy_escape(&b, "\0", 1, NULL), DJF_EINVAL);
    djf_buf_free(&b);
}
END_TEST

START_TEST(test_scan_finds_first_special)
{
    ck_assert_uint_eq(djf_copy_scan("abc", 3), 3);
    ck_assert_uint_eq(djf_copy_scan("ab\\c", 4), 2);
    ck_assert_uint_eq(djf_copy_scan("\rabc", 4), 0);
}
END_TEST

START_TEST(test_bytea_hex)
{
    djf_buf b = {0};
    const unsigned char in[] = {0x00, 0x5c, 0xff, 0x0a};

    ck_assert_int_eq(djf_copy_bytea_hex(&b, in, sizeof in), DJF_OK);
    ck_assert_uint_eq(b.len, 11);
    ck_assert_mem_eq(b.data, "\\\\x005cff0a", 11);
    djf_buf_clear(&b);
    ck_assert_int_eq(djf_copy_bytea_hex(&b, in, 0), DJF_OK);
    ck_assert_mem_eq(b.data, "\\\\x", 3);
    ck_assert_int_eq(djf_copy_bytea_hex(&b, in, SIZE_MAX / 2), DJF_EOVERFLOW);
    djf_buf_free(&b);
}
END_TEST

/* Reference: step one second at a time with a naive calendar. */
static int ref_dim(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

static void ref_step(djf_datetime *dt, int dir)
{
    dt->second += dir;
    if (dt->second == 60) {
        dt->second = 0;
        if (++dt->minute == 60) {
            dt->minute = 0;
            if (++dt->hour == 24) {
                dt->hour = 0;
                if (++dt->day > ref_dim(dt->year, dt->month)) {
                    dt->day = 1;
                    if (++dt->month == 13) {
                        dt->month = 1;
                        dt->year++;
                    }
                }
            }
        }
    } else if (dt->second == -1) {
        dt->second = 59;
        if (--dt->minute == -1) {
            dt->minute = 59;
            if (--dt->hour == -1) {
                dt->hour = 23;
                if (--dt->day == 0) {
                    if (--dt->month == 0) {
                        dt->month = 12;
                        dt->year--;
                    }
                    dt->day = ref_dim(dt->year, dt->month);
                }
            }
        }
    }
}

START_TEST(test_shift_matches_stepping_across_boundaries)
{
    static const djf_datetime starts[] = {
        {2024, 2, 28, 23, 30, 0, 0}, {2023, 12, 31, 22, 0, 0, 5},  {1900, 2, 28, 23, 0, 0, 0},
        {2000, 3, 1, 0, 30, 0, 1},   {2021, 3, 28, 1, 59, 59, 0},  {1, 1, 1, 5, 0, 0, 0},
        {9999, 12, 31, 18, 0, 0, 0}, {1970, 1, 1, 0, 0, 0, 999999}};
    static const int64_t secs[] = {1, 59, 3600, 5400, 14 * 3600, 86399, 86400, 100000};
    size_t i;
    size_t j;
    int dir;

    for (i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        for (j = 0; j < sizeof secs / sizeof secs[0]; j++) {
            for (dir = -1; dir <= 1; dir += 2) {
                djf_datetime got = starts[i];
                djf_datetime want = starts[i];
                int64_t k;
                djf_status st = djf_datetime_shift(&got, dir * secs[j] * 1000000);

                for (k = 0; k < secs[j]; k++) {
                    ref_step(&want, dir);
                }
                if (want.year < 1 || want.year > 9999) {
                    ck_assert_int_eq(st, DJF_EINVAL);
                    ck_assert_mem_eq(&got, &starts[i], sizeof got);
                    continue;
                }
                ck_assert_int_eq(st, DJF_OK);
                ck_assert_mem_eq(&got, &want, sizeof got);
            }
        }
    }
}
END_TEST

START_TEST(test_shift_microseconds_and_invalid_input)
{
    djf_datetime dt = {2020, 1, 1, 0, 0, 0, 0};
    djf_datetime bad = {2023, 2, 29, 0, 0, 0, 0};

    ck_assert_int_eq(djf_datetime_shift(&dt, -1), DJF_OK);
    ck_assert_int_eq(dt.year, 2019);
    ck_assert_int_eq(dt.month, 12);
    ck_assert_int_eq(dt.day, 31);
    ck_assert_int_eq(dt.second, 59);
    ck_assert_int_eq(dt.us, 999999);
    ck_assert_int_eq(djf_datetime_shift(&bad, 0), DJF_EINVAL);
    ck_assert_int_eq(djf_datetime_shift(&dt, INT64_MAX), DJF_EINVAL);
    ck_assert_int_eq(djf_datetime_shift(&dt, INT64_MIN), DJF_EINVAL);
}
END_TEST

START_TEST(test_fmt_datetime_as_str)
{
    char out[DJF_FMT_DATETIME_MAX];
    djf_datetime a = {7, 3, 4, 5, 6, 7, 0};
    djf_datetime b = {2024, 12, 31, 23, 59, 59, 120};

    ck_assert_uint_eq(djf_fmt_datetime(out, &a, 0), 19);
    ck_assert_mem_eq(out, "0007-03-04 05:06:07", 19);
    ck_assert_uint_eq(djf_fmt_datetime(out, &a, 1), 26);
    ck_assert_mem_eq(out, "0007-03-04 05:06:07.000000", 26);
    ck_assert_uint_eq(djf_fmt_datetime(out, &b, 0), 26);
    ck_assert_mem_eq(out, "2024-12-31 23:59:59.000120", 26);
}
END_TEST

static Suite *copy_suite(void)
{
    Suite *s = suite_create("copy");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_escape_specials);
    tcase_add_test(tc, test_escape_refuses_nul_and_reports_offset);
    tcase_add_test(tc, test_scan_finds_first_special);
    tcase_add_test(tc, test_bytea_hex);
    tcase_add_test(tc, test_shift_matches_stepping_across_boundaries);
    tcase_add_test(tc, test_shift_microseconds_and_invalid_input);
    tcase_add_test(tc, test_fmt_datetime_as_str);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(copy_suite)
