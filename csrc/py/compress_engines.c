/* djfast._djfast: the other compression engines for whole bodies (see compress.h):
 * isal_compress (gzip members through ISA-L igzip, levels 0-3) and brotli_compress (`br`).
 * ISA-L compressors are pooled in module state like the libdeflate ones; brotli's one-shot
 * call keeps no state between calls.
 */
#include "module.h"

#include "gzip.h"
#include "gzip_brotli.h"
#include "gzip_isal.h"

#include <limits.h>

/* Below this many input bytes the work is too short to pay for releasing the GIL. */
#define DJF_ENGINE_GIL_THRESHOLD 16384

/* Returns 0 and a C-contiguous view of obj in *view, or -1 with an exception set. */
static int get_view(PyObject *obj, Py_buffer *view)
{
    if (PyUnicode_Check(obj) || !PyObject_CheckBuffer(obj)) {
        PyErr_Format(PyExc_TypeError, "data must be a bytes-like object, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    return PyObject_GetBuffer(obj, view, PyBUF_SIMPLE);
}

/* Returns 0 and the int in *out, or -1 with an exception set (range lo..hi, named). */
static int get_int_in(PyObject *obj, long lo, long hi, const char *what, long *out)
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

struct djf_isal *djf_compress_take_isal(djf_compress_state *st, int level)
{
    djf_isal *c = NULL;
    djf_status rc = DJF_OK;
    int i;

    for (i = st->n_isal - 1; i >= 0; i--) {
        if (st->isal_pool[i]->level == level) {
            c = st->isal_pool[i];
            st->n_isal--;
            st->isal_pool[i] = st->isal_pool[st->n_isal];
            st->isal_pool[st->n_isal] = NULL;
            return c;
        }
    }
    rc = djf_isal_new(level, &c);
    if (rc == DJF_EINVAL) {
        PyErr_Format(PyExc_ValueError, "ISA-L level must be between %d and %d, not %d",
                     DJF_ISAL_MIN_LEVEL, DJF_ISAL_MAX_LEVEL, level);
        return NULL;
    }
    if (rc != DJF_OK) {
        PyErr_NoMemory();
        return NULL;
    }
    return c;
}

void djf_compress_put_isal(djf_compress_state *st, struct djf_isal *c)
{
    if (c == NULL) {
        return;
    }
    if (st->n_isal < DJF_COMPRESS_POOL) {
        st->isal_pool[st->n_isal++] = c;
        return;
    }
    djf_isal_free(c);
}

PyDoc_STRVAR(isal_compress_doc,
             "isal_compress(data, level, name_len, os, /) -> bytes\n\n"
             "One gzip member of `data` through ISA-L igzip (level 0-3, mtime 0, OS byte `os`).\n"
             "name_len as in gzip_compress: -1 writes no FNAME field, >= 0 pads with b'a'.");

/* Returns a new bytes object, or NULL with an exception set. */
static PyObject *isal_compress(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    djf_compress_state *st = &djf_get_state(module)->compress;
    djf_isal *c = NULL;
    Py_buffer view = {0};
    PyObject *out = NULL;
    PyObject *res = NULL;
    long level = 0;
    long name_len = 0;
    long os = 0;
    djf_gzip_name name = {0, 0, 0};
    size_t bound = 0;
    size_t len = 0;
    djf_status rc = DJF_OK;

    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "isal_compress() takes 4 arguments (%zd given)", nargs);
        return NULL;
    }
    if (get_int_in(args[1], DJF_ISAL_MIN_LEVEL, DJF_ISAL_MAX_LEVEL, "level", &level) < 0 ||
        get_int_in(args[2], -1, LONG_MAX / 4, "name_len", &name_len) < 0 ||
        get_int_in(args[3], 0, 255, "os", &os) < 0 || get_view(args[0], &view) < 0) {
        return NULL;
    }
    name.fname = name_len >= 0;
    name.name_len = name_len >= 0 ? (size_t)name_len : 0;
    name.os = (uint8_t)os;
    c = djf_compress_take_isal(st, (int)level);
    if (c == NULL) {
        goto done;
    }
    rc = djf_isal_bound(name, (size_t)view.len, &bound);
    if (rc != DJF_OK || bound > (size_t)PY_SSIZE_T_MAX) {
        djf_raise_status(rc != DJF_OK ? rc : DJF_EOVERFLOW, "isal_compress");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)bound);
    if (out == NULL) {
        goto done;
    }
    {
        PyThreadState *ts = view.len >= DJF_ENGINE_GIL_THRESHOLD ? PyEval_SaveThread() : NULL;
        rc = djf_isal_compress(c, name, view.buf, (size_t)view.len,
                               (uint8_t *)PyBytes_AS_STRING(out), bound, &len);
        if (ts != NULL) {
            PyEval_RestoreThread(ts);
        }
    }
    if (rc != DJF_OK) {
        djf_raise_status(rc, "isal_compress");
        goto done;
    }
    if (_PyBytes_Resize(&out, (Py_ssize_t)len) < 0) {
        goto done; /* out was freed and set to NULL */
    }
    res = out;
    out = NULL;
done:
    djf_compress_put_isal(st, c);
    Py_XDECREF(out);
    PyBuffer_Release(&view);
    return res;
}

PyDoc_STRVAR(brotli_compress_doc, "brotli_compress(data, level, /) -> bytes\n\n"
                                  "One brotli stream of `data` at quality `level` (0-11).");

/* Returns a new bytes object, or NULL with an exception set. */
static PyObject *brotli_compress(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer view = {0};
    PyObject *out = NULL;
    PyObject *res = NULL;
    long level = 0;
    size_t bound = 0;
    size_t len = 0;
    djf_status rc = DJF_OK;

    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "brotli_compress() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    if (get_int_in(args[1], DJF_BROTLI_MIN_LEVEL, DJF_BROTLI_MAX_LEVEL, "level", &level) < 0 ||
        get_view(args[0], &view) < 0) {
        return NULL;
    }
    rc = djf_brotli_bound((size_t)view.len, &bound);
    if (rc != DJF_OK || bound > (size_t)PY_SSIZE_T_MAX) {
        djf_raise_status(rc != DJF_OK ? rc : DJF_EOVERFLOW, "brotli_compress");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)bound);
    if (out == NULL) {
        goto done;
    }
    {
        PyThreadState *ts = view.len >= DJF_ENGINE_GIL_THRESHOLD ? PyEval_SaveThread() : NULL;
        rc = djf_brotli_compress((int)level, view.buf, (size_t)view.len,
                                 (uint8_t *)PyBytes_AS_STRING(out), bound, &len);
        if (ts != NULL) {
            PyEval_RestoreThread(ts);
        }
    }
    if (rc != DJF_OK) {
        djf_raise_status(rc, "brotli_compress");
        goto done;
    }
    if (_PyBytes_Resize(&out, (Py_ssize_t)len) < 0) {
        goto done; /* out was freed and set to NULL */
    }
    res = out;
    out = NULL;
done:
    Py_XDECREF(out);
    PyBuffer_Release(&view);
    return res;
}

static PyMethodDef engine_methods[] = {
    {"isal_compress", (PyCFunction)(void (*)(void))isal_compress, METH_FASTCALL, isal_compress_doc},
    {"brotli_compress", (PyCFunction)(void (*)(void))brotli_compress, METH_FASTCALL,
     brotli_compress_doc},
    {NULL, NULL, 0, NULL},
};

int djf_compress_engines_exec(PyObject *module, djf_compress_state *st)
{
    (void)st;
    return PyModule_AddFunctions(module, engine_methods);
}

void djf_compress_engines_clear(djf_compress_state *st)
{
    int i;

    for (i = 0; i < st->n_isal; i++) {
        djf_isal_free(st->isal_pool[i]);
        st->isal_pool[i] = NULL;
    }
    st->n_isal = 0;
}
