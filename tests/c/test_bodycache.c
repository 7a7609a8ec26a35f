/* Check tests for csrc/core/bodycache.c: hits verified against the stored body, LRU eviction
 * within the byte bound, admission on second sighting, and the per-entry size limit. */
#include "bodycache.h"
#include "check_main.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static djf_bc_key make_key(uint32_t n, uint32_t tag)
{
    djf_bc_key k;
    int i;

    memset(&k, 0, sizeof k);
    for (i = 0; i < 16; i++) {
        k.digest[i] = (uint8_t)((n * 2654435761u) >> ((i % 4) * 8)) ^ (uint8_t)i;
    }
    k.tag = tag;
    return k;
}

static djf_bodycache *new_cache(size_t max_bytes)
{
    djf_bodycache *c = malloc(sizeof(*c));

    ck_assert_ptr_nonnull(c);
    djf_bodycache_init(c, max_bytes);
    return c;
}

static void free_cache(djf_bodycache *c)
{
    djf_bodycache_clear(c);
    free(c);
}

START_TEST(test_hit_returns_stored_payload)
{
    djf_bodycache *c = new_cache(1 << 20);
    djf_bc_key k = make_key(1, 7);
    const uint8_t body[] = "hello body";
    const uint8_t payload[] = "PAYLOAD";
    const djf_bc_entry *e;

    ck_assert_ptr_null(djf_bodycache_get(c, &k, body, sizeof body));
    ck_assert_int_eq(djf_bodycache_put(c, &k, body, sizeof body, payload, sizeof payload, 99),
                     DJF_OK);
    e = djf_bodycache_get(c, &k, body, sizeof body);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->payload_len, sizeof payload);
    ck_assert_mem_eq(e->data + e->body_len, payload, sizeof payload);
    ck_assert_uint_eq(e->crc, 99);
    ck_assert_uint_eq(c->hits, 1);
    ck_assert_uint_eq(c->misses, 1);
    ck_assert_uint_eq(c->count, 1);
    ck_assert_uint_eq(c->bytes, e->charge);
    free_cache(c);
}
END_TEST

START_TEST(test_same_digest_other_body_is_a_miss)
{
    djf_bodycache *c = new_cache(1 << 20);
    djf_bc_key k = make_key(1, 7);
    const uint8_t body[] = "hello body";
    const uint8_t other[] = "hello bodY";
    const uint8_t shorter[] = "hello";

    ck_assert_int_eq(djf_bodycache_put(c, &k, body, sizeof body, body, 3, 0), DJF_OK);
    ck_assert_ptr_null(djf_bodycache_get(c, &k, other, sizeof other));
    ck_assert_ptr_null(djf_bodycache_get(c, &k, shorter, sizeof shorter));
    ck_assert_uint_eq(c->misses, 2);
    ck_assert_uint_eq(c->hits, 0);
    free_cache(c);
}
END_TEST

START_TEST(test_tag_separates_entries)
{
    djf_bodycache *c = new_cache(1 << 20);
    djf_bc_key gz = make_key(1, 1);
    djf_bc_key zs = make_key(1, 2);
    const uint8_t body[] = "same body";

    ck_assert_int_eq(djf_bodycache_put(c, &gz, body, sizeof body, (const uint8_t *)"g", 1, 0),
                     DJF_OK);
    ck_assert_ptr_null(djf_bodycache_get(c, &zs, body, sizeof body));
    ck_assert_int_eq(djf_bodycache_put(c, &zs, body, sizeof body, (const uint8_t *)"z", 1, 0),
                     DJF_OK);
    ck_assert_int_eq(djf_bodycache_get(c, &gz, body, sizeof body)->data[sizeof body], 'g');
    ck_assert_int_eq(djf_bodycache_get(c, &zs, body, sizeof body)->data[sizeof body], 'z');
    free_cache(c);
}
END_TEST

START_TEST(test_lru_eviction_keeps_the_bound)
{
    size_t max = 64 * 1024;
    djf_bodycache *c = new_cache(max);
    uint8_t body[4000];
    uint32_t i;

    memset(body, 'x', sizeof body);
    for (i = 0; i < 200; i++) {
        djf_bc_key k = make_key(i, 0);
        memcpy(body, &i, sizeof i);
        ck_assert_int_eq(djf_bodycache_put(c, &k, body, sizeof body, body, 1000, i), DJF_OK);
        ck_assert_uint_le(c->bytes, max);
        /* keep entry 0 hot: it must survive every eviction */
        {
            djf_bc_key k0 = make_key(0, 0);
            uint32_t zero = 0;
            memcpy(body, &zero, sizeof zero);
            ck_assert_ptr_nonnull(djf_bodycache_get(c, &k0, body, sizeof body));
        }
    }
    ck_assert_uint_gt(c->evictions, 150);
    ck_assert_uint_eq(c->count + c->evictions, 200);
    {
        djf_bc_key k1 = make_key(1, 0);
        uint32_t one = 1;
        memcpy(body, &one, sizeof one);
        ck_assert_ptr_null(djf_bodycache_get(c, &k1, body, sizeof body));
    }
    free_cache(c);
}
END_TEST

START_TEST(test_entry_over_a_quarter_is_refused)
{
    djf_bodycache *c = new_cache(4096);
    djf_bc_key k = make_key(3, 0);
    uint8_t body[2048];

    memset(body, 'y', sizeof body);
    ck_assert(!djf_bodycache_may_store(c, sizeof body));
    ck_assert_int_eq(djf_bodycache_put(c, &k, body, sizeof body, body, 10, 0), DJF_EINVAL);
    ck_assert_uint_eq(c->count, 0);
    ck_assert_uint_eq(c->bytes, 0);
    ck_assert(djf_bodycache_may_store(c, 100));
    free_cache(c);
}
END_TEST

START_TEST(test_zero_bound_stores_nothing)
{
    djf_bodycache *c = new_cache(0);
    djf_bc_key k = make_key(3, 0);

    ck_assert(!djf_bodycache_may_store(c, 0));
    ck_assert_int_eq(djf_bodycache_put(c, &k, (const uint8_t *)"a", 1, NULL, 0, 0), DJF_EINVAL);
    free_cache(c);
}
END_TEST

START_TEST(test_admission_on_second_sighting)
{
    djf_bodycache *c = new_cache(1 << 20);
    djf_bc_key a = make_key(10, 1);
    djf_bc_key a_zstd = make_key(10, 2);
    uint32_t i;

    ck_assert_int_eq(djf_bodycache_admit(c, &a), 0);
    ck_assert_int_eq(djf_bodycache_admit(c, &a_zstd), 0);
    ck_assert_int_eq(djf_bodycache_admit(c, &a), 1);
    ck_assert_uint_eq(c->admissions, 1);
    /* a flood of one-off keys is never admitted */
    for (i = 1000; i < 20000; i++) {
        djf_bc_key k = make_key(i, 1);
        ck_assert_int_eq(djf_bodycache_admit(c, &k), 0);
    }
    ck_assert_uint_eq(c->admissions, 1);
    ck_assert_uint_eq(c->count, 0);
    free_cache(c);
}
END_TEST

START_TEST(test_replace_and_clear)
{
    djf_bodycache *c = new_cache(1 << 20);
    djf_bc_key k = make_key(5, 0);
    const uint8_t body[] = "body";
    const djf_bc_entry *e;
    uint32_t i;

    ck_assert_int_eq(djf_bodycache_put(c, &k, body, 4, (const uint8_t *)"one", 3, 1), DJF_OK);
    ck_assert_int_eq(djf_bodycache_put(c, &k, body, 4, (const uint8_t *)"second", 6, 2), DJF_OK);
    ck_assert_uint_eq(c->count, 1);
    e = djf_bodycache_get(c, &k, body, 4);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->payload_len, 6);
    ck_assert_uint_eq(c->bytes, e->charge);
    for (i = 0; i < 500; i++) { /* grows the bucket array several times */
        djf_bc_key ki = make_key(100 + i, 0);
        ck_assert_int_eq(djf_bodycache_put(c, &ki, body, 4, body, 4, 0), DJF_OK);
    }
    ck_assert_ptr_nonnull(djf_bodycache_get(c, &k, body, 4));
    djf_bodycache_clear(c);
    ck_assert_uint_eq(c->count, 0);
    ck_assert_uint_eq(c->bytes, 0);
    ck_assert_ptr_null(djf_bodycache_get(c, &k, body, 4));
    ck_assert_int_eq(djf_bodycache_put(c, &k, body, 4, body, 4, 0), DJF_OK);
    free_cache(c);
}
END_TEST

static Suite *bodycache_suite(void)
{
    Suite *s = suite_create("bodycache");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_hit_returns_stored_payload);
    tcase_add_test(tc, test_same_digest_other_body_is_a_miss);
    tcase_add_test(tc, test_tag_separates_entries);
    tcase_add_test(tc, test_lru_eviction_keeps_the_bound);
    tcase_add_test(tc, test_entry_over_a_quarter_is_refused);
    tcase_add_test(tc, test_zero_bound_stores_nothing);
    tcase_add_test(tc, test_admission_on_second_sighting);
    tcase_add_test(tc, test_replace_and_clear);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(bodycache_suite)
