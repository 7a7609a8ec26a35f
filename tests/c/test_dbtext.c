/* Check tests for csrc/core/dbtext.c. The expected texts are what Python writes:
 * str(Context(prec=sig).create_decimal_from_float(v).quantize(Decimal(1).scaleb(-places),
 * context=Context(prec=max_digits))) for the decimals (checked with CPython 3.11's decimal);
 * tests/test_csv_native.py compares the same functions with Django for random values. */
#include "check_main.h"
#include "dbtext.h"

#include <string.h>

static char out[1200];

#define TEXT_EQ(call, expected)                                                                    \
    do {                                                                                           \
        size_t n_ = (call);                                                                        \
        ck_assert_uint_eq(n_, strlen(expected));                                                   \
        ck_assert_mem_eq(out, expected, n_);                                                       \
    } while (0)

#define DEC(v, ...)                                                                                \
    djf_dbtext_decimal_double(out, sizeof out, v, &(djf_dbtext_decimal){__VA_ARGS__})
#define INT(v, ...) djf_dbtext_decimal_int64(out, sizeof out, v, &(djf_dbtext_decimal){__VA_ARGS__})

START_TEST(test_decimals_from_doubles)
{
    TEXT_EQ(DEC(14082.49, 15, 2, 12), "14082.49");
    TEXT_EQ(DEC(0.1 + 0.2, 15, 2, 12), "0.30");
    TEXT_EQ(DEC(-0.0, 15, 2, 12), "-0.00");
    TEXT_EQ(DEC(-0.001, 15, 2, 12), "-0.00");
    /* ties go to even on the exact binary value */
    TEXT_EQ(DEC(0.005, 15, 2, 12), "0.00");
    TEXT_EQ(DEC(0.015, 15, 2, 12), "0.02");
    TEXT_EQ(DEC(0.025, 15, 2, 12), "0.02");
    TEXT_EQ(DEC(2.5, 15, 0, 5), "2");
    TEXT_EQ(DEC(3.5, 15, 0, 5), "4");
    TEXT_EQ(DEC(1.0000000000000002, 15, 2, 20), "1.00");
    TEXT_EQ(DEC(1234567890123456.0, 15, 2, 30), "1234567890123460.00");
    TEXT_EQ(DEC(18446744073709549568.0, 15, 0, 30), "18446744073709500000");
    TEXT_EQ(DEC(0.1, 15, 20, 30), "0.10000000000000000000");
    TEXT_EQ(DEC(1.0 / 3, 15, 20, 30), "0.33333333333333300000");
    TEXT_EQ(DEC(123.456, 3, 1, 10), "123.0");
    TEXT_EQ(DEC(-99.95, 3, 1, 10), "-100.0");
    /* fractions beyond 60 bits */
    TEXT_EQ(DEC(0.001, 15, 6, 20), "0.001000");
    TEXT_EQ(DEC(1e-5, 15, 8, 20), "0.00001000");
    TEXT_EQ(DEC(0.0078125, 15, 7, 20), "0.0078125");
    TEXT_EQ(DEC(5e-324, 15, 6, 20), "0.000000");
    TEXT_EQ(DEC(1e-7, 15, 6, 20), "0.000000");
}
END_TEST

START_TEST(test_decimals_left_to_python)
{
    double inf = 1e308 * 10;

    ck_assert_uint_eq(DEC(9.995, 15, 2, 3), 0);   /* 10.00: too many digits, quantize raises */
    ck_assert_uint_eq(DEC(999.995, 15, 2, 5), 0); /* the same after rounding */
    ck_assert_uint_eq(DEC(1e-7, 15, 7, 20), 0);   /* str() writes 1E-7 */
    ck_assert_uint_eq(DEC(0.0, 15, 7, 28), 0);    /* 0E-7 */
    ck_assert_uint_eq(DEC(18446744073709551616.0, 15, 0, 40), 0); /* 2^64 */
    ck_assert_uint_eq(DEC(inf, 15, 2, 12), 0);
    ck_assert_uint_eq(DEC(inf - inf, 15, 2, 12), 0);
    ck_assert_uint_eq(DEC(1.5, 0, 2, 12), 0); /* no such precision here */
    ck_assert_uint_eq(DEC(1.5, 19, 2, 12), 0);
    ck_assert_uint_eq(djf_dbtext_decimal_double(out, 4, 14082.49, &(djf_dbtext_decimal){15, 2, 12}),
                      0); /* does not fit */
}
END_TEST

START_TEST(test_decimals_from_integers)
{
    TEXT_EQ(INT(14082, 15, 2, 12), "14082.00");
    TEXT_EQ(INT(-5, 15, 2, 12), "-5.00");
    TEXT_EQ(INT(0, 15, 2, 2), "0.00");
    TEXT_EQ(INT(1234567890123456, 15, 0, 20), "1234567890123460");
    TEXT_EQ(INT(1234567890123455, 15, 0, 20), "1234567890123460");
    TEXT_EQ(INT(INT64_MAX, 15, 0, 20), "9223372036854780000");
    TEXT_EQ(INT(INT64_MIN, 15, 0, 20), "-9223372036854780000");
    ck_assert_uint_eq(INT(99, 15, 2, 3), 0);
}
END_TEST

static Suite *dbtext_suite(void)
{
    Suite *s = suite_create("dbtext");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_decimals_from_doubles);
    tcase_add_test(tc, test_decimals_left_to_python);
    tcase_add_test(tc, test_decimals_from_integers);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(dbtext_suite)
