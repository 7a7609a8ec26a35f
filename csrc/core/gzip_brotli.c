/* djfast core: brotli content coding (see gzip_brotli.h). */
#include "gzip_brotli.h"

#include <brotli/encode.h>

djf_status djf_brotli_bound(size_t n, size_t *out)
{
    /* brotli's own bound is only promised for quality >= 2; one-shot compression of a lower
     * quality falls back to uncompressed meta-blocks when it would not fit (that bound) */
    size_t b = BrotliEncoderMaxCompressedSize(n);

    if (b == 0 || b < n) {
        return DJF_EOVERFLOW;
    }
    *out = b;
    return DJF_OK;
}

djf_status djf_brotli_compress(int level, const uint8_t *in, size_t n, uint8_t *dst, size_t cap,
                               size_t *out_len)
{
    size_t size = cap;

    if (level < DJF_BROTLI_MIN_LEVEL || level > DJF_BROTLI_MAX_LEVEL) {
        return DJF_EINVAL;
    }
    if (!BrotliEncoderCompress(level, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, n, in, &size,
                               dst)) {
        return DJF_ELIB;
    }
    *out_len = size;
    return DJF_OK;
}

djf_status djf_brstream_init(djf_brstream *s, int level)
{
    BrotliEncoderState *enc = NULL;

    s->enc = NULL;
    s->dirty = 0;
    s->finished = 0;
    if (level < DJF_BROTLI_MIN_LEVEL || level > DJF_BROTLI_MAX_LEVEL) {
        return DJF_EINVAL;
    }
    enc = BrotliEncoderCreateInstance(NULL, NULL, NULL);
    if (enc == NULL) {
        return DJF_ENOMEM;
    }
    if (!BrotliEncoderSetParameter(enc, BROTLI_PARAM_QUALITY, (uint32_t)level) ||
        !BrotliEncoderSetParameter(enc, BROTLI_PARAM_LGWIN, BROTLI_DEFAULT_WINDOW)) {
        BrotliEncoderDestroyInstance(enc);
        return DJF_EINVAL;
    }
    s->enc = enc;
    return DJF_OK;
}

djf_status djf_brstream_write(djf_brstream *s, const uint8_t *in, size_t n, djf_flush mode,
                              djf_buf *out)
{
    BrotliEncoderState *enc = s->enc;
    BrotliEncoderOperation op = mode == DJF_FLUSH_FINISH ? BROTLI_OPERATION_FINISH
                                : mode == DJF_FLUSH_SYNC ? BROTLI_OPERATION_FLUSH
                                                         : BROTLI_OPERATION_PROCESS;
    const uint8_t *next_in = in;
    size_t avail_in = n;

    if (enc == NULL || s->finished || (int)mode < 0 || (int)mode > 2) {
        return DJF_EINVAL;
    }
    if (n == 0 && (mode == DJF_FLUSH_NONE || (mode == DJF_FLUSH_SYNC && !s->dirty))) {
        return DJF_OK; /* nothing new to send */
    }
    for (;;) {
        size_t want = n / 2 + 4096;
        size_t room = 0;
        size_t avail_out = 0;
        uint8_t *next_out = NULL;
        djf_status st = djf_buf_reserve(out, want);

        if (st != DJF_OK) {
            s->finished = 1;
            return st;
        }
        room = out->cap - out->len;
        avail_out = room;
        next_out = (uint8_t *)out->data + out->len;
        if (!BrotliEncoderCompressStream(enc, op, &avail_in, &next_in, &avail_out, &next_out,
                                         NULL)) {
            s->finished = 1;
            return DJF_ELIB;
        }
        out->len += room - avail_out;
        if (op == BROTLI_OPERATION_FINISH) {
            if (BrotliEncoderIsFinished(enc)) {
                break;
            }
        } else if (avail_in == 0 && !BrotliEncoderHasMoreOutput(enc)) {
            break;
        }
    }
    s->dirty = mode == DJF_FLUSH_NONE && (n > 0 || s->dirty);
    if (mode == DJF_FLUSH_FINISH) {
        s->finished = 1;
    }
    return DJF_OK;
}

void djf_brstream_free(djf_brstream *s)
{
    if (s->enc != NULL) {
        BrotliEncoderDestroyInstance((BrotliEncoderState *)s->enc);
        s->enc = NULL;
    }
}
