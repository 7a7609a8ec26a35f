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

typedef struct isal_job {
    djf_isal *c;
    djf_gzip_name name;
} isal_job;

static djf_status isal_run(void *ctx, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                           size_t *len)
{
    isal_job *job = ctx;

    return djf_isal_compress(job->c, job->name, in, n, out, cap, len);
}

/* Returns a new bytes object, or NULL with an exception set. */
static PyObject *isal_compress(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    djf_compress_state *st = &djf_get_state(module)->compress;
    isal_job job = {NULL, {0, 0, 0}};
    Py_buffer view = {0};
    PyObject *res = NULL;
    long level = 0;
    long name_len = 0;
    long os = 0;
    size_t bound = 0;
    djf_status rc = DJF_OK;

    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "isal_compress() takes 4 arguments (%zd given)", nargs);
        return NULL;
    }
    if (djf_compress_get_int(args[1], DJF_ISAL_MIN_LEVEL, DJF_ISAL_MAX_LEVEL, "level", &level) <
            0 ||
        djf_compress_get_int(args[2], -1, LONG_MAX / 4, "name_len", &name_len) < 0 ||
        djf_compress_get_int(args[3], 0, 255, "os", &os) < 0 ||
        djf_compress_get_view(args[0], &view, "data") < 0) {
        return NULL;
    }
    job.name.fname = name_len >= 0;
    job.name.name_len = name_len >= 0 ? (size_t)name_len : 0;
    job.name.os = (uint8_t)os;
    job.c = djf_compress_take_isal(st, (int)level);
    if (job.c == NULL) {
        goto done;
    }
    rc = djf_isal_bound(job.name, (size_t)view.len, &bound);
    if (rc != DJF_OK) {
        djf_raise_status(rc, "isal_compress");
        goto done;
    }
    res = djf_compress_to_bytes(isal_run, &job, &view, bound, DJF_ISAL_GIL_THRESHOLD,
                                "isal_compress");
done:
    djf_compress_put_isal(st, job.c);
    PyBuffer_Release(&view);
    return res;
}

PyDoc_STRVAR(brotli_compress_doc, "brotli_compress(data, level, /) -> bytes\n\n"
                                  "One brotli stream of `data` at quality `level` (0-11).");

static djf_status brotli_run(void *ctx, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                             size_t *len)
{
    return djf_brotli_compress(*(const int *)ctx, in, n, out, cap, len);
}

/* Returns a new bytes object, or NULL with an exception set. */
static PyObject *brotli_compress(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer view = {0};
    PyObject *res = NULL;
    long level = 0;
    int quality = 0;
    size_t bound = 0;
    djf_status rc = DJF_OK;

    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "brotli_compress() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    if (djf_compress_get_int(args[1], DJF_BROTLI_MIN_LEVEL, DJF_BROTLI_MAX_LEVEL, "level", &level) <
            0 ||
        djf_compress_get_view(args[0], &view, "data") < 0) {
        return NULL;
    }
    quality = (int)level;
    rc = djf_brotli_bound((size_t)view.len, &bound);
    if (rc != DJF_OK) {
        djf_raise_status(rc, "brotli_compress");
        goto done;
    }
    res = djf_compress_to_bytes(brotli_run, &quality, &view, bound, DJF_GIL_THRESHOLD,
                                "brotli_compress");
done:
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
