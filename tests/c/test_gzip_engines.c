/* Check tests for csrc/core/gzip_isal.c and gzip_brotli.c: ISA-L members (whole, streamed,
 * sync-flushed) decoded by zlib's own gzip decoder as exactly one member; brotli streams
 * decoded by libbrotlidec. */
#include "check_main.h"
#include "gzip.h"
#include "gzip_brotli.h"
#include "gzip_isal.h"

#include <brotli/decode.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>

/* Deterministic text-like input with an incompressible stretch every 64 KB. */
static uint8_t *make_input(size_t n)
{
    static const char *words[] = {"alpha,", "beta ", "gamma;", "42 ", "delta\n", "<td>", "x"};
    uint8_t *p = malloc(n ? n : 1);
    size_t i = 0;
    uint32_t r = 12345;

    ck_assert_ptr_nonnull(p);
    while (i < n) {
        r = r * 1103515245u + 12345u;
        if (i % 65536 < 512) {
            p[i++] = (uint8_t)(r >> 24);
            continue;
        }
        {
            const char *w = words[(r >> 16) % 7];
            size_t k = 0;
            while (w[k] && i < n) {
                p[i++] = (uint8_t)w[k++];
            }
        }
    }
    return p;
}

/* Inflates with zlib (windowBits 31): exactly one member covering all of gz, decoding to
 * expect[0..n). */
static void assert_one_member(const uint8_t *gz, size_t gz_len, const uint8_t *expect, size_t n)
{
    z_stream zs;
    uint8_t *out = malloc(n + 1);

    ck_assert_ptr_nonnull(out);
    memset(&zs, 0, sizeof(zs));
    ck_assert_int_eq(inflateInit2(&zs, 31), Z_OK);
    zs.next_in = gz;
    zs.avail_in = (uInt)gz_len;
    zs.next_out = out;
    zs.avail_out = (uInt)(n + 1);
    ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
    ck_assert_uint_eq(zs.avail_in, 0);
    ck_assert_uint_eq(zs.total_out, n);
    if (n) {
        ck_assert_mem_eq(out, expect, n);
    }
    inflateEnd(&zs);
    free(out);
}

static void assert_brotli(const uint8_t *br, size_t br_len, const uint8_t *expect, size_t n)
{
    uint8_t *out = malloc(n + 1);
    size_t got = n + 1;

    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(BrotliDecoderDecompress(br_len, br, &got, out), BROTLI_DECODER_RESULT_SUCCESS);
    ck_assert_uint_eq(got, n);
    if (n) {
        ck_assert_mem_eq(out, expect, n);
    }
    free(out);
}

START_TEST(test_isal_whole_body_is_one_member)
{
    static const size_t sizes[] = {0, 1, 200, 2048, 112000, 300000};
    size_t si;
    int level;

    for (level = DJF_ISAL_MIN_LEVEL; level <= DJF_ISAL_MAX_LEVEL; level++) {
        djf_isal *c = NULL;
        ck_assert_int_eq(djf_isal_new(level, &c), DJF_OK);
        for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
            size_t n = sizes[si];
            uint8_t *in = make_input(n);
            djf_gzip_name name = {1, n % 7, 3};
            size_t bound = 0;
            size_t len = 0;
            uint8_t *dst = NULL;

            ck_assert_int_eq(djf_isal_bound(name, n, &bound), DJF_OK);
            dst = malloc(bound);
            ck_assert_ptr_nonnull(dst);
            ck_assert_int_eq(djf_isal_compress(c, name, in, n, dst, bound, &len), DJF_OK);
            ck_assert_uint_le(len, bound);
            ck_assert_uint_eq(dst[3], DJF_GZIP_FNAME);
            ck_assert_uint_eq(dst[9], 3);
            assert_one_member(dst, len, in, n);
            free(dst);
            free(in);
        }
        djf_isal_free(c);
    }
}
END_TEST

START_TEST(test_isal_incompressible_input_fits_the_bound)
{
    size_t n = 200000;
    uint8_t *in = malloc(n);
    djf_gzip_name name = {0, 0, 255};
    uint32_t r = 99;
    size_t i;
    size_t bound = 0;
    size_t len = 0;
    uint8_t *dst = NULL;
    djf_isal *c = NULL;

    ck_assert_ptr_nonnull(in);
    for (i = 0; i < n; i++) {
        r = r * 1664525u + 1013904223u;
        in[i] = (uint8_t)(r >> 24);
    }
    ck_assert_int_eq(djf_isal_new(3, &c), DJF_OK);
    ck_assert_int_eq(djf_isal_bound(name, n, &bound), DJF_OK);
    dst = malloc(bound);
    ck_assert_ptr_nonnull(dst);
    ck_assert_int_eq(djf_isal_compress(c, name, in, n, dst, bound, &len), DJF_OK);
    assert_one_member(dst, len, in, n);
    /* a buffer below the bound is refused, not overrun */
    ck_assert_int_eq(djf_isal_compress(c, name, in, n, dst, 100, &len), DJF_EINVAL);
    free(dst);
    free(in);
    djf_isal_free(c);
}
END_TEST

START_TEST(test_isal_large_whole_body_goes_through_the_stream_path)
{
    size_t n = 300000;
    uint8_t *in = make_input(n);
    djf_gzip_name name = {1, 3, 255};
    size_t bound = 0;
    size_t len = 0;
    uint8_t *dst = NULL;
    djf_isal *c = NULL;

    ck_assert_int_eq(djf_isal_new(1, &c), DJF_OK);
    c->stateless_max = 4096; /* as if the body were over 1 GiB */
    ck_assert_int_eq(djf_isal_bound(name, n, &bound), DJF_OK);
    dst = malloc(bound);
    ck_assert_ptr_nonnull(dst);
    ck_assert_int_eq(djf_isal_compress(c, name, in, n, dst, bound, &len), DJF_OK);
    assert_one_member(dst, len, in, n);
    ck_assert_int_eq(djf_isal_compress(c, name, in, n, dst, 100, &len), DJF_EINVAL);
    /* and the compressor still makes whole members afterwards */
    c->stateless_max = (size_t)1 << 30;
    ck_assert_int_eq(djf_isal_compress(c, name, in, n, dst, bound, &len), DJF_OK);
    assert_one_member(dst, len, in, n);
    free(dst);
    free(in);
    djf_isal_free(c);
}
END_TEST

START_TEST(test_isal_new_refuses_bad_level)
{
    djf_isal *c = (djf_isal *)1;

    ck_assert_int_eq(djf_isal_new(4, &c), DJF_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(djf_isal_new(-1, &c), DJF_EINVAL);
    djf_isal_free(NULL);
}
END_TEST

/* Streams in[0..n) in pieces of `piece` bytes with `mode` after each piece. */
static void stream_pieces(djf_isal_stream *s, const uint8_t *in, size_t n, size_t piece,
                          djf_flush mode, djf_buf *out)
{
    size_t off = 0;

    while (off < n) {
        size_t take = n - off < piece ? n - off : piece;
        ck_assert_int_eq(djf_isal_stream_write(s, in + off, take, mode, out), DJF_OK);
        off += take;
    }
    ck_assert_int_eq(djf_isal_stream_write(s, NULL, 0, DJF_FLUSH_FINISH, out), DJF_OK);
}

START_TEST(test_isal_stream_is_one_member)
{
    size_t n = 500000;
    uint8_t *in = make_input(n);
    int level;

    for (level = 0; level <= 3; level++) {
        djf_isal *c = NULL;
        djf_isal_stream s;
        djf_buf out = {0};
        djf_gzip_name name = {1, 4, 255};

        ck_assert_int_eq(djf_isal_new(level, &c), DJF_OK);
        /* the compressor is reused: two members in a row, both whole */
        ck_assert_int_eq(djf_isal_stream_start(&s, c, name), DJF_OK);
        stream_pieces(&s, in, n, 37, DJF_FLUSH_NONE, &out);
        assert_one_member((const uint8_t *)out.data, out.len, in, n);
        djf_buf_clear(&out);
        ck_assert_int_eq(djf_isal_stream_start(&s, c, name), DJF_OK);
        stream_pieces(&s, in, n, 70000, DJF_FLUSH_NONE, &out);
        assert_one_member((const uint8_t *)out.data, out.len, in, n);
        djf_buf_free(&out);
        djf_isal_free(c);
    }
    free(in);
}
END_TEST

START_TEST(test_isal_sync_flush_decodes_at_once_and_skips_empty_flushes)
{
    size_t n = 20000;
    uint8_t *in = make_input(n);
    uint8_t *dec = malloc(n);
    djf_isal *c = NULL;
    djf_isal_stream s;
    djf_buf out = {0};
    djf_gzip_name name = {0, 0, 255};
    z_stream zs;
    size_t off = 0;
    size_t sent = 0;

    ck_assert_ptr_nonnull(dec);
    memset(&zs, 0, sizeof(zs));
    ck_assert_int_eq(inflateInit2(&zs, 31), Z_OK);
    zs.next_out = dec;
    zs.avail_out = (uInt)n;
    ck_assert_int_eq(djf_isal_new(1, &c), DJF_OK);
    ck_assert_int_eq(djf_isal_stream_start(&s, c, name), DJF_OK);
    ck_assert_int_eq(djf_isal_stream_begin(&s, &out), DJF_OK);
    ck_assert_uint_eq(out.len, DJF_GZIP_HEADER_SIZE);
    /* a flush before any input sends nothing */
    ck_assert_int_eq(djf_isal_stream_write(&s, NULL, 0, DJF_FLUSH_SYNC, &out), DJF_OK);
    ck_assert_uint_eq(out.len, DJF_GZIP_HEADER_SIZE);
    while (off < n) {
        size_t take = n - off < 300 ? n - off : 300;
        ck_assert_int_eq(djf_isal_stream_write(&s, in + off, take, DJF_FLUSH_SYNC, &out), DJF_OK);
        off += take;
        /* everything sent so far decodes to everything fed so far */
        zs.next_in = (const Bytef *)out.data + sent;
        zs.avail_in = (uInt)(out.len - sent);
        sent = out.len;
        ck_assert_int_eq(inflate(&zs, Z_SYNC_FLUSH), Z_OK);
        ck_assert_uint_eq(zs.total_out, off);
        /* a second flush with nothing new sends nothing */
        ck_assert_int_eq(djf_isal_stream_write(&s, NULL, 0, DJF_FLUSH_SYNC, &out), DJF_OK);
        ck_assert_uint_eq(out.len, sent);
    }
    ck_assert_mem_eq(dec, in, n);
    ck_assert_int_eq(djf_isal_stream_write(&s, NULL, 0, DJF_FLUSH_FINISH, &out), DJF_OK);
    assert_one_member((const uint8_t *)out.data, out.len, in, n);
    /* finished: refuses more */
    ck_assert_int_eq(djf_isal_stream_write(&s, in, 1, DJF_FLUSH_NONE, &out), DJF_EINVAL);
    ck_assert_int_eq(djf_isal_stream_write(&s, in, 1, (djf_flush)7, &out), DJF_EINVAL);
    inflateEnd(&zs);
    djf_buf_free(&out);
    djf_isal_free(c);
    free(dec);
    free(in);
}
END_TEST

START_TEST(test_brotli_whole_body_round_trip)
{
    static const size_t sizes[] = {0, 1, 2048, 112000};
    static const int levels[] = {0, 1, 4, 5, 9, 11};
    size_t si;
    size_t li;

    for (li = 0; li < sizeof(levels) / sizeof(levels[0]); li++) {
        for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
            size_t n = sizes[si];
            uint8_t *in = make_input(n);
            size_t bound = 0;
            size_t len = 0;
            uint8_t *dst = NULL;

            ck_assert_int_eq(djf_brotli_bound(n, &bound), DJF_OK);
            dst = malloc(bound);
            ck_assert_ptr_nonnull(dst);
            ck_assert_int_eq(djf_brotli_compress(levels[li], in, n, dst, bound, &len), DJF_OK);
            assert_brotli(dst, len, in, n);
            free(dst);
            free(in);
        }
    }
    ck_assert_int_eq(djf_brotli_compress(12, NULL, 0, NULL, 0, NULL), DJF_EINVAL);
}
END_TEST

START_TEST(test_brotli_stream_flushes_and_finishes)
{
    size_t n = 300000;
    uint8_t *in = make_input(n);
    djf_brstream s;
    djf_buf out = {0};
    size_t off = 0;
    size_t before = 0;
    int i = 0;

    ck_assert_int_eq(djf_brstream_init(&s, 12), DJF_EINVAL);
    djf_brstream_free(&s);
    ck_assert_int_eq(djf_brstream_init(&s, 4), DJF_OK);
    while (off < n) {
        size_t take = n - off < 1000 ? n - off : 1000;
        djf_flush mode = (i++ % 50 == 0) ? DJF_FLUSH_SYNC : DJF_FLUSH_NONE;
        ck_assert_int_eq(djf_brstream_write(&s, in + off, take, mode, &out), DJF_OK);
        off += take;
        if (mode == DJF_FLUSH_SYNC) {
            before = out.len;
            ck_assert_int_eq(djf_brstream_write(&s, NULL, 0, DJF_FLUSH_SYNC, &out), DJF_OK);
            ck_assert_uint_eq(out.len, before); /* nothing new: nothing sent */
        }
    }
    ck_assert_int_eq(djf_brstream_write(&s, NULL, 0, DJF_FLUSH_FINISH, &out), DJF_OK);
    assert_brotli((const uint8_t *)out.data, out.len, in, n);
    ck_assert_int_eq(djf_brstream_write(&s, in, 1, DJF_FLUSH_NONE, &out), DJF_EINVAL);
    djf_brstream_free(&s);
    djf_brstream_free(&s);
    djf_buf_free(&out);
    free(in);
}
END_TEST

static Suite *engines_suite(void)
{
    Suite *s = suite_create("gzip_engines");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_isal_whole_body_is_one_member);
    tcase_add_test(tc, test_isal_incompressible_input_fits_the_bound);
    tcase_add_test(tc, test_isal_large_whole_body_goes_through_the_stream_path);
    tcase_add_test(tc, test_isal_new_refuses_bad_level);
    tcase_add_test(tc, test_isal_stream_is_one_member);
    tcase_add_test(tc, test_isal_sync_flush_decodes_at_once_and_skips_empty_flushes);
    tcase_add_test(tc, test_brotli_whole_body_round_trip);
    tcase_add_test(tc, test_brotli_stream_flushes_and_finishes);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(engines_suite)
