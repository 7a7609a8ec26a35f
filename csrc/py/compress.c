/* djfast._djfast: compress binding, whole bodies (see compress.h). */
#include "module.h"

#include "gzip.h"
#include "gzip_zstd.h"

#include <libdeflate.h>
#include <limits.h>
#include <zstd.h>

int djf_compress_get_view(PyObject *obj, Py_buffer *view, const char *what)
{
    if (PyUnicode_Check(obj) || !PyObject_CheckBuffer(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a bytes-like object, not %.100s", what,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    return PyObject_GetBuffer(obj, view, PyBUF_SIMPLE);
}

int djf_compress_get_int(PyObject *obj, long lo, long hi, const char *what, long *out)
{
    long v;

    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", what, Py_TYPE(obj)->tp_name);
        return -1;
    }
    v = PyLong_AsLong(obj);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (v < lo || v > hi) {
        PyErr_Format(PyExc_ValueError, "%s must be between %ld and %ld, not %ld", what, lo, hi, v);
        return -1;
    }
    *out = v;
    return 0;
}

PyObject *djf_compress_to_bytes(djf_compress_fn fn, void *ctx, const Py_buffer *view, size_t bound,
                                Py_ssize_t nogil_min, const char *what)
{
    PyObject *out = NULL;
    PyObject *res = NULL;
    size_t len = 0;
    djf_status rc = DJF_OK;

    if (bound > (size_t)PY_SSIZE_T_MAX) {
        djf_raise_status(DJF_EOVERFLOW, what);
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)bound);
    if (out == NULL) {
        goto done;
    }
    {
        /* release the GIL for long work only: the output buffer is already allocated */
        PyThreadState *ts = view->len >= nogil_min ? PyEval_SaveThread() : NULL;
        rc = fn(ctx, view->buf, (size_t)view->len, (uint8_t *)PyBytes_AS_STRING(out), bound, &len);
        if (ts != NULL) {
            PyEval_RestoreThread(ts);
        }
    }
    if (rc != DJF_OK) {
        djf_raise_status(rc, what);
        goto done;
    }
    if (_PyBytes_Resize(&out, (Py_ssize_t)len) < 0) {
        goto done; /* out was freed and set to NULL */
    }
    res = out;
    out = NULL;
done:
    Py_XDECREF(out);
    return res;
}

/* Returns a compressor for `level` from the pool or a new one, or NULL with an exception. */
static struct libdeflate_compressor *take_deflate(djf_compress_state *st, int level)
{
    struct libdeflate_compressor *c = NULL;
    int i;

    for (i = st->n_deflate - 1; i >= 0; i--) {
        if (st->deflate_level[i] == level) {
            c = st->deflate_pool[i];
            st->n_deflate--;
            st->deflate_pool[i] = st->deflate_pool[st->n_deflate];
            st->deflate_level[i] = st->deflate_level[st->n_deflate];
            st->deflate_pool[st->n_deflate] = NULL;
            return c;
        }
    }
    c = libdeflate_alloc_compressor(level);
    if (c == NULL) {
        PyErr_NoMemory();
    }
    return c;
}

/* Gives a compressor back to the pool. When the pool is full, the oldest entry is freed
 * instead: a pool full of other levels must not make every call of a new level allocate
 * (and free) a compressor. Never fails. */
static void put_deflate(djf_compress_state *st, struct libdeflate_compressor *c, int level)
{
    if (st->n_deflate == DJF_COMPRESS_POOL) {
        int i;

        libdeflate_free_compressor(st->deflate_pool[0]);
        for (i = 1; i < DJF_COMPRESS_POOL; i++) {
            st->deflate_pool[i - 1] = st->deflate_pool[i];
            st->deflate_level[i - 1] = st->deflate_level[i];
        }
        st->n_deflate--;
    }
    st->deflate_pool[st->n_deflate] = c;
    st->deflate_level[st->n_deflate] = level;
    st->n_deflate++;
}

struct libdeflate_compressor *djf_compress_take_deflate(djf_compress_state *st, int level)
{
    return take_deflate(st, level);
}

void djf_compress_put_deflate(djf_compress_state *st, struct libdeflate_compressor *c, int level)
{
    put_deflate(st, c, level);
}

struct ZSTD_CCtx_s *djf_compress_take_zstd(djf_compress_state *st)
{
    struct ZSTD_CCtx_s *c = NULL;

    if (st->n_zstd > 0) {
        st->n_zstd--;
        c = st->zstd_pool[st->n_zstd];
        st->zstd_pool[st->n_zstd] = NULL;
        return c;
    }
    c = djf_zstd_new();
    if (c == NULL) {
        PyErr_NoMemory();
    }
    return c;
}

void djf_compress_put_zstd(djf_compress_state *st, struct ZSTD_CCtx_s *cctx)
{
    if (cctx == NULL) {
        return;
    }
    if (st->n_zstd < DJF_COMPRESS_POOL) {
        st->zstd_pool[st->n_zstd++] = cctx;
        return;
    }
    djf_zstd_free(cctx);
}

PyDoc_STRVAR(
    gzip_compress_doc,
    "gzip_compress(data, level, name_len, os, /) -> bytes\n\n"
    "One gzip member of `data` (libdeflate, mtime 0, OS byte `os`). name_len -1 writes no\n"
    "FNAME field; name_len >= 0 sets FNAME with name_len bytes b'a' and a NUL, as\n"
    "Django's compress_string pads against BREACH.");

typedef struct gzip_job {
    struct libdeflate_compressor *c;
    int level;
    djf_gzip_name name;
} gzip_job;

static djf_status gzip_run(void *ctx, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                           size_t *len)
{
    gzip_job *job = ctx;

    return djf_gzip_compress(job->c, job->level, job->name, in, n, out, cap, len);
}

/* Returns a new bytes object, or NULL with an exception set. */
static PyObject *gzip_compress(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    djf_compress_state *st = &djf_get_state(module)->compress;
    gzip_job job = {NULL, 0, {0, 0, 0}};
    Py_buffer view = {0};
    PyObject *res = NULL;
    long level = 0;
    long name_len = 0;
    long os = 0;
    size_t bound = 0;
    djf_status rc = DJF_OK;

    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "gzip_compress() takes 4 arguments (%zd given)", nargs);
        return NULL;
    }
    if (djf_compress_get_int(args[1], 1, 12, "level", &level) < 0 ||
        djf_compress_get_int(args[2], -1, LONG_MAX / 4, "name_len", &name_len) < 0 ||
        djf_compress_get_int(args[3], 0, 255, "os", &os) < 0 ||
        djf_compress_get_view(args[0], &view, "data") < 0) {
        return NULL;
    }
    job.level = (int)level;
    job.name.fname = name_len >= 0;
    job.name.name_len = name_len >= 0 ? (size_t)name_len : 0;
    job.name.os = (uint8_t)os;
    job.c = take_deflate(st, job.level);
    if (job.c == NULL) {
        goto done;
    }
    rc = djf_gzip_bound(job.c, job.name, (size_t)view.len, &bound);
    if (rc != DJF_OK) {
        djf_raise_status(rc, "gzip_compress");
        goto done;
    }
    res = djf_compress_to_bytes(gzip_run, &job, &view, bound, DJF_GIL_THRESHOLD, "gzip_compress");
done:
    if (job.c != NULL) {
        put_deflate(st, job.c, job.level);
    }
    PyBuffer_Release(&view);
    return res;
}

PyDoc_STRVAR(zstd_compress_doc,
             "zstd_compress(data, level, /) -> bytes\n\n"
             "One zstd frame of `data` (ZSTD_compress2), window capped at 8 MB (RFC 9659).");

static djf_status zstd_run(void *ctx, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                           size_t *len)
{
    return djf_zstd_compress(ctx, in, n, out, cap, len);
}

/* Returns a new bytes object, or NULL with an exception set. */
static PyObject *zstd_compress(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    djf_compress_state *st = &djf_get_state(module)->compress;
    struct ZSTD_CCtx_s *c = NULL;
    Py_buffer view = {0};
    PyObject *res = NULL;
    long level = 0;
    size_t bound = 0;
    djf_status rc = DJF_OK;

    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "zstd_compress() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    if (djf_compress_get_int(args[1], ZSTD_minCLevel(), ZSTD_maxCLevel(), "level", &level) < 0 ||
        djf_compress_get_view(args[0], &view, "data") < 0) {
        return NULL;
    }
    c = djf_compress_take_zstd(st);
    if (c == NULL) {
        goto done;
    }
    rc = djf_zstd_setup(c, (int)level);
    if (rc == DJF_OK) {
        rc = djf_zstd_bound((size_t)view.len, &bound);
    }
    if (rc != DJF_OK) {
        djf_raise_status(rc, "zstd_compress");
        goto done;
    }
    res = djf_compress_to_bytes(zstd_run, c, &view, bound, DJF_GIL_THRESHOLD, "zstd_compress");
done:
    djf_compress_put_zstd(st, c);
    PyBuffer_Release(&view);
    return res;
}

static PyMethodDef compress_methods[] = {
    {"gzip_compress", (PyCFunction)(void (*)(void))gzip_compress, METH_FASTCALL, gzip_compress_doc},
    {"zstd_compress", (PyCFunction)(void (*)(void))zstd_compress, METH_FASTCALL, zstd_compress_doc},
    {NULL, NULL, 0, NULL},
};

int djf_compress_exec(PyObject *module, struct djf_state *st)
{
    if (PyModule_AddFunctions(module, compress_methods) < 0) {
        return -1;
    }
    if (PyModule_AddIntConstant(module, "ZSTD_MAX_WINDOW_LOG", DJF_ZSTD_MAX_WINDOW_LOG) < 0) {
        return -1;
    }
    if (djf_compress_engines_exec(module, &st->compress) < 0 ||
        djf_compress_cache_exec(module, &st->compress) < 0) {
        return -1;
    }
    return djf_compress_stream_exec(module, &st->compress);
}

int djf_compress_traverse(djf_compress_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->stream_type);
    Py_VISIT(st->body_cache_type);
    return 0;
}

void djf_compress_clear(djf_compress_state *st)
{
    int i;

    Py_CLEAR(st->stream_type);
    Py_CLEAR(st->body_cache_type);
    for (i = 0; i < st->n_deflate; i++) {
        libdeflate_free_compressor(st->deflate_pool[i]);
        st->deflate_pool[i] = NULL;
    }
    st->n_deflate = 0;
    for (i = 0; i < st->n_zstd; i++) {
        djf_zstd_free(st->zstd_pool[i]);
        st->zstd_pool[i] = NULL;
    }
    st->n_zstd = 0;
    djf_compress_engines_clear(st);
}
