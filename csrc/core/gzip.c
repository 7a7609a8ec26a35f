/* djfast core: gzip framing, whole-body libdeflate compression and the zlib stream. */
#include "gzip.h"

#include <libdeflate.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>

/* Python's gzip module: XFL 2 for the best level, 4 for the fastest, 0 otherwise. */
static uint8_t xfl_for_level(int level)
{
    if (level == 9) {
        return 2;
    }
    if (level == 1) {
        return 4;
    }
    return 0;
}

static void put_le32(uint8_t *dst, uint32_t v)
{
    dst[0] = (uint8_t)(v & 0xffu);
    dst[1] = (uint8_t)((v >> 8) & 0xffu);
    dst[2] = (uint8_t)((v >> 16) & 0xffu);
    dst[3] = (uint8_t)((v >> 24) & 0xffu);
}

djf_status djf_gzip_header_size(djf_gzip_name name, size_t *out)
{
    size_t size = DJF_GZIP_HEADER_SIZE;

    if (name.fname) {
        if (!djf_add_size(size, name.name_len, &size) || !djf_add_size(size, 1, &size)) {
            return DJF_EOVERFLOW;
        }
    }
    *out = size;
    return DJF_OK;
}

void djf_gzip_write_header(uint8_t *dst, djf_gzip_name name, int level)
{
    dst[0] = 0x1f;
    dst[1] = 0x8b;
    dst[2] = 8; /* CM = deflate */
    dst[3] = name.fname ? DJF_GZIP_FNAME : 0;
    put_le32(dst + 4, 0); /* MTIME = 0, as Django asks for */
    dst[8] = xfl_for_level(level);
    dst[9] = name.os;
    if (name.fname) {
        memset(dst + DJF_GZIP_HEADER_SIZE, 'a', name.name_len);
        dst[DJF_GZIP_HEADER_SIZE + name.name_len] = 0;
    }
}

djf_status djf_gzip_append_header(djf_buf *out, djf_gzip_name name, int level)
{
    size_t header = 0;
    djf_status st = djf_gzip_header_size(name, &header);

    if (st == DJF_OK) {
        st = djf_buf_reserve(out, header);
    }
    if (st != DJF_OK) {
        return st;
    }
    djf_gzip_write_header((uint8_t *)out->data + out->len, name, level);
    out->len += header;
    return DJF_OK;
}

void djf_gzip_write_trailer(uint8_t *dst, uint32_t crc, uint64_t isize)
{
    put_le32(dst, crc);
    put_le32(dst + 4, (uint32_t)(isize & 0xffffffffu));
}

djf_status djf_gzip_bound(struct libdeflate_compressor *c, djf_gzip_name name, size_t n,
                          size_t *out)
{
    size_t header = 0;
    size_t total = 0;
    djf_status st = djf_gzip_header_size(name, &header);

    if (st != DJF_OK) {
        return st;
    }
    /* libdeflate's bound is n + n/... + small constant; guard its own overflow */
    if (n > SIZE_MAX / 2) {
        return DJF_EOVERFLOW;
    }
    total = libdeflate_deflate_compress_bound(c, n);
    if (!djf_add_size(total, header, &total) ||
        !djf_add_size(total, DJF_GZIP_TRAILER_SIZE, &total)) {
        return DJF_EOVERFLOW;
    }
    *out = total;
    return DJF_OK;
}

djf_status djf_gzip_compress(struct libdeflate_compressor *c, int level, djf_gzip_name name,
                             const uint8_t *in, size_t n, uint8_t *dst, size_t cap, size_t *out_len)
{
    size_t header = 0;
    size_t body = 0;
    size_t room = 0;
    djf_status st = djf_gzip_header_size(name, &header);

    if (st != DJF_OK) {
        return st;
    }
    if (cap < header + DJF_GZIP_TRAILER_SIZE) {
        return DJF_EINVAL;
    }
    room = cap - header - DJF_GZIP_TRAILER_SIZE;
    djf_gzip_write_header(dst, name, level);
    body = libdeflate_deflate_compress(c, in, n, dst + header, room);
    if (body == 0) {
        /* only when the output does not fit: the caller gave less than the bound */
        return DJF_EINVAL;
    }
    djf_gzip_write_trailer(dst + header + body, libdeflate_crc32(0, in, n), (uint64_t)n);
    *out_len = header + body + DJF_GZIP_TRAILER_SIZE;
    return DJF_OK;
}

/* ---------------------------------------------------------------- stream */

djf_status djf_gzstream_init(djf_gzstream *s, int level, djf_gzip_name name)
{
    z_stream *zs = NULL;
    size_t header = 0;

    memset(s, 0, sizeof(*s));
    if (level < 1 || level > 9 || djf_gzip_header_size(name, &header) != DJF_OK) {
        return DJF_EINVAL;
    }
    zs = calloc(1, sizeof(*zs));
    if (zs == NULL) {
        return DJF_ENOMEM;
    }
    /* the same parameters as Python's GzipFile: raw deflate, 32 KB window, memLevel 8 */
    if (deflateInit2(zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(zs);
        return DJF_ELIB;
    }
    s->zs = zs;
    s->crc = (uint32_t)crc32(0L, Z_NULL, 0);
    s->name = name;
    s->level = level;
    return DJF_OK;
}

/* Runs deflate over in[0..n) with `flush` until zlib has taken all input and (for a flush)
 * produced everything. Returns DJF_OK, DJF_ENOMEM, DJF_EOVERFLOW or DJF_ELIB. */
static djf_status run_deflate(z_stream *zs, const uint8_t *in, size_t n, int flush, djf_buf *out)
{
    djf_status st = DJF_OK;

    for (;;) {
        uInt take = n > UINT_MAX ? UINT_MAX : (uInt)n;
        int last = take == n;
        int mode = last ? flush : Z_NO_FLUSH;
        int zr = Z_OK;

        zs->next_in = in;
        zs->avail_in = take;
        do {
            size_t room = 0;
            size_t want = (size_t)zs->avail_in / 2 + 1024;
            if (want > (size_t)UINT_MAX) {
                want = UINT_MAX;
            }
            st = djf_buf_reserve(out, want);
            if (st != DJF_OK) {
                return st;
            }
            room = out->cap - out->len;
            if (room > UINT_MAX) {
                room = UINT_MAX;
            }
            zs->next_out = (Bytef *)out->data + out->len;
            zs->avail_out = (uInt)room;
            zr = deflate(zs, mode);
            out->len += room - zs->avail_out;
            if (zr == Z_STREAM_ERROR) {
                return DJF_ELIB;
            }
            /* Z_BUF_ERROR only means no progress was possible; the loop condition decides */
        } while (zs->avail_out == 0 || zs->avail_in != 0 ||
                 (mode == Z_FINISH && zr != Z_STREAM_END));
        if (last) {
            return DJF_OK;
        }
        in += take; /* never NULL here: take > 0 (NULL + 0 would be undefined) */
        n -= take;
    }
}

djf_status djf_gzstream_begin(djf_gzstream *s, djf_buf *out)
{
    djf_status st = DJF_OK;

    if (s->zs == NULL || s->finished) {
        return DJF_EINVAL;
    }
    if (s->header_done) {
        return DJF_OK;
    }
    st = djf_gzip_append_header(out, s->name, s->level);
    if (st != DJF_OK) {
        return st;
    }
    s->header_done = 1;
    return DJF_OK;
}

djf_status djf_gzstream_write(djf_gzstream *s, const uint8_t *in, size_t n, djf_flush mode,
                              djf_buf *out)
{
    static const int zflush[] = {Z_NO_FLUSH, Z_SYNC_FLUSH, Z_FINISH};
    djf_status st = DJF_OK;
    const uint8_t *p = in;
    size_t left = n;

    if ((int)mode < 0 || (int)mode > 2) {
        return DJF_EINVAL;
    }
    st = djf_gzstream_begin(s, out);
    if (st != DJF_OK) {
        return st;
    }
    /* crc32 takes uInt lengths */
    while (left > 0) {
        uInt take = left > UINT_MAX ? UINT_MAX : (uInt)left;
        s->crc = (uint32_t)crc32(s->crc, p, take);
        p += take;
        left -= take;
    }
    s->isize += n;
    st = run_deflate((z_stream *)s->zs, in, n, zflush[mode], out);
    if (st != DJF_OK) {
        s->finished = 1; /* the zlib state is mid-call: refuse further use */
        return st;
    }
    if (mode == DJF_FLUSH_FINISH) {
        st = djf_buf_reserve(out, DJF_GZIP_TRAILER_SIZE);
        if (st != DJF_OK) {
            return st;
        }
        djf_gzip_write_trailer((uint8_t *)out->data + out->len, s->crc, s->isize);
        out->len += DJF_GZIP_TRAILER_SIZE;
        s->finished = 1;
    }
    return DJF_OK;
}

void djf_gzstream_free(djf_gzstream *s)
{
    if (s->zs != NULL) {
        deflateEnd((z_stream *)s->zs);
        free(s->zs);
        s->zs = NULL;
    }
}
