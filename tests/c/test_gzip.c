/* Check tests for csrc/core/gzip.c and gzip_zstd.c: header and trailer bytes, whole-body and
 * streamed members round-tripped through zlib's own gzip decoder (exactly one member), zstd
 * frames round-tripped through libzstd with the window capped at 8 MB. */
#include "check_main.h"
#include "gzip.h"
#include "gzip_zstd.h"

#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

/* Deterministic text-like input: words from a small vocabulary with counters. */
static uint8_t *make_input(size_t n)
{
    static const char *words[] = {"alpha,", "beta ", "gamma;", "42 ", "delta\n", "<td>", "x"};
    uint8_t *p = malloc(n ? n : 1);
    size_t i = 0;
    uint32_t r = 12345;

    ck_assert_ptr_nonnull(p);
    while (i < n) {
        const char *w = words[(r >> 16) % 7];
        size_t k = 0;
        r = r * 1103515245u + 12345u;
        while (w[k] && i < n) {
            p[i++] = (uint8_t)w[k++];
        }
    }
    return p;
}

/* Inflates a gzip member with zlib (windowBits 31) and checks that it is exactly one member
 * covering all of `gz` and decoding to expect[0..n). */
static void assert_one_member(const uint8_t *gz, size_t gz_len, const uint8_t *expect, size_t n)
{
    z_stream zs;
    uint8_t *out = malloc(n + 1);
    int zr;

    ck_assert_ptr_nonnull(out);
    memset(&zs, 0, sizeof(zs));
    ck_assert_int_eq(inflateInit2(&zs, 31), Z_OK);
    zs.next_in = gz;
    zs.avail_in = (uInt)gz_len;
    zs.next_out = out;
    zs.avail_out = (uInt)(n + 1);
    zr = inflate(&zs, Z_FINISH);
    ck_assert_int_eq(zr, Z_STREAM_END);
    ck_assert_uint_eq(zs.avail_in, 0); /* nothing after the member */
    ck_assert_uint_eq(zs.total_out, n);
    if (n) {
        ck_assert_mem_eq(out, expect, n);
    }
    inflateEnd(&zs);
    free(out);
}

START_TEST(test_header_without_name_is_python_layout)
{
    uint8_t h[16];
    djf_gzip_name name = {0, 0, 255};
    size_t size = 0;
    static const uint8_t expect[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};

    ck_assert_int_eq(djf_gzip_header_size(name, &size), DJF_OK);
    ck_assert_uint_eq(size, 10);
    djf_gzip_write_header(h, name, 6);
    ck_assert_mem_eq(h, expect, 10);
    djf_gzip_write_header(h, name, 9);
    ck_assert_uint_eq(h[8], 2);
    djf_gzip_write_header(h, name, 1);
    ck_assert_uint_eq(h[8], 4);
}
END_TEST

START_TEST(test_header_fname_padding)
{
    uint8_t h[32];
    djf_gzip_name name = {1, 5, 3};
    djf_gzip_name empty = {1, 0, 3};
    size_t size = 0;

    ck_assert_int_eq(djf_gzip_header_size(name, &size), DJF_OK);
    ck_assert_uint_eq(size, 16);
    djf_gzip_write_header(h, name, 6);
    ck_assert_uint_eq(h[3], DJF_GZIP_FNAME);
    ck_assert_uint_eq(h[9], 3);
    ck_assert_mem_eq(h + 10, "aaaaa\0", 6);
    /* an empty name still sets FNAME and writes the NUL (Django's compress_string) */
    ck_assert_int_eq(djf_gzip_header_size(empty, &size), DJF_OK);
    ck_assert_uint_eq(size, 11);
    djf_gzip_write_header(h, empty, 6);
    ck_assert_uint_eq(h[3], DJF_GZIP_FNAME);
    ck_assert_uint_eq(h[10], 0);
}
END_TEST

START_TEST(test_header_size_overflow_refused)
{
    djf_gzip_name huge = {1, SIZE_MAX - 5, 255};
    size_t size = 0;

    ck_assert_int_eq(djf_gzip_header_size(huge, &size), DJF_EOVERFLOW);
    ck_assert_int_eq(djf_gzip_bound(NULL, huge, 10, &size), DJF_EOVERFLOW);
}
END_TEST

START_TEST(test_trailer_crc_and_isize)
{
    uint8_t t[8];
    uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)"hello", 5);

    djf_gzip_write_trailer(t, crc, 5);
    ck_assert_uint_eq(t[0] | t[1] << 8 | t[2] << 16 | (uint32_t)t[3] << 24, crc);
    ck_assert_uint_eq(t[4], 5);
    ck_assert_uint_eq(t[5] | t[6] | t[7], 0);
    /* isize is the length modulo 2^32 */
    djf_gzip_write_trailer(t, 0, ((uint64_t)1 << 32) + 7);
    ck_assert_uint_eq(t[4], 7);
    ck_assert_uint_eq(t[5] | t[6] | t[7], 0);
}
END_TEST

START_TEST(test_whole_body_round_trip)
{
    static const size_t sizes[] = {0, 1, 199, 4096, 300000};
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
    size_t i;

    ck_assert_ptr_nonnull(c);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        djf_gzip_name name = {1, i * 7, 3};
        uint8_t *in = make_input(sizes[i]);
        size_t bound = 0;
        size_t len = 0;
        uint8_t *out = NULL;

        ck_assert_int_eq(djf_gzip_bound(c, name, sizes[i], &bound), DJF_OK);
        out = malloc(bound);
        ck_assert_ptr_nonnull(out);
        ck_assert_int_eq(djf_gzip_compress(c, 6, name, in, sizes[i], out, bound, &len), DJF_OK);
        ck_assert_uint_le(len, bound);
        ck_assert_uint_eq(out[3], DJF_GZIP_FNAME);
        assert_one_member(out, len, in, sizes[i]);
        /* too small an output buffer is refused, not overrun */
        ck_assert_int_eq(djf_gzip_compress(c, 6, name, in, sizes[i], out, 12, &len), DJF_EINVAL);
        free(out);
        free(in);
    }
    libdeflate_free_compressor(c);
}
END_TEST

/* Streams `n` bytes in chunks of `step` with `mode` per chunk, then FINISH. */
static void stream_round_trip(size_t n, size_t step, djf_flush mode, djf_gzip_name name)
{
    djf_gzstream s;
    djf_buf out = {0};
    uint8_t *in = make_input(n);
    size_t off = 0;

    ck_assert_int_eq(djf_gzstream_init(&s, 6, name), DJF_OK);
    while (off < n) {
        size_t take = n - off < step ? n - off : step;
        size_t before = out.len;
        ck_assert_int_eq(djf_gzstream_write(&s, in + off, take, mode, &out), DJF_OK);
        if (mode == DJF_FLUSH_SYNC) {
            /* a sync flush ends with the empty stored block 00 00 ff ff */
            ck_assert_uint_gt(out.len, before);
            ck_assert_mem_eq(out.data + out.len - 4, "\x00\x00\xff\xff", 4);
        }
        off += take;
    }
    ck_assert_int_eq(djf_gzstream_write(&s, NULL, 0, DJF_FLUSH_FINISH, &out), DJF_OK);
    ck_assert_uint_eq((uint8_t)out.data[3], name.fname ? DJF_GZIP_FNAME : 0);
    assert_one_member((const uint8_t *)out.data, out.len, in, n);
    /* finished: further writes are refused */
    ck_assert_int_eq(djf_gzstream_write(&s, in, n ? 1 : 0, DJF_FLUSH_NONE, &out), DJF_EINVAL);
    djf_gzstream_free(&s);
    djf_gzstream_free(&s); /* twice is fine */
    djf_buf_free(&out);
    free(in);
}

START_TEST(test_stream_is_one_member)
{
    djf_gzip_name none = {0, 0, 255};
    djf_gzip_name named = {1, 40, 255};

    stream_round_trip(0, 1, DJF_FLUSH_NONE, none);
    stream_round_trip(100000, 100, DJF_FLUSH_NONE, none);
    stream_round_trip(200000, 65536, DJF_FLUSH_NONE, named);
    stream_round_trip(30000, 777, DJF_FLUSH_SYNC, named);
}
END_TEST

START_TEST(test_stream_begin_writes_the_header_once)
{
    djf_gzstream s;
    djf_buf out = {0};
    djf_gzip_name named = {1, 3, 255};
    static const uint8_t expect[14] = {0x1f, 0x8b, 8, DJF_GZIP_FNAME, 0, 0, 0, 0, 0, 255, 'a',
                                       'a',  'a',  0};

    ck_assert_int_eq(djf_gzstream_init(&s, 6, named), DJF_OK);
    ck_assert_int_eq(djf_gzstream_begin(&s, &out), DJF_OK);
    ck_assert_uint_eq(out.len, 14);
    ck_assert_mem_eq(out.data, expect, 14);
    ck_assert_int_eq(djf_gzstream_begin(&s, &out), DJF_OK);
    ck_assert_uint_eq(out.len, 14);
    ck_assert_int_eq(djf_gzstream_write(&s, (const uint8_t *)"hi", 2, DJF_FLUSH_FINISH, &out),
                     DJF_OK);
    assert_one_member((const uint8_t *)out.data, out.len, (const uint8_t *)"hi", 2);
    ck_assert_int_eq(djf_gzstream_begin(&s, &out), DJF_EINVAL);
    djf_gzstream_free(&s);
    djf_buf_free(&out);
}
END_TEST

START_TEST(test_stream_refuses_bad_use)
{
    djf_gzstream s;
    djf_buf out = {0};
    djf_gzip_name none = {0, 0, 255};

    ck_assert_int_eq(djf_gzstream_init(&s, 0, none), DJF_EINVAL);
    ck_assert_int_eq(djf_gzstream_init(&s, 10, none), DJF_EINVAL);
    /* an uninitialised-by-failure stream refuses writes and frees cleanly */
    ck_assert_int_eq(djf_gzstream_write(&s, (const uint8_t *)"x", 1, DJF_FLUSH_NONE, &out),
                     DJF_EINVAL);
    djf_gzstream_free(&s);
    djf_buf_free(&out);
}
END_TEST

/* Decompresses one zstd frame and checks its content and window (<= 8 MB). */
static void assert_zstd_frame(const uint8_t *z, size_t z_len, const uint8_t *expect, size_t n)
{
    ZSTD_frameHeader fh;
    ZSTD_DCtx *d = ZSTD_createDCtx();
    uint8_t *out = malloc(n + 1);
    ZSTD_inBuffer ib = {z, z_len, 0};
    ZSTD_outBuffer ob = {out, n + 1, 0};
    size_t r;

    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(ZSTD_getFrameHeader(&fh, z, z_len), 0);
    ck_assert_uint_le(fh.windowSize, (uint64_t)1 << DJF_ZSTD_MAX_WINDOW_LOG);
    ck_assert_uint_eq(ZSTD_findFrameCompressedSize(z, z_len), z_len); /* exactly one frame */
    ck_assert_uint_eq(ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 23), 0);
    r = ZSTD_decompressStream(d, &ob, &ib);
    ck_assert(!ZSTD_isError(r));
    ck_assert_uint_eq(r, 0);
    ck_assert_uint_eq(ob.pos, n);
    if (n) {
        ck_assert_mem_eq(out, expect, n);
    }
    ZSTD_freeDCtx(d);
    free(out);
}

START_TEST(test_zstd_whole_body_round_trip)
{
    static const int levels[] = {-5, 1, 3, 19, 22};
    struct ZSTD_CCtx_s *c = djf_zstd_new();
    size_t n = 200000;
    uint8_t *in = make_input(n);
    size_t bound = 0;
    uint8_t *out = NULL;
    size_t i;

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(djf_zstd_bound(n, &bound), DJF_OK);
    out = malloc(bound);
    ck_assert_ptr_nonnull(out);
    for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        size_t len = 0;
        ck_assert_int_eq(djf_zstd_setup(c, levels[i]), DJF_OK);
        ck_assert_int_eq(djf_zstd_compress(c, in, n, out, bound, &len), DJF_OK);
        assert_zstd_frame(out, len, in, n);
    }
    ck_assert_int_eq(djf_zstd_setup(c, 1000), DJF_EINVAL);
    free(out);
    free(in);
    djf_zstd_free(c);
}
END_TEST

START_TEST(test_zstd_stream_window_capped)
{
    /* level 22 would use a 128 MB window; a content coding must stay within 8 MB */
    struct ZSTD_CCtx_s *c = djf_zstd_new();
    size_t n = 500000;
    uint8_t *in = make_input(n);
    djf_buf out = {0};
    size_t off = 0;

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(djf_zstd_setup(c, 22), DJF_OK);
    while (off < n) {
        size_t take = n - off < 50000 ? n - off : 50000;
        ck_assert_int_eq(djf_zstd_stream(c, in + off, take, DJF_FLUSH_SYNC, &out), DJF_OK);
        off += take;
    }
    ck_assert_int_eq(djf_zstd_stream(c, NULL, 0, DJF_FLUSH_FINISH, &out), DJF_OK);
    assert_zstd_frame((const uint8_t *)out.data, out.len, in, n);
    djf_buf_free(&out);
    free(in);
    djf_zstd_free(c);
}
END_TEST

static Suite *gzip_suite(void)
{
    Suite *s = suite_create("gzip");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_header_without_name_is_python_layout);
    tcase_add_test(tc, test_header_fname_padding);
    tcase_add_test(tc, test_header_size_overflow_refused);
    tcase_add_test(tc, test_trailer_crc_and_isize);
    tcase_add_test(tc, test_whole_body_round_trip);
    tcase_add_test(tc, test_stream_is_one_member);
    tcase_add_test(tc, test_stream_begin_writes_the_header_once);
    tcase_add_test(tc, test_stream_refuses_bad_use);
    tcase_add_test(tc, test_zstd_whole_body_round_trip);
    tcase_add_test(tc, test_zstd_stream_window_capped);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(gzip_suite)
