/* djfast._djfast: CompressStream, one gzip member, zstd frame or brotli stream per response.
 * gzip goes through zlib, or through ISA-L igzip with engine="isal".
 *
 * Small chunks are coalesced in `pending` until chunk_size input bytes, then compressed in one
 * call with the GIL released (flush_each: every chunk is compressed and sync-flushed at once,
 * for text/event-stream). A per-object lock, as in CPython's zlibmodule.c, keeps two threads
 * from touching the native state together; the GIL is released while waiting for it.
 */
#include "module.h"

#include "gzip.h"
#include "gzip_brotli.h"
#include "gzip_isal.h"
#include "gzip_zstd.h"

#include <pythread.h>

#define DJF_STREAM_GIL_THRESHOLD 16384

enum { ENC_GZIP = 0, ENC_ZSTD = 1, ENC_BR = 2, ENC_GZIP_ISAL = 3 };
enum { ST_OPEN = 0, ST_FINISHED = 1, ST_CLOSED = 2 };

typedef struct djf_stream {
    PyObject_HEAD PyThread_type_lock lock;
    djf_compress_state *cst; /* module state, for the zstd context pool */
    int encoding;
    int state;
    int flush_each;
    size_t chunk_size;
    djf_gzstream gz;
    struct ZSTD_CCtx_s *zc;
    djf_isal_stream isal; /* isal.c is borrowed from the module's ISA-L pool */
    djf_brstream br;
    djf_buf pending; /* coalesced input not yet compressed */
    djf_buf out;     /* output of the current call */
} djf_stream;

static void stream_lock(djf_stream *s)
{
    if (!PyThread_acquire_lock(s->lock, 0)) {
        /* another thread holds it (maybe compressing without the GIL): wait without the GIL */
        PyThreadState *ts = PyEval_SaveThread();
        PyThread_acquire_lock(s->lock, 1);
        PyEval_RestoreThread(ts);
    }
}

static void stream_unlock(djf_stream *s)
{
    PyThread_release_lock(s->lock);
}

/* Releases the native compressor and buffers (lock held or object unshared). Never fails. */
static void release_native(djf_stream *s)
{
    djf_gzstream_free(&s->gz);
    if (s->zc != NULL) {
        if (s->cst != NULL) {
            djf_compress_put_zstd(s->cst, s->zc);
        } else {
            djf_zstd_free(s->zc);
        }
        s->zc = NULL;
    }
    if (s->isal.c != NULL) {
        if (s->cst != NULL) {
            djf_compress_put_isal(s->cst, s->isal.c);
        } else {
            djf_isal_free(s->isal.c);
        }
        s->isal.c = NULL;
    }
    djf_brstream_free(&s->br);
    djf_buf_free(&s->pending);
    djf_buf_free(&s->out);
}

/* Returns a new CompressStream, or NULL with an exception set. */
static PyObject *stream_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"encoding",   "level",  "name_len", "chunk_size",
                             "flush_each", "engine", NULL};
    const char *encoding = NULL;
    const char *engine = "zlib";
    int level = 0;
    Py_ssize_t name_len = -1;
    Py_ssize_t chunk_size = 65536;
    int flush_each = 0;
    djf_stream *s = NULL;
    PyObject *res = NULL;
    djf_state *mst = NULL;
    djf_status rc = DJF_OK;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "si|$nnps:CompressStream", kwlist, &encoding,
                                     &level, &name_len, &chunk_size, &flush_each, &engine)) {
        return NULL;
    }
    if (chunk_size < 1) {
        PyErr_SetString(PyExc_ValueError, "chunk_size must be at least 1");
        return NULL;
    }
    if (name_len < -1 || name_len > PY_SSIZE_T_MAX / 4) {
        PyErr_SetString(PyExc_ValueError, "name_len must be -1 (no FNAME) or a length >= 0");
        return NULL;
    }
    mst = djf_state_from_type(type);
    if (mst == NULL) {
        return NULL;
    }
    s = (djf_stream *)type->tp_alloc(type, 0);
    if (s == NULL) {
        return NULL;
    }
    /* tp_alloc zeroes the object: every owned pointer starts NULL */
    s->cst = &mst->compress;
    s->flush_each = flush_each;
    s->chunk_size = (size_t)chunk_size;
    s->lock = PyThread_allocate_lock();
    if (s->lock == NULL) {
        PyErr_SetString(PyExc_MemoryError, "unable to allocate lock");
        goto done;
    }
    if (strcmp(engine, "zlib") != 0 && strcmp(engine, "isal") != 0) {
        PyErr_Format(PyExc_ValueError, "engine must be 'zlib' or 'isal', not '%.50s'", engine);
        goto done;
    }
    if (strcmp(encoding, "gzip") == 0 && strcmp(engine, "isal") == 0) {
        djf_gzip_name name = {name_len >= 0, name_len >= 0 ? (size_t)name_len : 0, 255};
        s->encoding = ENC_GZIP_ISAL;
        s->isal.c = djf_compress_take_isal(s->cst, level); /* ValueError for a bad level */
        if (s->isal.c == NULL) {
            goto done;
        }
        rc = djf_isal_stream_start(&s->isal, s->isal.c, name);
    } else if (strcmp(encoding, "br") == 0) {
        s->encoding = ENC_BR;
        rc = djf_brstream_init(&s->br, level);
        if (rc == DJF_EINVAL) {
            PyErr_Format(PyExc_ValueError, "brotli level must be between 0 and 11, not %d", level);
            goto done;
        }
    } else if (strcmp(encoding, "gzip") == 0) {
        /* GzipFile's header: OS 255 */
        djf_gzip_name name = {name_len >= 0, name_len >= 0 ? (size_t)name_len : 0, 255};
        s->encoding = ENC_GZIP;
        if (level < 1 || level > 9) {
            PyErr_Format(PyExc_ValueError, "gzip level must be between 1 and 9, not %d", level);
            goto done;
        }
        rc = djf_gzstream_init(&s->gz, level, name);
    } else if (strcmp(encoding, "zstd") == 0) {
        s->encoding = ENC_ZSTD;
        s->zc = djf_compress_take_zstd(s->cst);
        if (s->zc == NULL) {
            goto done;
        }
        rc = djf_zstd_setup(s->zc, level);
        if (rc == DJF_EINVAL) {
            PyErr_Format(PyExc_ValueError, "zstd level %d is out of range", level);
            goto done;
        }
    } else {
        PyErr_Format(PyExc_ValueError, "encoding must be 'gzip', 'zstd' or 'br', not '%.50s'",
                     encoding);
        goto done;
    }
    if (rc != DJF_OK) {
        djf_raise_status(rc, "CompressStream");
        goto done;
    }
    res = (PyObject *)s;
    s = NULL;
done:
    Py_XDECREF(s);
    return res;
}

static void stream_dealloc(djf_stream *s)
{
    PyTypeObject *tp = Py_TYPE(s);

    release_native(s);
    if (s->lock != NULL) {
        PyThread_free_lock(s->lock);
        s->lock = NULL;
    }
    tp->tp_free((PyObject *)s);
    Py_DECREF(tp);
}

/* Compresses in[0..n) in `mode` into s->out (lock held, GIL held or not). */
static djf_status run_codec(djf_stream *s, const uint8_t *in, size_t n, djf_flush mode)
{
    if (s->encoding == ENC_GZIP) {
        return djf_gzstream_write(&s->gz, in, n, mode, &s->out);
    }
    if (s->encoding == ENC_GZIP_ISAL) {
        return djf_isal_stream_write(&s->isal, in, n, mode, &s->out);
    }
    if (s->encoding == ENC_BR) {
        return djf_brstream_write(&s->br, in, n, mode, &s->out);
    }
    return djf_zstd_stream(s->zc, in, n, mode, &s->out);
}

/* Compresses pending input, then in[0..n), the last with `mode`. Lock held, GIL held on entry
 * and exit. Returns DJF_OK or a core status. */
static djf_status compress_all(djf_stream *s, const uint8_t *in, size_t n, djf_flush mode)
{
    djf_status rc = DJF_OK;
    int had_pending = s->pending.len > 0;
    int release = s->pending.len + n >= DJF_STREAM_GIL_THRESHOLD;
    PyThreadState *ts = release ? PyEval_SaveThread() : NULL;

    if (had_pending) {
        rc = run_codec(s, (const uint8_t *)s->pending.data, s->pending.len,
                       n > 0 ? DJF_FLUSH_NONE : mode);
        djf_buf_clear(&s->pending);
    }
    if (rc == DJF_OK && (n > 0 || (!had_pending && mode != DJF_FLUSH_NONE))) {
        rc = run_codec(s, in, n, mode);
    }
    if (ts != NULL) {
        PyEval_RestoreThread(ts);
    }
    return rc;
}

/* Takes the output gathered in s->out as a new bytes object, or NULL with an exception set.
 * The input behind that output is already consumed, so a failure closes the stream: going on
 * would send a member/frame with a hole in it. Lock held. */
static PyObject *take_output(djf_stream *s)
{
    PyObject *res = PyBytes_FromStringAndSize(s->out.data, (Py_ssize_t)s->out.len);

    djf_buf_clear(&s->out);
    if (res == NULL) {
        s->state = ST_CLOSED;
        release_native(s);
    }
    return res;
}

/* Returns 0 when the stream can be used, or -1 with ValueError. */
static int check_open(djf_stream *s)
{
    if (s->state == ST_OPEN) {
        return 0;
    }
    PyErr_SetString(PyExc_ValueError, s->state == ST_FINISHED ? "compress stream already finished"
                                                              : "compress stream is closed");
    return -1;
}

/* A core failure leaves the codec mid-stream: close the stream and raise. Returns NULL. */
static PyObject *fail(djf_stream *s, djf_status rc)
{
    s->state = ST_CLOSED;
    release_native(s);
    djf_raise_status(rc, "CompressStream");
    return NULL;
}

PyDoc_STRVAR(stream_compress_doc,
             "compress(data, /) -> bytes\n\n"
             "Feed one chunk; returns the compressed bytes ready to send (often b'' while\n"
             "small chunks are being coalesced).");

static PyObject *stream_compress(djf_stream *s, PyObject *data)
{
    Py_buffer view = {0};
    PyObject *res = NULL;
    djf_status rc = DJF_OK;
    size_t n = 0;

    if (PyUnicode_Check(data)) {
        PyErr_SetString(PyExc_TypeError, "data must be a bytes-like object, not str");
        return NULL;
    }
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    n = (size_t)view.len;
    stream_lock(s);
    if (check_open(s) < 0) {
        goto done;
    }
    if (!s->flush_each && s->pending.len + n < s->chunk_size) {
        rc = djf_buf_append(&s->pending, view.buf, n);
        if (rc != DJF_OK) {
            fail(s, rc);
            goto done;
        }
        res = PyBytes_FromStringAndSize(NULL, 0);
        goto done;
    }
    if (n == 0) { /* flush_each and an empty chunk: nothing to send */
        res = PyBytes_FromStringAndSize(NULL, 0);
        goto done;
    }
    rc = compress_all(s, view.buf, n, s->flush_each ? DJF_FLUSH_SYNC : DJF_FLUSH_NONE);
    if (rc != DJF_OK) {
        fail(s, rc);
        goto done;
    }
    res = take_output(s);
done:
    stream_unlock(s);
    PyBuffer_Release(&view);
    return res;
}

PyDoc_STRVAR(stream_begin_doc,
             "begin() -> bytes\n\nThe bytes that open the stream, to send before any input: the\n"
             "gzip header (once; b'' afterwards), b'' for zstd (its frame header comes with the\n"
             "first block).");

static PyObject *stream_begin(djf_stream *s, PyObject *Py_UNUSED(ignored))
{
    PyObject *res = NULL;
    djf_status rc = DJF_OK;

    stream_lock(s);
    if (check_open(s) < 0) {
        goto done;
    }
    if (s->encoding == ENC_GZIP || s->encoding == ENC_GZIP_ISAL) {
        rc = s->encoding == ENC_GZIP ? djf_gzstream_begin(&s->gz, &s->out)
                                     : djf_isal_stream_begin(&s->isal, &s->out);
        if (rc != DJF_OK) {
            fail(s, rc);
            goto done;
        }
    }
    res = take_output(s);
done:
    stream_unlock(s);
    return res;
}

PyDoc_STRVAR(stream_flush_doc,
             "flush() -> bytes\n\nCompress what is pending and sync-flush: the client can\n"
             "decode everything fed so far.");

/* Compresses what is pending with `mode` (a sync flush, or the end of the member/frame) and
 * returns the output; returns a new bytes object, or NULL with an exception set. */
static PyObject *stream_drain(djf_stream *s, djf_flush mode)
{
    PyObject *res = NULL;
    djf_status rc = DJF_OK;

    stream_lock(s);
    if (check_open(s) < 0) {
        goto done;
    }
    rc = compress_all(s, NULL, 0, mode);
    if (rc != DJF_OK) {
        fail(s, rc);
        goto done;
    }
    res = take_output(s);
    if (res != NULL && mode == DJF_FLUSH_FINISH) {
        s->state = ST_FINISHED;
        release_native(s);
    }
done:
    stream_unlock(s);
    return res;
}

static PyObject *stream_flush(djf_stream *s, PyObject *Py_UNUSED(ignored))
{
    return stream_drain(s, DJF_FLUSH_SYNC);
}

PyDoc_STRVAR(stream_finish_doc,
             "finish() -> bytes\n\nCompress what is pending and end the gzip member (trailer)\n"
             "or zstd frame. The stream cannot be fed afterwards.");

static PyObject *stream_finish(djf_stream *s, PyObject *Py_UNUSED(ignored))
{
    return stream_drain(s, DJF_FLUSH_FINISH);
}

PyDoc_STRVAR(stream_close_doc,
             "close() -> None\n\nRelease the compressor now (a client went away). Idempotent.");

static PyObject *stream_close(djf_stream *s, PyObject *Py_UNUSED(ignored))
{
    stream_lock(s);
    if (s->state == ST_OPEN) {
        s->state = ST_CLOSED;
    }
    release_native(s);
    stream_unlock(s);
    Py_RETURN_NONE;
}

static PyObject *stream_get_closed(djf_stream *s, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(s->state != ST_OPEN);
}

static PyObject *stream_get_encoding(djf_stream *s, void *Py_UNUSED(closure))
{
    static const char *const names[] = {"gzip", "zstd", "br", "gzip"};

    return PyUnicode_FromString(names[s->encoding]);
}

static PyMethodDef stream_methods[] = {
    {"compress", (PyCFunction)stream_compress, METH_O, stream_compress_doc},
    {"begin", (PyCFunction)stream_begin, METH_NOARGS, stream_begin_doc},
    {"flush", (PyCFunction)stream_flush, METH_NOARGS, stream_flush_doc},
    {"finish", (PyCFunction)stream_finish, METH_NOARGS, stream_finish_doc},
    {"close", (PyCFunction)stream_close, METH_NOARGS, stream_close_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef stream_getset[] = {
    {"closed", (getter)stream_get_closed, NULL, "True once finished or closed.", NULL},
    {"encoding", (getter)stream_get_encoding, NULL, "'gzip', 'zstd' or 'br'.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(stream_doc,
             "CompressStream(encoding, level, *, name_len=-1, chunk_size=65536, "
             "flush_each=False, engine='zlib')\n\n"
             "One gzip member (zlib deflate stream, or ISA-L igzip with engine='isal' and\n"
             "level 0-3; name_len as in gzip_compress), one zstd frame (window <= 8 MB) or one\n"
             "brotli stream ('br', level 0-11) fed chunk by chunk. Safe to share between threads.");

static PyType_Slot stream_slots[] = {
    {Py_tp_new, stream_new},       {Py_tp_dealloc, stream_dealloc}, {Py_tp_methods, stream_methods},
    {Py_tp_getset, stream_getset}, {Py_tp_doc, (void *)stream_doc}, {0, NULL},
};

static PyType_Spec stream_spec = {
    .name = "djfast._djfast.CompressStream",
    .basicsize = sizeof(djf_stream),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = stream_slots,
};

int djf_compress_stream_exec(PyObject *module, djf_compress_state *st)
{
    st->stream_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &stream_spec, NULL);
    if (st->stream_type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, st->stream_type);
}
