/* Check tests for csrc/core/buf.c: growth, overflow refusal, consume. */
#include "buf.h"
#include "check_main.h"

#include <stdint.h>

START_TEST(test_append_grows_and_keeps_bytes)
{
    djf_buf b = {0};
    size_t i;

    for (i = 0; i < 10000; i++) {
        ck_assert_int_eq(djf_buf_putc(&b, (char)('a' + i % 26)), DJF_OK);
    }
    ck_assert_uint_eq(b.len, 10000);
    ck_assert_uint_ge(b.cap, 10000);
    for (i = 0; i < 10000; i++) {
        ck_assert_int_eq(b.data[i], 'a' + (int)(i % 26));
    }
    ck_assert_int_eq(djf_buf_append(&b, "xyz", 3), DJF_OK);
    ck_assert_mem_eq(b.data + 10000, "xyz", 3);
    djf_buf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(test_reserve_refuses_overflow)
{
    djf_buf b = {0};

    ck_assert_int_eq(djf_buf_init(&b, 16), DJF_OK);
    ck_assert_int_eq(djf_buf_append(&b, "abcd", 4), DJF_OK);
    ck_assert_int_eq(djf_buf_reserve(&b, SIZE_MAX - 2), DJF_EOVERFLOW);
    /* unchanged after the failure */
    ck_assert_uint_eq(b.len, 4);
    ck_assert_mem_eq(b.data, "abcd", 4);
    djf_buf_free(&b);
}
END_TEST

START_TEST(test_consume_moves_the_rest_to_the_front)
{
    djf_buf b = {0};

    ck_assert_int_eq(djf_buf_append(&b, "hello world", 11), DJF_OK);
    djf_buf_consume(&b, 6);
    ck_assert_uint_eq(b.len, 5);
    ck_assert_mem_eq(b.data, "world", 5);
    djf_buf_consume(&b, 99);
    ck_assert_uint_eq(b.len, 0);
    djf_buf_clear(&b);
    djf_buf_free(&b);
}
END_TEST

START_TEST(test_size_helpers_detect_overflow)
{
    size_t out = 0;

    ck_assert_int_eq(djf_add_size(SIZE_MAX, 1, &out), 0);
    ck_assert_int_eq(djf_add_size(2, 3, &out), 1);
    ck_assert_uint_eq(out, 5);
    ck_assert_int_eq(djf_mul_size(SIZE_MAX / 2 + 1, 2, &out), 0);
    ck_assert_int_eq(djf_mul_size(0, SIZE_MAX, &out), 1);
    ck_assert_uint_eq(out, 0);
}
END_TEST

static Suite *buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_append_grows_and_keeps_bytes);
    tcase_add_test(tc, test_reserve_refuses_overflow);
    tcase_add_test(tc, test_consume_moves_the_rest_to_the_front);
    tcase_add_test(tc, test_size_helpers_detect_overflow);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(buf_suite)
