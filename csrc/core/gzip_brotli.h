/* djfast core: brotli content coding (RFC 7932, `br`) for HTTP responses. Pure C99, no
 * Python.h.
 *
 * Whole bodies go through BrotliEncoderCompress (one call); streams through
 * BrotliEncoderCompressStream on one encoder per response. The window is brotli's default
 * (2^22 = 4 MB), which every browser decodes.
 */
#ifndef DJF_GZIP_BROTLI_H
#define DJF_GZIP_BROTLI_H

#include "buf.h"
#include "djf_common.h"
#include "gzip.h"

#include <stddef.h>
#include <stdint.h>

#define DJF_BROTLI_MIN_LEVEL 0
#define DJF_BROTLI_MAX_LEVEL 11

/* Returns DJF_OK and the worst-case stream size for n input bytes in *out, or DJF_EOVERFLOW. */
djf_status djf_brotli_bound(size_t n, size_t *out);

/* Compresses in[0..n) at quality `level` (0..11) into one brotli stream at dst (cap >=
 * djf_brotli_bound). Returns DJF_OK and the size in *out_len, DJF_EINVAL for a bad level, or
 * DJF_ELIB (out of memory inside brotli included). Touches no Python object. */
djf_status djf_brotli_compress(int level, const uint8_t *in, size_t n, uint8_t *dst, size_t cap,
                               size_t *out_len);

typedef struct djf_brstream {
    void *enc; /* BrotliEncoderState *; NULL before init and after free */
    int dirty; /* input was taken since the last flush */
    int finished;
} djf_brstream;

/* Prepares a stream at quality `level`. Returns DJF_OK, DJF_EINVAL or DJF_ENOMEM; on failure
 * the stream holds nothing. */
djf_status djf_brstream_init(djf_brstream *s, int level);

/* Compresses in[0..n) and appends the output to out: NONE lets brotli buffer, SYNC flushes
 * (the client can decode everything so far; nothing is appended when nothing was added since
 * the previous flush), FINISH ends the stream (then only djf_brstream_free is allowed:
 * DJF_EINVAL). Returns DJF_OK, DJF_ENOMEM, DJF_EOVERFLOW, DJF_EINVAL or DJF_ELIB. Touches no
 * Python object. */
djf_status djf_brstream_write(djf_brstream *s, const uint8_t *in, size_t n, djf_flush mode,
                              djf_buf *out);

/* Releases the encoder; safe to call twice or after a failed init. Never fails. */
void djf_brstream_free(djf_brstream *s);

#endif
