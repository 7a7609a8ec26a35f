/* djfast core: gzip members through ISA-L igzip (see gzip_isal.h). */
#include "gzip_isal.h"

#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>

/* Whole bodies up to this size go through one stateless call (its lengths are 32-bit);
 * larger ones are streamed (djf_isal.stateless_max starts at this). */
#define DJF_ISAL_STATELESS_MAX ((size_t)1 << 30)
/* Input handed to one isal_deflate call at most (avail_in is 32-bit). */
#define DJF_ISAL_PIECE ((size_t)1 << 30)

/* Clears the upper halves of the vector registers after ISA-L's AVX2/AVX-512 code (a dirty
 * upper state slows the SSE code CPython runs afterwards). Only on x86-64 CPUs with AVX: on
 * others vzeroupper does not exist and ISA-L used no 256-bit registers. Never fails. */
static void clean_upper_vector_state(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (__builtin_cpu_supports("avx")) {
        __asm__ __volatile__("vzeroupper" ::: "memory");
    }
#endif
}

/* The header's XFL: 0 ("no information"), the byte Django's gzip header carries at its level 6,
 * so the header bytes a client sees do not change with the engine. */
static int xfl_level(int isal_level)
{
    (void)isal_level;
    return 6;
}

static uint32_t level_buf_size(int level)
{
    switch (level) {
    case 1:
        return ISAL_DEF_LVL1_DEFAULT;
    case 2:
        return ISAL_DEF_LVL2_DEFAULT;
    case 3:
        return ISAL_DEF_LVL3_DEFAULT;
    default:
        return 0;
    }
}

djf_status djf_isal_new(int level, djf_isal **out)
{
    djf_isal *c = NULL;
    djf_status st = DJF_ENOMEM;

    *out = NULL;
    if (level < DJF_ISAL_MIN_LEVEL || level > DJF_ISAL_MAX_LEVEL) {
        return DJF_EINVAL;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        goto done;
    }
    c->level = level;
    c->stateless_max = DJF_ISAL_STATELESS_MAX;
    /* zeroed: ISA-L reads hash-table slots it has not written yet (valgrind) */
    c->zs = calloc(1, sizeof(struct isal_zstream));
    if (c->zs == NULL) {
        goto done;
    }
    c->level_buf_size = level_buf_size(level);
    if (c->level_buf_size > 0) {
        c->level_buf = calloc(1, c->level_buf_size);
        if (c->level_buf == NULL) {
            goto done;
        }
    }
    *out = c;
    c = NULL;
    st = DJF_OK;
done:
    djf_isal_free(c);
    return st;
}

void djf_isal_free(djf_isal *c)
{
    if (c != NULL) {
        free(c->level_buf);
        free(c->zs);
        free(c);
    }
}

djf_status djf_isal_bound(djf_gzip_name name, size_t n, size_t *out)
{
    size_t header = 0;
    size_t total = 0;
    size_t blocks = 0;
    djf_status st = djf_gzip_header_size(name, &header);

    if (st != DJF_OK) {
        return st;
    }
    /* Incompressible input falls back to stored blocks: 5 bytes per block of at most 64 KB
     * (counted per 16 KB, for margin), plus a Huffman header and the bit-buffer flush. */
    blocks = n / 16384 + 1;
    if (!djf_mul_size(blocks, 5, &blocks) || !djf_add_size(n, blocks, &total) ||
        !djf_add_size(total, ISAL_DEF_MAX_HDR_SIZE + 64, &total) ||
        !djf_add_size(total, header, &total) ||
        !djf_add_size(total, DJF_GZIP_TRAILER_SIZE, &total)) {
        return DJF_EOVERFLOW;
    }
    *out = total;
    return DJF_OK;
}

/* Sets c's stream up for a new member (no header: ours is written separately). */
static void reset_stream(djf_isal *c, int stateless)
{
    struct isal_zstream *zs = c->zs;

    if (stateless) {
        isal_deflate_stateless_init(zs);
    } else {
        isal_deflate_init(zs);
    }
    zs->level = (uint32_t)c->level;
    zs->level_buf = c->level_buf;
    zs->level_buf_size = c->level_buf_size;
    zs->gzip_flag = IGZIP_GZIP_NO_HDR; /* ISA-L writes the trailer, CRC fused with the pass */
}

/* Runs isal_deflate over in[0..n) with `mode`, appending output to out, until ISA-L has taken
 * all input and (for SYNC) flushed it or (for FINISH) written the trailer. Returns DJF_OK,
 * DJF_ENOMEM, DJF_EOVERFLOW or DJF_ELIB. */
static djf_status run_deflate(struct isal_zstream *zs, const uint8_t *in, size_t n, djf_flush mode,
                              djf_buf *out)
{
    for (;;) {
        size_t take = n > DJF_ISAL_PIECE ? DJF_ISAL_PIECE : n;
        int last = take == n;
        int finish = last && mode == DJF_FLUSH_FINISH;

        /* ISA-L's next_in is not const-qualified but is only read */
        zs->next_in = (uint8_t *)in;
        zs->avail_in = (uint32_t)take;
        zs->flush = last && mode == DJF_FLUSH_SYNC ? SYNC_FLUSH : NO_FLUSH;
        zs->end_of_stream = finish ? 1 : 0;
        for (;;) {
            size_t room = 0;
            size_t want = (size_t)zs->avail_in / 2 + 4096;
            int rc = 0;
            djf_status st = djf_buf_reserve(out, want);

            if (st != DJF_OK) {
                return st;
            }
            room = out->cap - out->len;
            if (room > UINT32_MAX) {
                room = UINT32_MAX;
            }
            zs->next_out = (uint8_t *)out->data + out->len;
            zs->avail_out = (uint32_t)room;
            rc = isal_deflate(zs);
            clean_upper_vector_state();
            out->len += room - zs->avail_out;
            if (rc != COMP_OK) {
                return DJF_ELIB;
            }
            /* done when all input is taken and the output buffer was not filled (then
             * everything asked for is out), and for FINISH when the trailer is written */
            if (zs->avail_in == 0 && zs->avail_out != 0 &&
                (!finish || zs->internal_state.state == ZSTATE_END)) {
                break;
            }
        }
        in += take;
        n -= take;
        if (last) {
            return DJF_OK;
        }
    }
}

/* Whole body too large for one stateless call: stream it through c, then copy. */
static djf_status compress_streamed(djf_isal *c, djf_gzip_name name, const uint8_t *in, size_t n,
                                    uint8_t *dst, size_t cap, size_t *out_len)
{
    djf_isal_stream s;
    djf_buf buf = {0};
    djf_status st = djf_isal_stream_start(&s, c, name);

    if (st == DJF_OK) {
        st = djf_isal_stream_write(&s, in, n, DJF_FLUSH_FINISH, &buf);
    }
    if (st == DJF_OK && buf.len > cap) {
        st = DJF_EINVAL;
    }
    if (st == DJF_OK && buf.data == NULL) {
        st = DJF_ELIB; /* a member is never empty: the header at least was written */
    }
    if (st == DJF_OK) {
        memcpy(dst, buf.data, buf.len);
        *out_len = buf.len;
    }
    djf_buf_free(&buf);
    return st;
}

djf_status djf_isal_compress(djf_isal *c, djf_gzip_name name, const uint8_t *in, size_t n,
                             uint8_t *dst, size_t cap, size_t *out_len)
{
    struct isal_zstream *zs = c->zs;
    size_t header = 0;
    size_t room = 0;
    int rc = 0;
    djf_status st = djf_gzip_header_size(name, &header);

    if (st != DJF_OK) {
        return st;
    }
    if (n > c->stateless_max || n > DJF_ISAL_STATELESS_MAX) {
        return compress_streamed(c, name, in, n, dst, cap, out_len);
    }
    if (cap < header + DJF_GZIP_TRAILER_SIZE) {
        return DJF_EINVAL;
    }
    room = cap - header;
    if (room > UINT32_MAX) {
        room = UINT32_MAX;
    }
    djf_gzip_write_header(dst, name, xfl_level(c->level));
    reset_stream(c, 1);
    zs->next_in = (uint8_t *)in;
    zs->avail_in = (uint32_t)n;
    zs->next_out = dst + header;
    zs->avail_out = (uint32_t)room;
    zs->end_of_stream = 1;
    zs->flush = NO_FLUSH;
    rc = isal_deflate_stateless(zs);
    clean_upper_vector_state();
    if (rc == STATELESS_OVERFLOW) {
        return DJF_EINVAL; /* only when cap is below djf_isal_bound */
    }
    if (rc != COMP_OK || zs->avail_in != 0) {
        return DJF_ELIB;
    }
    *out_len = header + (room - zs->avail_out);
    return DJF_OK;
}

/* ---------------------------------------------------------------- stream */

djf_status djf_isal_stream_start(djf_isal_stream *s, djf_isal *c, djf_gzip_name name)
{
    size_t header = 0;

    memset(s, 0, sizeof(*s));
    if (djf_gzip_header_size(name, &header) != DJF_OK) {
        return DJF_EOVERFLOW;
    }
    s->c = c;
    s->name = name;
    reset_stream(c, 0);
    return DJF_OK;
}

djf_status djf_isal_stream_begin(djf_isal_stream *s, djf_buf *out)
{
    djf_status st = DJF_OK;

    if (s->c == NULL || s->finished) {
        return DJF_EINVAL;
    }
    if (s->header_done) {
        return DJF_OK;
    }
    st = djf_gzip_append_header(out, s->name, xfl_level(s->c->level));
    if (st != DJF_OK) {
        return st;
    }
    s->header_done = 1;
    return DJF_OK;
}

djf_status djf_isal_stream_write(djf_isal_stream *s, const uint8_t *in, size_t n, djf_flush mode,
                                 djf_buf *out)
{
    djf_status st = DJF_OK;

    if ((int)mode < 0 || (int)mode > 2) {
        return DJF_EINVAL;
    }
    st = djf_isal_stream_begin(s, out);
    if (st != DJF_OK) {
        return st;
    }
    if (n == 0 && mode == DJF_FLUSH_NONE) {
        return DJF_OK;
    }
    if (n == 0 && mode == DJF_FLUSH_SYNC && !s->dirty) {
        return DJF_OK; /* nothing new: ISA-L would send an empty stored block */
    }
    st = run_deflate((struct isal_zstream *)s->c->zs, in, n, mode, out);
    if (st != DJF_OK) {
        s->finished = 1; /* the ISA-L state is mid-call: refuse further use */
        return st;
    }
    s->dirty = mode == DJF_FLUSH_NONE && (n > 0 || s->dirty);
    if (mode == DJF_FLUSH_FINISH) {
        s->finished = 1;
    }
    return DJF_OK;
}
