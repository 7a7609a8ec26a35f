/* Check tests for csrc/core/text_read.c: MariaDB's text of a value, written as Python's str() of
 * what the driver makes of it, or refused (0) when the text is not in the one known form. The
 * expected strings are str() of int(), Decimal(), date, time and datetime of the same text; the
 * differential tests in tests/test_csv_native.py check the same against Django and mysqlclient. */
#include "check_main.h"
#include "text_read.h"

#include <string.h>

static char out[DJF_TEXT_TIMESTAMP_MAX];

#define SAME(fn, text)    ck_assert_uint_eq(fn(text, strlen(text)), strlen(text))
#define REFUSED(fn, text) ck_assert_uint_eq(fn(text, strlen(text)), 0)

#define TEXT_EQ(call, expected)                                                                    \
    do {                                                                                           \
        size_t n_ = (call);                                                                        \
        ck_assert_uint_eq(n_, strlen(expected));                                                   \
        ck_assert_mem_eq(out, expected, n_);                                                       \
    } while (0)

/* SQLite: the ISO text Django stores (date.isoformat(), time.isoformat(),
 * datetime.isoformat(" ")), read as Django's parse_datetime/parse_time read it. */
#define DT(s, utc) djf_text_timestamp(out, s, strlen(s), (utc) ? "+00:00" : "")
#define CLOCK(s)   djf_text_time(out, s, strlen(s))

START_TEST(test_integers)
{
    SAME(djf_text_int, "0");
    SAME(djf_text_int, "-1");
    SAME(djf_text_int, "18446744073709551615");
    SAME(djf_text_int, "-9223372036854775808");
    REFUSED(djf_text_int, "");
    REFUSED(djf_text_int, "-");
    REFUSED(djf_text_int, "-0"); /* str(int("-0")) == "0" */
    REFUSED(djf_text_int, "007");
    REFUSED(djf_text_int, "1.0");
    REFUSED(djf_text_int, " 1");
}
END_TEST

START_TEST(test_decimals)
{
    SAME(djf_text_decimal, "0");
    SAME(djf_text_decimal, "-12.500000");
    SAME(djf_text_decimal, "99999999.999999");
    SAME(djf_text_decimal, "0.000001"); /* adjusted exponent -6: plain */
    SAME(djf_text_decimal, "0.000000");
    SAME(djf_text_decimal, "0.000100");
    SAME(djf_text_decimal, "-0.00");
    SAME(djf_text_decimal, "0.000001000");
    SAME(djf_text_decimal, "100.0000000001");
    REFUSED(djf_text_decimal, "0.0000001");   /* "1E-7" */
    REFUSED(djf_text_decimal, "0.0000000");   /* "0E-7" */
    REFUSED(djf_text_decimal, "0.000000100"); /* "1.00E-7" */
    REFUSED(djf_text_decimal, "");
    REFUSED(djf_text_decimal, "1.");
    REFUSED(djf_text_decimal, ".5");
    REFUSED(djf_text_decimal, "01.5");
    REFUSED(djf_text_decimal, "1e5");
    REFUSED(djf_text_decimal, "NaN");
}
END_TEST

START_TEST(test_dates)
{
    SAME(djf_text_date, "0001-01-01");
    SAME(djf_text_date, "2000-02-29");
    SAME(djf_text_date, "9999-12-31");
    REFUSED(djf_text_date, "0000-00-00"); /* the driver makes None of it */
    REFUSED(djf_text_date, "1900-02-29");
    REFUSED(djf_text_date, "2024-04-31");
    REFUSED(djf_text_date, "2024-13-01");
    REFUSED(djf_text_date, "2024-1-01");
    REFUSED(djf_text_date, "2024-01-01 00:00:00");
}
END_TEST

START_TEST(test_times)
{
    TEXT_EQ(djf_text_time(out, "00:00:00", 8), "00:00:00");
    TEXT_EQ(djf_text_time(out, "00:00:00.000000", 15), "00:00:00");
    TEXT_EQ(djf_text_time(out, "23:59:59.999999", 15), "23:59:59.999999");
    TEXT_EQ(djf_text_time(out, "12:00:00.5", 10), "12:00:00.500000");
    TEXT_EQ(djf_text_time(out, "12:00:00.000001", 15), "12:00:00.000001");
    ck_assert_uint_eq(djf_text_time(out, "24:00:00", 8), 0);
    ck_assert_uint_eq(djf_text_time(out, "-00:00:01", 9), 0);
    ck_assert_uint_eq(djf_text_time(out, "100:00:00", 9), 0);
    ck_assert_uint_eq(djf_text_time(out, "12:00:00.", 9), 0);
    ck_assert_uint_eq(djf_text_time(out, "12:00:00.1234567", 16), 0);
    ck_assert_uint_eq(djf_text_time(out, "12:60:00", 8), 0);
}
END_TEST

START_TEST(test_timestamps)
{
    TEXT_EQ(djf_text_timestamp(out, "2024-03-31 00:59:59.999999", 26, ""),
            "2024-03-31 00:59:59.999999");
    TEXT_EQ(djf_text_timestamp(out, "1000-01-01 00:00:00.000000", 26, "+00:00"),
            "1000-01-01 00:00:00+00:00");
    TEXT_EQ(djf_text_timestamp(out, "9999-12-31 23:59:59", 19, ""), "9999-12-31 23:59:59");
    TEXT_EQ(djf_text_timestamp(out, "2024-01-01 10:00:00.5", 21, ""), "2024-01-01 10:00:00.500000");
    ck_assert_uint_eq(djf_text_timestamp(out, "0000-00-00 00:00:00", 19, ""), 0);
    ck_assert_uint_eq(djf_text_timestamp(out, "2024-01-01", 10, ""), 0);
    ck_assert_uint_eq(djf_text_timestamp(out, "2024-01-01T00:00:00", 19, ""), 0);
    ck_assert_uint_eq(djf_text_timestamp(out, "2024-01-01 00:00:00", 19, "+00:00:00"), 0);
}
END_TEST

START_TEST(test_sqlite_stored_datetimes)
{
    TEXT_EQ(DT("2024-03-31 00:59:59.999999", 1), "2024-03-31 00:59:59.999999+00:00");
    TEXT_EQ(DT("2024-03-31 00:59:59.999999", 0), "2024-03-31 00:59:59.999999");
    TEXT_EQ(DT("1970-01-01 00:00:00", 1), "1970-01-01 00:00:00+00:00");
    TEXT_EQ(DT("0001-01-01 00:00:00.000001", 0), "0001-01-01 00:00:00.000001");
    TEXT_EQ(DT("9999-12-31 23:59:59", 0), "9999-12-31 23:59:59");
    /* microsecond 0 written out is dropped, as str() drops it */
    TEXT_EQ(DT("2024-01-02 03:04:05.000000", 1), "2024-01-02 03:04:05+00:00");
    TEXT_EQ(DT("2000-02-29 12:00:00", 0), "2000-02-29 12:00:00");
}
END_TEST

START_TEST(test_sqlite_other_datetime_forms_are_left_to_python)
{
    static const char *const others[] = {
        "2024-01-02T03:04:05",
        "2024-01-02 03:04:05+00:00",
        "2024-01-02 03:04:05Z",
        "2024-01-02 03:04:05.1234567",
        "2024-01-02 03:04",
        "2024-1-02 03:04:05",
        "2024-01-02  03:04:05",
        "0000-01-01 00:00:00",
        "2023-02-29 00:00:00",
        "1900-02-29 00:00:00",
        "2024-13-01 00:00:00",
        "2024-04-31 00:00:00",
        "2024-01-00 00:00:00",
        "2024-01-02 24:00:00",
        "2024-01-02 23:60:00",
        "2024-01-02 23:59:60",
        "2024-01-02 03:04:05,000001",
        "2024-01-02",
        "",
        "2024-01-02 03:04:05 ",
        "２０２４-01-02 03:04:05",
    };
    size_t i;

    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        ck_assert_msg(DT(others[i], 1) == 0, "accepted %s", others[i]);
    }
}
END_TEST

START_TEST(test_sqlite_stored_dates_and_times)
{
    SAME(djf_text_date, "2000-02-29");
    SAME(djf_text_date, "0001-01-01");
    SAME(djf_text_date, "9999-12-31");
    REFUSED(djf_text_date, "2100-02-29");
    REFUSED(djf_text_date, "20240102");
    REFUSED(djf_text_date, "2024-01-02 00:00:00");
    REFUSED(djf_text_date, "0000-01-01");
    TEXT_EQ(CLOCK("00:00:00"), "00:00:00");
    TEXT_EQ(CLOCK("23:59:59.999999"), "23:59:59.999999");
    TEXT_EQ(CLOCK("12:00:00.000000"), "12:00:00");
    ck_assert_uint_eq(CLOCK("12:00"), 0);
    TEXT_EQ(CLOCK("12:00:00.5"), "12:00:00.500000"); /* parse_time scales short fractions */
    ck_assert_uint_eq(CLOCK("12:00:00+02:00"), 0);
    ck_assert_uint_eq(CLOCK("24:00:00"), 0);
}
END_TEST

static Suite *text_read_suite(void)
{
    Suite *s = suite_create("text_read");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_integers);
    tcase_add_test(tc, test_decimals);
    tcase_add_test(tc, test_dates);
    tcase_add_test(tc, test_times);
    tcase_add_test(tc, test_timestamps);
    tcase_add_test(tc, test_sqlite_stored_datetimes);
    tcase_add_test(tc, test_sqlite_other_datetime_forms_are_left_to_python);
    tcase_add_test(tc, test_sqlite_stored_dates_and_times);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(text_read_suite)
