/* djfast core: zstd content coding with the RFC 9659 window cap (see gzip_zstd.h). */
#include "gzip_zstd.h"

/* ZSTD_getCParams (the level's own window) is in the "static linking" section of zstd.h but
 * has kept its signature since zstd 1.0 and is exported by the shared library. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

struct ZSTD_CCtx_s *djf_zstd_new(void)
{
    return ZSTD_createCCtx();
}

void djf_zstd_free(struct ZSTD_CCtx_s *cctx)
{
    if (cctx != NULL) {
        ZSTD_freeCCtx(cctx);
    }
}

djf_status djf_zstd_setup(struct ZSTD_CCtx_s *cctx, int level)
{
    ZSTD_bounds lv = ZSTD_cParam_getBounds(ZSTD_c_compressionLevel);
    ZSTD_compressionParameters cp;

    if (level < lv.lowerBound || level > lv.upperBound) {
        return DJF_EINVAL;
    }
    if (ZSTD_isError(ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level))) {
        return DJF_EINVAL;
    }
    /* The level's window for an unknown size is the largest it will use; cap it (RFC 9659).
     * Levels whose window is already small keep their own (smaller) window. */
    cp = ZSTD_getCParams(level, 0, 0);
    if (cp.windowLog > DJF_ZSTD_MAX_WINDOW_LOG &&
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, DJF_ZSTD_MAX_WINDOW_LOG))) {
        return DJF_EINVAL;
    }
    return DJF_OK;
}

djf_status djf_zstd_bound(size_t n, size_t *out)
{
    size_t b = ZSTD_compressBound(n);

    if (ZSTD_isError(b) || b == 0 || b < n) {
        return DJF_EOVERFLOW;
    }
    *out = b;
    return DJF_OK;
}

djf_status djf_zstd_compress(struct ZSTD_CCtx_s *cctx, const uint8_t *in, size_t n, uint8_t *dst,
                             size_t cap, size_t *out_len)
{
    size_t r = ZSTD_compress2(cctx, dst, cap, in, n);

    if (ZSTD_isError(r)) {
        return DJF_ELIB;
    }
    *out_len = r;
    return DJF_OK;
}

djf_status djf_zstd_stream(struct ZSTD_CCtx_s *cctx, const uint8_t *in, size_t n, djf_flush mode,
                           djf_buf *out)
{
    ZSTD_EndDirective end = mode == DJF_FLUSH_FINISH ? ZSTD_e_end
                            : mode == DJF_FLUSH_SYNC ? ZSTD_e_flush
                                                     : ZSTD_e_continue;
    ZSTD_inBuffer ib = {in, n, 0};
    size_t chunk = ZSTD_CStreamOutSize();

    for (;;) {
        ZSTD_outBuffer ob;
        size_t remaining = 0;
        djf_status st = djf_buf_reserve(out, chunk);

        if (st != DJF_OK) {
            return st;
        }
        ob.dst = out->data + out->len;
        ob.size = out->cap - out->len;
        ob.pos = 0;
        remaining = ZSTD_compressStream2(cctx, &ob, &ib, end);
        out->len += ob.pos;
        if (ZSTD_isError(remaining)) {
            return DJF_ELIB;
        }
        if (end == ZSTD_e_continue) {
            if (ib.pos == ib.size) {
                return DJF_OK;
            }
        } else if (remaining == 0 && ib.pos == ib.size) {
            return DJF_OK;
        }
    }
}
