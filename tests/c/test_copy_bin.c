/* Check tests for the PostgreSQL binary COPY helpers in csrc/core/copy.c: epochs, integer
 * fields and numeric encoding (PostgreSQL's base-10000 digits). */
#include "check_main.h"
#include "copy.h"

#include <stdint.h>
#include <string.h>

/* Expects the numeric field of `text`: header words then base-10000 digits. */
static void assert_numeric(const char *text, int ndigits, int weight, int sign, int dscale,
                           const int *digits)
{
    djf_buf b = {0};
    const unsigned char *p;
    int i;

    ck_assert_int_eq(djf_pgbin_numeric(&b, text, strlen(text)), DJF_OK);
    ck_assert_uint_eq(b.len, (size_t)(12 + 2 * ndigits));
    p = (const unsigned char *)b.data;
    ck_assert_int_eq(p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3], 8 + 2 * ndigits);
    ck_assert_int_eq(p[4] << 8 | p[5], ndigits);
    ck_assert_int_eq((int16_t)(p[6] << 8 | p[7]), weight);
    ck_assert_int_eq(p[8] << 8 | p[9], sign);
    ck_assert_int_eq(p[10] << 8 | p[11], dscale);
    for (i = 0; i < ndigits; i++) {
        ck_assert_int_eq(p[12 + 2 * i] << 8 | p[13 + 2 * i], digits[i]);
    }
    djf_buf_free(&b);
}

START_TEST(test_numeric_encodings)
{
    static const int d1[] = {1, 2345, 6780};
    static const int d2[] = {1};
    static const int d3[] = {15};
    static const int d4[] = {1, 0, 0, 5};
    static const int d5[] = {9999, 9999, 9999};

    assert_numeric("0", 0, 0, 0, 0, NULL);
    assert_numeric("-0.00", 0, 0, 0, 2, NULL);
    assert_numeric("0E-7", 0, 0, 0, 7, NULL);
    assert_numeric("12345.678", 3, 1, 0, 3, d1);
    assert_numeric("-0.0001", 1, -1, 0x4000, 4, d2);
    assert_numeric("1E+8", 1, 2, 0, 0, d2);
    assert_numeric("1.5E-3", 1, -1, 0, 4, d3);
    assert_numeric("100000000.0005", 4, 2, 0, 4, d4);
    assert_numeric("99999999.9999", 3, 1, 0, 4, d5);
    assert_numeric("+1", 1, 0, 0, 0, d2);
}
END_TEST

START_TEST(test_numeric_refuses_what_it_cannot_hold)
{
    djf_buf b = {0};
    static const char *bad[] = {"NaN", "-Infinity", "sNaN",       "",        "-",
                                "1E",  "1.2.3",     "1e99999999", "1E-2000", "12a"};
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(djf_pgbin_numeric(&b, bad[i], strlen(bad[i])), DJF_EINVAL);
        ck_assert_uint_eq(b.len, 0);
    }
    djf_buf_free(&b);
}
END_TEST

START_TEST(test_epochs_count_days_and_microseconds_from_2000)
{
    djf_datetime dt = {2000, 1, 1, 0, 0, 0, 0};
    djf_datetime before = {1999, 12, 31, 23, 59, 59, 999999};
    int64_t days = 0;
    djf_datetime step = {2000, 1, 1, 0, 0, 0, 0};

    ck_assert_int_eq(djf_pg_epoch_days(2000, 1, 1), 0);
    ck_assert_int_eq(djf_pg_epoch_days(1999, 12, 31), -1);
    ck_assert_int_eq(djf_pg_epoch_us(&dt), 0);
    ck_assert_int_eq(djf_pg_epoch_us(&before), -1);
    /* walk day by day to 2030 with the shifting code and compare */
    while (step.year < 2030) {
        ck_assert_int_eq(djf_pg_epoch_days(step.year, step.month, step.day), days);
        ck_assert_int_eq(djf_datetime_shift(&step, INT64_C(86400000000)), DJF_OK);
        days++;
    }
}
END_TEST

START_TEST(test_int_and_raw_fields)
{
    djf_buf b = {0};
    static const unsigned char want[] = {0, 0, 0, 2, 0xff, 0xfe, 0, 0, 0, 8, 0x80,
                                         0, 0, 0, 0, 0,    0,    0, 0, 0, 0, 0};

    ck_assert_int_eq(djf_pgbin_int(&b, -2, 2), DJF_OK);
    ck_assert_int_eq(djf_pgbin_int(&b, INT64_MIN, 8), DJF_OK);
    ck_assert_int_eq(djf_pgbin_field(&b, "", 0), DJF_OK);
    ck_assert_uint_eq(b.len, sizeof want);
    ck_assert_mem_eq(b.data, want, sizeof want);
    djf_buf_free(&b);
}
END_TEST

static Suite *copy_bin_suite(void)
{
    Suite *s = suite_create("copy_bin");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_numeric_encodings);
    tcase_add_test(tc, test_numeric_refuses_what_it_cannot_hold);
    tcase_add_test(tc, test_epochs_count_days_and_microseconds_from_2000);
    tcase_add_test(tc, test_int_and_raw_fields);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(copy_bin_suite)
