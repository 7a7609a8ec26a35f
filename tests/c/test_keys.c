/* Check tests for csrc/core/keys.c: the memcached-safety scans, UTF-8 lengths, and XXH3-128
 * known answers computed with the system libxxhash's own (non-dispatch) functions. */
#include "check_main.h"
#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_generateSecret, XXH3_SECRET_DEFAULT_SIZE */
#include <xxhash.h>             /* the library itself, as the oracle (linked, not inline) */

static int forbidden_byte(unsigned c)
{
    return c <= 0x20 || c == 0x7f;
}

START_TEST(test_every_byte_is_classified_like_memcached)
{
    unsigned c;
    uint8_t key[3] = {'a', 0, 'b'};
    uint16_t k16[3] = {'a', 0, 'b'};
    uint32_t k32[3] = {'a', 0, 'b'};

    for (c = 0; c < 256; c++) {
        key[1] = (uint8_t)c;
        k16[1] = (uint16_t)c;
        k32[1] = c;
        ck_assert_int_eq(djf_key_forbidden_u8(key, 3), forbidden_byte(c));
        ck_assert_int_eq(djf_key_forbidden_u16(k16, 3), forbidden_byte(c));
        ck_assert_int_eq(djf_key_forbidden_u32(k32, 3), forbidden_byte(c));
        ck_assert_int_eq(djf_key_check(key, 3), forbidden_byte(c) ? DJF_KEY_FORBIDDEN : 0);
    }
}
END_TEST

/* Every byte value at every position of a word-sized scan, next to every other byte value:
 * the eight-at-a-time test must agree with the byte-by-byte definition. */
START_TEST(test_word_scan_agrees_with_bytewise_definition)
{
    uint8_t key[19];
    unsigned c;
    unsigned d;
    size_t pos;

    for (c = 0; c < 256; c++) {
        for (d = 0; d < 256; d += 17) {
            for (pos = 0; pos < sizeof key; pos++) {
                memset(key, (int)(0x21 + d % 0x5e), sizeof key);
                key[(pos + 3) % sizeof key] = (uint8_t)d;
                key[pos] = (uint8_t)c;
                ck_assert_int_eq(djf_key_forbidden_u8(key, sizeof key),
                                 forbidden_byte(c) || forbidden_byte(d));
            }
        }
    }
}
END_TEST

START_TEST(test_wide_units_above_ascii_are_allowed)
{
    uint16_t k16[2] = {0x2020, 0x0120}; /* low bytes are a space: must not matter */
    uint32_t k32[2] = {0x1F600, 0x10020};

    ck_assert_int_eq(djf_key_forbidden_u16(k16, 2), 0);
    ck_assert_int_eq(djf_key_forbidden_u32(k32, 2), 0);
}
END_TEST

START_TEST(test_forbidden_byte_found_at_either_end)
{
    uint8_t key[251];

    memset(key, 'x', sizeof key);
    key[0] = ' ';
    ck_assert_int_eq(djf_key_forbidden_u8(key, 251), 1);
    key[0] = 'x';
    key[250] = 0x7f;
    ck_assert_int_eq(djf_key_forbidden_u8(key, 251), 1);
    ck_assert_int_eq(djf_key_forbidden_u8(key, 250), 0);
}
END_TEST

START_TEST(test_length_limit_edges)
{
    uint8_t key[251];

    memset(key, 'k', sizeof key);
    ck_assert_int_eq(djf_key_check(key, 0), 0);
    ck_assert_int_eq(djf_key_check(key, 1), 0);
    ck_assert_int_eq(djf_key_check(key, 250), 0);
    ck_assert_int_eq(djf_key_check(key, 251), DJF_KEY_TOO_LONG);
    key[3] = '\n';
    ck_assert_int_eq(djf_key_check(key, 251), DJF_KEY_TOO_LONG | DJF_KEY_FORBIDDEN);
    ck_assert_int_eq(djf_key_check(key, 250), DJF_KEY_FORBIDDEN);
}
END_TEST

START_TEST(test_utf8_lengths)
{
    const uint8_t latin[4] = {'a', 0xe9, 0x7f, 0xff};
    const uint16_t bmp[5] = {'a', 0x7ff, 0x800, 0xd800, 0xffff};
    const uint32_t astral[5] = {'a', 0x80, 0xffff, 0x10000, 0x10ffff};

    ck_assert_uint_eq(djf_key_utf8_len_u8(latin, 0), 0);
    ck_assert_uint_eq(djf_key_utf8_len_u8(latin, 4), 1 + 2 + 1 + 2);
    ck_assert_uint_eq(djf_key_utf8_len_u16(bmp, 5), 1 + 2 + 3 + 3 + 3);
    ck_assert_uint_eq(djf_key_utf8_len_u32(astral, 5), 1 + 2 + 3 + 4 + 4);
}
END_TEST

START_TEST(test_surrogates_found_only_in_their_range)
{
    const uint16_t ok16[3] = {0xd7ff, 0xe000, 'a'};
    const uint16_t lo16[2] = {'a', 0xd800};
    const uint16_t hi16[2] = {0xdfff, 'a'};
    const uint32_t ok32[3] = {0xd7ff, 0xe000, 0x1f600};
    const uint32_t bad32[2] = {0x1f600, 0xdc00};

    ck_assert_int_eq(djf_key_surrogate_u16(ok16, 3), 0);
    ck_assert_int_eq(djf_key_surrogate_u16(lo16, 2), 1);
    ck_assert_int_eq(djf_key_surrogate_u16(hi16, 2), 1);
    ck_assert_int_eq(djf_key_surrogate_u16(lo16, 1), 0);
    ck_assert_int_eq(djf_key_surrogate_u32(ok32, 3), 0);
    ck_assert_int_eq(djf_key_surrogate_u32(bad32, 2), 1);
}
END_TEST

/* Our inline XXH3 against libxxhash's exported functions, for lengths crossing every XXH3
 * code path (0, 1-3, 4-8, 9-16, 17-128, 129-240, long, and the AVX2 threshold). */
START_TEST(test_hash128_known_answers_against_libxxhash)
{
    static const size_t lens[] = {0,    1,    3,     4,      8,      9,      16,   17,
                                  128,  129,  240,   241,    250,    251,    1023, 1024,
                                  1025, 4096, 65536, 100000, 102400, 1048577};
    const char material[] = "django-insecure-test-secret";
    uint8_t secret[DJF_KEY_SECRET_SIZE];
    uint8_t lib_secret[XXH3_SECRET_DEFAULT_SIZE];
    uint8_t ours[16];
    XXH128_canonical_t theirs;
    uint8_t *data;
    size_t i;

    data = malloc(1048577);
    ck_assert_ptr_nonnull(data);
    for (i = 0; i < 1048577; i++) {
        data[i] = (uint8_t)(i * 131u + (i >> 9));
    }
    ck_assert_int_eq(djf_key_secret_init(secret, material, sizeof material - 1), DJF_OK);
    ck_assert_int_eq(
        XXH3_generateSecret(lib_secret, sizeof lib_secret, material, sizeof material - 1), XXH_OK);
    ck_assert_mem_eq(secret, lib_secret, DJF_KEY_SECRET_SIZE);

    for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        djf_key_hash128(ours, data, lens[i], secret);
        XXH128_canonicalFromHash(
            &theirs, XXH3_128bits_withSecret(data, lens[i], lib_secret, sizeof lib_secret));
        ck_assert_mem_eq(ours, theirs.digest, 16);

        djf_key_hash128_plain(ours, data, lens[i]);
        XXH128_canonicalFromHash(&theirs, XXH3_128bits(data, lens[i]));
        ck_assert_mem_eq(ours, theirs.digest, 16);
    }
    free(data);
}
END_TEST

START_TEST(test_avx2_build_matches_when_available)
{
    uint8_t secret[DJF_KEY_SECRET_SIZE];
    uint8_t a[16];
    uint8_t b[16];
    XXH128_canonical_t c;
    uint8_t data[5000];
    size_t i;

    if (!djf_key_have_avx2()) {
        return;
    }
    for (i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)(i ^ (i >> 3));
    }
    ck_assert_int_eq(djf_key_secret_init(secret, "k", 1), DJF_OK);
    for (i = 0; i <= sizeof data; i += 97) {
        djf_key_hash128_avx2(a, data, i, secret);
        XXH128_canonicalFromHash(&c, XXH3_128bits_withSecret(data, i, secret, sizeof secret));
        ck_assert_mem_eq(a, c.digest, 16);
        djf_key_hash128_avx2(b, data, i, NULL);
        XXH128_canonicalFromHash(&c, XXH3_128bits(data, i));
        ck_assert_mem_eq(b, c.digest, 16);
    }
}
END_TEST

START_TEST(test_secret_depends_on_material_and_rejects_empty)
{
    uint8_t s1[DJF_KEY_SECRET_SIZE];
    uint8_t s2[DJF_KEY_SECRET_SIZE];
    uint8_t h1[16];
    uint8_t h2[16];

    ck_assert_int_eq(djf_key_secret_init(s1, "a", 1), DJF_OK);
    ck_assert_int_eq(djf_key_secret_init(s2, "b", 1), DJF_OK);
    ck_assert_int_ne(memcmp(s1, s2, DJF_KEY_SECRET_SIZE), 0);
    djf_key_hash128(h1, "user:42", 7, s1);
    djf_key_hash128(h2, "user:42", 7, s2);
    ck_assert_int_ne(memcmp(h1, h2, 16), 0);
    ck_assert_int_eq(djf_key_secret_init(s1, "", 0), DJF_EINVAL);
    ck_assert_int_eq(djf_key_secret_init(s1, NULL, 3), DJF_EINVAL);
}
END_TEST

START_TEST(test_hex_is_lowercase_canonical_order)
{
    uint8_t digest[16];
    char hex[DJF_KEY_HEX_LEN];
    char expect[DJF_KEY_HEX_LEN + 1];
    XXH128_canonical_t c;
    size_t i;

    djf_key_hash128_plain(digest, "abc", 3);
    XXH128_canonicalFromHash(&c, XXH3_128bits("abc", 3));
    for (i = 0; i < 16; i++) {
        (void)snprintf(expect + 2 * i, 3, "%02x", c.digest[i]);
    }
    djf_key_hex(hex, digest);
    ck_assert_mem_eq(hex, expect, DJF_KEY_HEX_LEN);
}
END_TEST

static Suite *keys_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_every_byte_is_classified_like_memcached);
    tcase_add_test(tc, test_word_scan_agrees_with_bytewise_definition);
    tcase_add_test(tc, test_wide_units_above_ascii_are_allowed);
    tcase_add_test(tc, test_forbidden_byte_found_at_either_end);
    tcase_add_test(tc, test_length_limit_edges);
    tcase_add_test(tc, test_utf8_lengths);
    tcase_add_test(tc, test_surrogates_found_only_in_their_range);
    tcase_add_test(tc, test_hash128_known_answers_against_libxxhash);
    tcase_add_test(tc, test_avx2_build_matches_when_available);
    tcase_add_test(tc, test_secret_depends_on_material_and_rejects_empty);
    tcase_add_test(tc, test_hex_is_lowercase_canonical_order);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(keys_suite)
