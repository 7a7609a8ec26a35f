/* djfast._djfast: BodyCache, compress once and serve many (store in csrc/core/bodycache.c).
 *
 * BodyCache(max_bytes, gzip_level, zstd_level, secret, brotli_level=6)
 *     compress(data, coding, name_len, os) -> bytes | None
 *         coding 0 (gzip), 1 (zstd) or 2 (br). Returns the compressed body when it is cached (a
 * hit) or was just admitted (its second sighting: compressed now at the cache's level, stored,
 *         returned); None for a body to compress the ordinary way (first sighting, too large,
 *         or max_bytes 0). gzip output is framed per call: a fresh header with this call's
 *         FNAME padding (name_len as in gzip_compress, os as its OS byte), the stored deflate
 *         stream and the trailer, so it is byte-identical to gzip_compress(data, gzip_level,
 *         name_len, os); zstd output equals zstd_compress(data, zstd_level), br output
 *         brotli_compress(data, brotli_level).
 *     stats() -> dict, clear() -> None
 *
 * Keys are the keyed XXH3-128 of the body (secret derived from `secret`, random per process)
 * plus coding and level; a hit also compares the whole body. A mutex guards the store. It is
 * only ever taken with the GIL held and never held across a GIL release, so a thread waiting
 * for it never blocks the one holding it; compression on admission runs with neither held.
 */
#include "module.h"

#include "bodycache.h"
#include "gzip.h"
#include "gzip_brotli.h"
#include "gzip_zstd.h"
#include "keys.h"

#include <libdeflate.h>
#include <pythread.h>
#include <zstd.h>

/* Bodies from this size on are hashed and compressed with the GIL released. */
#define DJF_BC_NOGIL_MIN (32 * 1024)

enum { CODING_GZIP = 0, CODING_ZSTD = 1, CODING_BR = 2 };

typedef struct djf_body_cache {
    PyObject_HEAD PyThread_type_lock lock;
    djf_compress_state *cst; /* module state: compressor pools */
    int gzip_level;
    int zstd_level;
    int brotli_level;
    uint8_t secret[DJF_KEY_SECRET_SIZE];
    djf_bodycache store;
} djf_body_cache;

static void bc_lock(djf_body_cache *self)
{
    if (!PyThread_acquire_lock(self->lock, 0)) {
        /* only a free-threaded build can get here: wait without the GIL */
        PyThreadState *ts = PyEval_SaveThread();
        PyThread_acquire_lock(self->lock, 1);
        PyEval_RestoreThread(ts);
    }
}

static void bc_unlock(djf_body_cache *self)
{
    PyThread_release_lock(self->lock);
}

/* Returns a new BodyCache, or NULL with an exception set. */
static PyObject *bc_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"max_bytes", "gzip_level",   "zstd_level",
                             "secret",    "brotli_level", NULL};
    Py_ssize_t max_bytes = 0;
    int gzip_level = 0;
    int zstd_level = 0;
    int brotli_level = 6;
    Py_buffer secret = {0};
    djf_body_cache *self = NULL;
    PyObject *res = NULL;
    djf_state *mst = NULL;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "niiy*|i:BodyCache", kwlist, &max_bytes,
                                     &gzip_level, &zstd_level, &secret, &brotli_level)) {
        return NULL;
    }
    if (max_bytes < 0) {
        PyErr_SetString(PyExc_ValueError, "max_bytes must be >= 0");
        goto done;
    }
    if (gzip_level < 1 || gzip_level > 12) {
        PyErr_Format(PyExc_ValueError, "gzip_level must be between 1 and 12, not %d", gzip_level);
        goto done;
    }
    if (zstd_level < ZSTD_minCLevel() || zstd_level > ZSTD_maxCLevel()) {
        PyErr_Format(PyExc_ValueError, "zstd_level must be between %d and %d, not %d",
                     ZSTD_minCLevel(), ZSTD_maxCLevel(), zstd_level);
        goto done;
    }
    if (brotli_level < DJF_BROTLI_MIN_LEVEL || brotli_level > DJF_BROTLI_MAX_LEVEL) {
        PyErr_Format(PyExc_ValueError, "brotli_level must be between %d and %d, not %d",
                     DJF_BROTLI_MIN_LEVEL, DJF_BROTLI_MAX_LEVEL, brotli_level);
        goto done;
    }
    if (secret.len == 0) {
        PyErr_SetString(PyExc_ValueError, "secret must not be empty");
        goto done;
    }
    mst = djf_state_from_type(type);
    if (mst == NULL) {
        goto done;
    }
    self = (djf_body_cache *)type->tp_alloc(type, 0);
    if (self == NULL) {
        goto done;
    }
    self->cst = &mst->compress;
    self->gzip_level = gzip_level;
    self->zstd_level = zstd_level;
    self->brotli_level = brotli_level;
    djf_bodycache_init(&self->store, (size_t)max_bytes);
    if (djf_key_secret_init(self->secret, secret.buf, (size_t)secret.len) != DJF_OK) {
        PyErr_SetString(PyExc_ValueError, "BodyCache: cannot derive a secret");
        goto done;
    }
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL) {
        PyErr_SetString(PyExc_MemoryError, "unable to allocate lock");
        goto done;
    }
    res = (PyObject *)self;
    self = NULL;
done:
    Py_XDECREF(self);
    PyBuffer_Release(&secret);
    return res;
}

static void bc_dealloc(djf_body_cache *self)
{
    PyTypeObject *tp = Py_TYPE(self);

    djf_bodycache_clear(&self->store);
    if (self->lock != NULL) {
        PyThread_free_lock(self->lock);
        self->lock = NULL;
    }
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* Returns a new bytes object holding the response body for `payload` (GIL held): for gzip a
 * member with a fresh header, for zstd and br the stored frame/stream itself; or NULL with an
 * exception set. */
static PyObject *frame(int coding, int level, djf_gzip_name name, const uint8_t *payload,
                       size_t plen, uint32_t crc, size_t body_len)
{
    PyObject *out = NULL;
    size_t header = 0;
    size_t total = 0;
    uint8_t *p = NULL;

    if (coding != CODING_GZIP) {
        return PyBytes_FromStringAndSize((const char *)payload, (Py_ssize_t)plen);
    }
    if (djf_gzip_header_size(name, &header) != DJF_OK || !djf_add_size(header, plen, &total) ||
        !djf_add_size(total, DJF_GZIP_TRAILER_SIZE, &total) || total > (size_t)PY_SSIZE_T_MAX) {
        djf_raise_status(DJF_EOVERFLOW, "BodyCache.compress");
        return NULL;
    }
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    if (out == NULL) {
        return NULL;
    }
    p = (uint8_t *)PyBytes_AS_STRING(out);
    djf_gzip_write_header(p, name, level);
    memcpy(p + header, payload, plen);
    djf_gzip_write_trailer(p + header + plen, crc, (uint64_t)body_len);
    return out;
}

/* Compresses data[0..n) at the cache's level into a new PyMem_Raw buffer (*out, *out_len;
 * *crc for gzip). Returns 0, or -1 with an exception set. */
static int compress_entry(djf_body_cache *self, int coding, const uint8_t *data, size_t n,
                          uint8_t **out, size_t *out_len, uint32_t *crc)
{
    struct libdeflate_compressor *dc = NULL;
    struct ZSTD_CCtx_s *zc = NULL;
    uint8_t *buf = NULL;
    size_t bound = 0;
    size_t len = 0;
    djf_status rc = DJF_OK;
    PyThreadState *ts = NULL;
    int res = -1;

    if (coding == CODING_GZIP) {
        dc = djf_compress_take_deflate(self->cst, self->gzip_level);
        if (dc == NULL) {
            goto done;
        }
        bound = libdeflate_deflate_compress_bound(dc, n);
    } else if (coding == CODING_BR) {
        rc = djf_brotli_bound(n, &bound);
        if (rc != DJF_OK) {
            djf_raise_status(rc, "BodyCache.compress");
            goto done;
        }
    } else {
        zc = djf_compress_take_zstd(self->cst);
        if (zc == NULL) {
            goto done;
        }
        rc = djf_zstd_setup(zc, self->zstd_level);
        if (rc == DJF_OK) {
            rc = djf_zstd_bound(n, &bound);
        }
        if (rc != DJF_OK) {
            djf_raise_status(rc, "BodyCache.compress");
            goto done;
        }
    }
    buf = PyMem_RawMalloc(bound ? bound : 1);
    if (buf == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    ts = n >= DJF_BC_NOGIL_MIN ? PyEval_SaveThread() : NULL;
    if (coding == CODING_GZIP) {
        len = libdeflate_deflate_compress(dc, data, n, buf, bound);
        rc = len == 0 ? DJF_ELIB : DJF_OK;
        *crc = libdeflate_crc32(0, data, n);
    } else if (coding == CODING_BR) {
        rc = djf_brotli_compress(self->brotli_level, data, n, buf, bound, &len);
    } else {
        rc = djf_zstd_compress(zc, data, n, buf, bound, &len);
    }
    if (ts != NULL) {
        PyEval_RestoreThread(ts);
    }
    if (rc != DJF_OK) {
        djf_raise_status(rc, "BodyCache.compress");
        goto done;
    }
    *out = buf;
    *out_len = len;
    buf = NULL;
    res = 0;
done:
    if (dc != NULL) {
        djf_compress_put_deflate(self->cst, dc, self->gzip_level);
    }
    djf_compress_put_zstd(self->cst, zc);
    PyMem_RawFree(buf);
    return res;
}

PyDoc_STRVAR(bc_compress_doc,
             "compress(data, coding, name_len, os, /) -> bytes | None\n\n"
             "The compressed body from the cache (coding 0 gzip, 1 zstd, 2 br), or None when\n"
             "the caller should compress it the ordinary way. See the module docs.");

/* Returns a new bytes object, a new reference to None, or NULL with an exception set. */
static PyObject *bc_compress(djf_body_cache *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer view = {0};
    PyObject *res = NULL;
    long coding = 0;
    Py_ssize_t name_len = 0;
    long os = 0;
    djf_bc_key key;
    djf_gzip_name name = {0, 0, 0};
    const djf_bc_entry *e = NULL;
    uint8_t *payload = NULL;
    size_t plen = 0;
    uint32_t crc = 0;
    int level = 0;
    int admit = 0;

    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "compress() takes 4 arguments (%zd given)", nargs);
        return NULL;
    }
    coding = PyLong_AsLong(args[1]);
    name_len = PyLong_AsSsize_t(args[2]);
    os = PyLong_AsLong(args[3]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if ((coding != CODING_GZIP && coding != CODING_ZSTD && coding != CODING_BR) || name_len < -1 ||
        name_len > PY_SSIZE_T_MAX / 4 || os < 0 || os > 255) {
        PyErr_Format(PyExc_ValueError,
                     "compress(): coding must be 0, 1 or 2, name_len >= -1, os 0..255 "
                     "(got %ld, %zd, %ld)",
                     coding, name_len, os);
        return NULL;
    }
    /* bytes only: immutable, so the body hashed and compressed without the GIL is the body
     * stored (a bytearray changed meanwhile could pair one body with another's payload) */
    if (!PyBytes_Check(args[0])) {
        PyErr_Format(PyExc_TypeError, "data must be bytes, not %.100s", Py_TYPE(args[0])->tp_name);
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    /* the store never changes max_bytes: no lock needed to read it */
    if (!djf_bodycache_may_store(&self->store, (size_t)view.len)) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    name.fname = name_len >= 0;
    name.name_len = name_len >= 0 ? (size_t)name_len : 0;
    name.os = (uint8_t)os;
    level = coding == CODING_GZIP   ? self->gzip_level
            : coding == CODING_ZSTD ? self->zstd_level
                                    : self->brotli_level;
    memset(&key, 0, sizeof key);
    key.tag = (uint32_t)coding | ((uint32_t)(level + 128) << 8);
    {
        PyThreadState *ts = view.len >= DJF_BC_NOGIL_MIN ? PyEval_SaveThread() : NULL;
        djf_key_hash128(key.digest, view.buf, (size_t)view.len, self->secret);
        if (ts != NULL) {
            PyEval_RestoreThread(ts);
        }
    }
    bc_lock(self);
    e = djf_bodycache_get(&self->store, &key, view.buf, (size_t)view.len);
    if (e != NULL) {
        res = frame((int)coding, level, name, e->data + e->body_len, e->payload_len, e->crc,
                    e->body_len);
        bc_unlock(self);
        goto done;
    }
    admit = djf_bodycache_admit(&self->store, &key);
    bc_unlock(self);
    if (!admit) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    if (compress_entry(self, (int)coding, view.buf, (size_t)view.len, &payload, &plen, &crc) < 0) {
        goto done;
    }
    res = frame((int)coding, level, name, payload, plen, crc, (size_t)view.len);
    if (res == NULL) {
        goto done;
    }
    bc_lock(self);
    /* DJF_EINVAL (payload too large to keep) and DJF_ENOMEM only mean "not stored" */
    (void)djf_bodycache_put(&self->store, &key, view.buf, (size_t)view.len, payload, plen, crc);
    bc_unlock(self);
done:
    PyMem_RawFree(payload);
    PyBuffer_Release(&view);
    return res;
}

/* Adds name: value (an unsigned counter) to d. Returns 0, or -1 with an exception set. */
static int put_count(PyObject *d, const char *name, unsigned long long value)
{
    PyObject *v = PyLong_FromUnsignedLongLong(value);
    int r = -1;

    if (v != NULL) {
        r = PyDict_SetItemString(d, name, v);
        Py_DECREF(v);
    }
    return r;
}

PyDoc_STRVAR(bc_stats_doc, "stats() -> dict\n\n"
                           "hits, misses, evictions, admissions, entries, bytes, max_bytes.");

/* Returns a new dict, or NULL with an exception set. */
static PyObject *bc_stats(djf_body_cache *self, PyObject *unused)
{
    djf_bodycache snap;
    PyObject *d = NULL;

    bc_lock(self);
    snap.hits = self->store.hits;
    snap.misses = self->store.misses;
    snap.evictions = self->store.evictions;
    snap.admissions = self->store.admissions;
    snap.count = self->store.count;
    snap.bytes = self->store.bytes;
    snap.max_bytes = self->store.max_bytes;
    bc_unlock(self);
    d = PyDict_New();
    if (d == NULL || put_count(d, "hits", snap.hits) < 0 ||
        put_count(d, "misses", snap.misses) < 0 || put_count(d, "evictions", snap.evictions) < 0 ||
        put_count(d, "admissions", snap.admissions) < 0 ||
        put_count(d, "entries", snap.count) < 0 || put_count(d, "bytes", snap.bytes) < 0 ||
        put_count(d, "max_bytes", snap.max_bytes) < 0) {
        Py_CLEAR(d);
    }
    return d;
}

PyDoc_STRVAR(bc_clear_doc, "clear() -> None\n\nDrops every entry and first sighting; counters "
                           "are kept.");

static PyObject *bc_clear(djf_body_cache *self, PyObject *unused)
{
    bc_lock(self);
    djf_bodycache_clear(&self->store);
    bc_unlock(self);
    Py_RETURN_NONE;
}

static PyMethodDef bc_methods[] = {
    {"compress", (PyCFunction)(void (*)(void))bc_compress, METH_FASTCALL, bc_compress_doc},
    {"stats", (PyCFunction)bc_stats, METH_NOARGS, bc_stats_doc},
    {"clear", (PyCFunction)bc_clear, METH_NOARGS, bc_clear_doc},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(bc_doc, "BodyCache(max_bytes, gzip_level, zstd_level, secret, brotli_level=6)\n\n"
                     "Compressed whole bodies, bounded by max_bytes, keyed by a keyed XXH3-128\n"
                     "of the body (secret: random bytes) and verified byte for byte.");

static PyType_Slot bc_slots[] = {
    {Py_tp_new, bc_new},
    {Py_tp_dealloc, bc_dealloc},
    {Py_tp_methods, bc_methods},
    {Py_tp_doc, (void *)bc_doc},
    {0, NULL},
};

static PyType_Spec bc_spec = {
    .name = "djfast._djfast.BodyCache",
    .basicsize = sizeof(djf_body_cache),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = bc_slots,
};

int djf_compress_cache_exec(PyObject *module, djf_compress_state *st)
{
    st->body_cache_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &bc_spec, NULL);
    if (st->body_cache_type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, st->body_cache_type);
}
