/* djfast._djfast: compress binding (see module.h for the contract).
 *
 * compress.c:        gzip_compress / zstd_compress (whole bodies, one C call, GIL released for
 *                    large inputs) and pools of reusable compressors kept in module state.
 * compress_stream.c: the CompressStream heap type (one gzip member or one zstd frame per
 *                    response, coalescing small chunks), with a per-object lock.
 */
#ifndef DJF_PY_COMPRESS_H
#define DJF_PY_COMPRESS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "djf_common.h"

#include <stddef.h>
#include <stdint.h>

struct djf_state;
struct libdeflate_compressor;
struct ZSTD_CCtx_s;
struct djf_isal;

#define DJF_COMPRESS_POOL 8

/* Compressors are expensive to create (hundreds of KB of tables) and not thread-safe, so
 * each call borrows one from these pools (taken and returned while holding the GIL) and uses
 * it with the GIL released. */
typedef struct djf_compress_state {
    PyTypeObject *stream_type; /* CompressStream */
    struct libdeflate_compressor *deflate_pool[DJF_COMPRESS_POOL];
    int deflate_level[DJF_COMPRESS_POOL];
    int n_deflate;
    struct ZSTD_CCtx_s *zstd_pool[DJF_COMPRESS_POOL];
    int n_zstd;
    struct djf_isal *isal_pool[DJF_COMPRESS_POOL]; /* ISA-L compressors (compress_engines.c) */
    int n_isal;
    PyTypeObject *body_cache_type; /* BodyCache (compress_cache.c) */
} djf_compress_state;

/* What every whole-body function (gzip/zstd/isal/brotli_compress) shares.
 * get_view: 0 and a C-contiguous view of obj, or -1 with an exception set (a TypeError naming
 * `what` for a non-buffer, the exporter's own, e.g. BufferError, otherwise).
 * get_int: 0 and the int in *out, or -1 with an exception set (TypeError, or ValueError when
 * outside lo..hi, naming `what`).
 * to_bytes: runs fn(ctx, input, output of `bound` bytes) into a new bytes object, the GIL
 * released for inputs of nogil_min bytes or more (fn touches no Python object), and returns it
 * trimmed to the length written, or NULL with an exception set (named `what`). */
typedef djf_status (*djf_compress_fn)(void *ctx, const uint8_t *in, size_t n, uint8_t *out,
                                      size_t cap, size_t *len);
int djf_compress_get_view(PyObject *obj, Py_buffer *view, const char *what);
int djf_compress_get_int(PyObject *obj, long lo, long hi, const char *what, long *out);
PyObject *djf_compress_to_bytes(djf_compress_fn fn, void *ctx, const Py_buffer *view, size_t bound,
                                Py_ssize_t nogil_min, const char *what);
#define DJF_GIL_THRESHOLD 16384 /* libdeflate, zstd, brotli: below this the GIL is kept */
/* ISA-L level 1 compresses about 1 GB/s: 112 KB takes ~0.1 ms. Releasing the GIL for work that
 * short costs more than it gives under threaded servers: the thread must then wait for the GIL
 * back, up to the interpreter's 5 ms switch interval while another thread runs Python (measured
 * end to end: gunicorn gthread, unique 112 KB pages, 798 req/s releasing at 16 KB, 1,872 req/s
 * at 1 MiB). Released from 1 MiB, about a millisecond of work. */
#define DJF_ISAL_GIL_THRESHOLD (1 << 20)

/* Returns 0, or -1 with an exception set. */
int djf_compress_exec(PyObject *module, struct djf_state *st);
int djf_compress_traverse(djf_compress_state *st, visitproc visit, void *arg);
void djf_compress_clear(djf_compress_state *st);

/* Borrow / give back a zstd context (GIL held). Returns NULL with an exception set on failure;
 * djf_compress_put_zstd frees the context when the pool is full. */
struct ZSTD_CCtx_s *djf_compress_take_zstd(djf_compress_state *st);
void djf_compress_put_zstd(djf_compress_state *st, struct ZSTD_CCtx_s *cctx);

/* compress_engines.c: isal_compress and brotli_compress, and the ISA-L pool. Borrow / give
 * back an ISA-L compressor for `level` (GIL held): take returns NULL with an exception set;
 * put frees it when the pool is full (NULL is fine). exec returns 0, or -1 with an exception
 * set; clear frees the pool. */
struct djf_isal *djf_compress_take_isal(djf_compress_state *st, int level);
void djf_compress_put_isal(djf_compress_state *st, struct djf_isal *c);
int djf_compress_engines_exec(PyObject *module, djf_compress_state *st);
void djf_compress_engines_clear(djf_compress_state *st);
/* Borrow / give back a libdeflate compressor for `level` (GIL held). Returns NULL with an
 * exception set on failure; djf_compress_put_deflate frees it when the pool is full. */
struct libdeflate_compressor *djf_compress_take_deflate(djf_compress_state *st, int level);
void djf_compress_put_deflate(djf_compress_state *st, struct libdeflate_compressor *c, int level);

/* compress_cache.c: adds BodyCache. Returns 0, or -1 with an exception set. */
int djf_compress_cache_exec(PyObject *module, djf_compress_state *st);

/* compress_stream.c: adds CompressStream. Returns 0, or -1 with an exception set. */
int djf_compress_stream_exec(PyObject *module, djf_compress_state *st);

#endif
