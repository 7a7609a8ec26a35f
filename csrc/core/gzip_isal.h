/* djfast core: gzip members through ISA-L igzip (levels 0-3). Pure C99, no Python.h.
 *
 * The member layout is the one gzip.h writes (our header with the BREACH FNAME padding, raw
 * deflate, CRC-32/ISIZE trailer); ISA-L produces the deflate data and the trailer
 * (IGZIP_GZIP_NO_HDR), so the CRC is computed in the same pass. Whole bodies go through
 * isal_deflate_stateless; streams through isal_deflate, one member per stream.
 *
 * ISA-L's AVX2/AVX-512 kernels may return with the upper vector state dirty, which slows the
 * ordinary (SSE) code that runs afterwards (design.md, "measured pitfalls"): every ISA-L call
 * here is followed by vzeroupper on x86-64 CPUs that have AVX.
 */
#ifndef DJF_GZIP_ISAL_H
#define DJF_GZIP_ISAL_H

#include "buf.h"
#include "djf_common.h"
#include "gzip.h"

#include <stddef.h>
#include <stdint.h>

#define DJF_ISAL_MIN_LEVEL 0
#define DJF_ISAL_MAX_LEVEL 3

/* A reusable igzip compressor for one level: the stream state and the level's work buffer.
 * Not thread-safe; create with djf_isal_new, release with djf_isal_free. */
typedef struct djf_isal {
    void *zs;           /* struct isal_zstream *, malloc'd */
    uint8_t *level_buf; /* the level's hash tables, malloc'd (NULL for level 0) */
    uint32_t level_buf_size;
    int level;
    size_t stateless_max; /* larger whole bodies are streamed (1 GiB; tests may lower it) */
} djf_isal;

/* Stores a new compressor for `level` in *out. Returns DJF_OK, DJF_EINVAL for a level outside
 * 0..3, or DJF_ENOMEM (then *out is NULL). */
djf_status djf_isal_new(int level, djf_isal **out);

/* Frees a compressor (NULL is fine). Never fails. */
void djf_isal_free(djf_isal *c);

/* Returns DJF_OK and the worst-case size of a whole member for n input bytes in *out, or
 * DJF_EOVERFLOW. */
djf_status djf_isal_bound(djf_gzip_name name, size_t n, size_t *out);

/* Compresses in[0..n) into one gzip member at dst (cap >= djf_isal_bound). Returns DJF_OK and
 * the member size in *out_len, DJF_EINVAL if cap is too small, DJF_ENOMEM, or DJF_ELIB.
 * Touches no Python object: may run with the GIL released. */
djf_status djf_isal_compress(djf_isal *c, djf_gzip_name name, const uint8_t *in, size_t n,
                             uint8_t *dst, size_t cap, size_t *out_len);

/* ---- streaming: one member per stream, on a borrowed compressor ---- */

typedef struct djf_isal_stream {
    djf_isal *c; /* borrowed: the caller owns it and frees/pools it after the stream */
    djf_gzip_name name;
    int header_done;
    int finished;
    int dirty; /* input was compressed since the last sync flush */
} djf_isal_stream;

/* Starts a member on compressor c (reset for streaming). Returns DJF_OK or DJF_EOVERFLOW
 * (name too long); never allocates. */
djf_status djf_isal_stream_start(djf_isal_stream *s, djf_isal *c, djf_gzip_name name);

/* Appends the member header to out unless already written. Returns DJF_OK, DJF_ENOMEM,
 * DJF_EOVERFLOW, or DJF_EINVAL after finish. */
djf_status djf_isal_stream_begin(djf_isal_stream *s, djf_buf *out);

/* Compresses in[0..n) with `mode` and appends the output (the header first, on the first
 * call) to out. A SYNC flush with nothing compressed since the previous one appends nothing
 * (ISA-L would write an empty stored block). FINISH appends the final block and the trailer;
 * afterwards the stream refuses input (DJF_EINVAL). Returns DJF_OK, DJF_ENOMEM, DJF_EOVERFLOW,
 * DJF_EINVAL or DJF_ELIB. Touches no Python object. */
djf_status djf_isal_stream_write(djf_isal_stream *s, const uint8_t *in, size_t n, djf_flush mode,
                                 djf_buf *out);

#endif
