/* libFuzzer harness: gzip framing and the stream compressors (csrc/core/gzip.c, gzip_zstd.c),
 * each output inflated inside the harness.
 *
 * - djf_gzip_compress (libdeflate, any level, with or without the FNAME padding): one gzip
 *   member that zlib inflates back to the input, with the trailer's CRC and size.
 * - djf_gzstream: the input fed in pieces with sync flushes chosen by the input; the output is
 *   exactly one member (Z_STREAM_END at its last byte) inflating to the input.
 * - zstd whole and streamed: one frame decompressing to the input. */
#include "fuzz_common.h"
#include "gzip.h"
#include "gzip_zstd.h"

#include <libdeflate.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* Inflates one gzip member; checks it ends exactly at the end of src. */
static void check_gunzip(const uint8_t *src, size_t n, const uint8_t *want, size_t want_n)
{
    z_stream z;
    uint8_t *out = malloc(want_n + 1);
    int rc;

    FUZZ_CHECK(out != NULL);
    memset(&z, 0, sizeof z);
    FUZZ_CHECK(inflateInit2(&z, 16 + 15) == Z_OK);
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)(want_n + 1);
    rc = inflate(&z, Z_FINISH);
    FUZZ_CHECK(rc == Z_STREAM_END);
    FUZZ_CHECK(z.avail_in == 0); /* one member, nothing after it */
    FUZZ_CHECK(z.total_out == want_n && memcmp(out, want, want_n) == 0);
    inflateEnd(&z);
    free(out);
}

static void check_unzstd(const uint8_t *src, size_t n, const uint8_t *want, size_t want_n)
{
    uint8_t *out = malloc(want_n + 1);
    size_t got;

    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(ZSTD_findFrameCompressedSize(src, n) == n); /* one frame, nothing after it */
    got = ZSTD_decompress(out, want_n + 1, src, n);
    FUZZ_CHECK(!ZSTD_isError(got) && got == want_n && memcmp(out, want, want_n) == 0);
    free(out);
}

/* Compressors are made once per level and kept (the harness's own state, not the library's).
 * zstd gets one context per level and use: a context switched between levels, or between a
 * sized whole body and an unsized stream, reallocates and clears its tables each time, which
 * made this harness spend most of its time in page faults. */
static struct libdeflate_compressor *deflaters[13];
static struct ZSTD_CCtx_s *zstd_whole_ctx[10];
static struct ZSTD_CCtx_s *zstd_stream_ctx[10];

static struct ZSTD_CCtx_s *zstd_ctx(struct ZSTD_CCtx_s **slot)
{
    if (*slot == NULL) {
        *slot = djf_zstd_new();
    }
    FUZZ_CHECK(*slot != NULL);
    return *slot;
}

static void whole_gzip(const uint8_t *in, size_t n, uint8_t knob)
{
    int level = 1 + knob % 12;
    djf_gzip_name name = {(knob >> 4) & 1, (size_t)(knob >> 5) * 7, 255};
    struct libdeflate_compressor *c;

    if (deflaters[level] == NULL) {
        deflaters[level] = libdeflate_alloc_compressor(level);
    }
    c = deflaters[level];
    size_t cap = 0;
    size_t len = 0;
    uint8_t *dst;

    FUZZ_CHECK(c != NULL);
    FUZZ_CHECK(djf_gzip_bound(c, name, n, &cap) == DJF_OK);
    dst = malloc(cap);
    FUZZ_CHECK(dst != NULL);
    FUZZ_CHECK(djf_gzip_compress(c, level, name, in, n, dst, cap, &len) == DJF_OK);
    FUZZ_CHECK(len <= cap);
    check_gunzip(dst, len, in, n);
    free(dst);
}

static void stream_gzip(const uint8_t *in, size_t n, const uint8_t *plan, size_t nplan,
                        uint8_t knob)
{
    djf_gzip_name name = {knob & 1, (size_t)(knob >> 1) % 40, 255};
    djf_gzstream s;
    djf_buf out = {0};
    size_t pos = 0;
    size_t k = 0;

    FUZZ_CHECK(djf_gzstream_init(&s, 1 + (knob >> 3) % 9, name) == DJF_OK);
    FUZZ_CHECK(djf_gzstream_begin(&s, &out) == DJF_OK);
    while (pos < n) {
        uint8_t step = k < nplan ? plan[k++] : 0xff;
        size_t piece = (size_t)(step & 0x7f) + 1;

        if (piece > n - pos) {
            piece = n - pos;
        }
        FUZZ_CHECK(djf_gzstream_write(&s, in + pos, piece,
                                      (step & 0x80) ? DJF_FLUSH_SYNC : DJF_FLUSH_NONE,
                                      &out) == DJF_OK);
        pos += piece;
    }
    FUZZ_CHECK(djf_gzstream_write(&s, NULL, 0, DJF_FLUSH_FINISH, &out) == DJF_OK);
    check_gunzip((const uint8_t *)out.data, out.len, in, n);
    djf_gzstream_free(&s);
    djf_buf_free(&out);
}

static void zstd_both(const uint8_t *in, size_t n, const uint8_t *plan, size_t nplan, uint8_t knob)
{
    struct ZSTD_CCtx_s *c;
    int level = 1 + knob % 9;
    /* An unsized stream at levels 5-9 clears megabytes of match tables per frame (about a
     * tenth of the speed of levels 1-4 under ASan), so the stream takes those levels for one
     * knob in eight and levels 1-4 otherwise; the whole body (sized, small tables) takes all. */
    int stream_level = (knob & 0xe0) == 0xe0 ? level : 1 + knob % 4;
    size_t cap = 0;
    size_t len = 0;
    uint8_t *dst;
    djf_buf out = {0};
    size_t pos = 0;
    size_t k = 0;

    c = zstd_ctx(&zstd_whole_ctx[level]);
    FUZZ_CHECK(djf_zstd_setup(c, level) == DJF_OK);
    FUZZ_CHECK(djf_zstd_bound(n, &cap) == DJF_OK);
    dst = malloc(cap + 1);
    FUZZ_CHECK(dst != NULL);
    FUZZ_CHECK(djf_zstd_compress(c, in, n, dst, cap, &len) == DJF_OK);
    check_unzstd(dst, len, in, n);
    free(dst);
    c = zstd_ctx(&zstd_stream_ctx[stream_level]);
    FUZZ_CHECK(djf_zstd_setup(c, stream_level) == DJF_OK);
    while (pos < n) {
        uint8_t step = k < nplan ? plan[k++] : 0xff;
        size_t piece = (size_t)(step & 0x7f) + 1;

        if (piece > n - pos) {
            piece = n - pos;
        }
        FUZZ_CHECK(djf_zstd_stream(c, in + pos, piece,
                                   (step & 0x80) ? DJF_FLUSH_SYNC : DJF_FLUSH_NONE,
                                   &out) == DJF_OK);
        pos += piece;
    }
    FUZZ_CHECK(djf_zstd_stream(c, NULL, 0, DJF_FLUSH_FINISH, &out) == DJF_OK);
    check_unzstd((const uint8_t *)out.data, out.len, in, n);
    djf_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    uint8_t mode = fuzz_byte(&in);
    uint8_t knob = fuzz_byte(&in);
    size_t nplan = fuzz_byte(&in) % 16;
    const uint8_t *plan;

    nplan = fuzz_take(&in, nplan, &plan);
    switch (mode % 3) {
    case 0:
        whole_gzip(in.p, in.n, knob);
        break;
    case 1:
        stream_gzip(in.p, in.n, plan, nplan, knob);
        break;
    default:
        zstd_both(in.p, in.n, plan, nplan, knob);
        break;
    }
    return 0;
}
