/* djfast core: zstd content coding (RFC 8878) for HTTP responses. Pure C99, no Python.h.
 *
 * RFC 9659: a `zstd` content coding must be decodable with a window of at most 8 MB, so every
 * context this file sets up caps ZSTD_c_windowLog at DJF_ZSTD_MAX_WINDOW_LOG (23), whatever the
 * level. Whole bodies go through ZSTD_compress2; streams through ZSTD_compressStream2.
 */
#ifndef DJF_GZIP_ZSTD_H
#define DJF_GZIP_ZSTD_H

#include "buf.h"
#include "djf_common.h"
#include "gzip.h"

#include <stddef.h>
#include <stdint.h>

#define DJF_ZSTD_MAX_WINDOW_LOG 23

struct ZSTD_CCtx_s;

/* Returns a new context, or NULL when out of memory. Free with djf_zstd_free. */
struct ZSTD_CCtx_s *djf_zstd_new(void);

/* Frees a context (NULL is fine). Never fails. */
void djf_zstd_free(struct ZSTD_CCtx_s *cctx);

/* Resets `cctx` (session and parameters) to `level` with the window capped at 2^23.
 * Returns DJF_OK, or DJF_EINVAL for a level zstd refuses. */
djf_status djf_zstd_setup(struct ZSTD_CCtx_s *cctx, int level);

/* Returns DJF_OK and the worst-case frame size for n input bytes in *out, or DJF_EOVERFLOW. */
djf_status djf_zstd_bound(size_t n, size_t *out);

/* Compresses in[0..n) into one frame at dst (cap >= djf_zstd_bound) with a context prepared
 * by djf_zstd_setup. Returns DJF_OK and the size in *out_len, or DJF_ELIB. Touches no Python
 * object: may run with the GIL released. */
djf_status djf_zstd_compress(struct ZSTD_CCtx_s *cctx, const uint8_t *in, size_t n, uint8_t *dst,
                             size_t cap, size_t *out_len);

/* Streams in[0..n) through a prepared context, appending output to `out`: NONE lets zstd
 * buffer (ZSTD_e_continue), SYNC flushes (ZSTD_e_flush), FINISH ends the frame (ZSTD_e_end).
 * Returns DJF_OK, DJF_ENOMEM, DJF_EOVERFLOW or DJF_ELIB. Touches no Python object. */
djf_status djf_zstd_stream(struct ZSTD_CCtx_s *cctx, const uint8_t *in, size_t n, djf_flush mode,
                           djf_buf *out);

#endif
