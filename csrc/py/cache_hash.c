/* djfast._djfast: template fragment keys and ETags with XXH3-128.
 *
 * make_template_fragment_key(fragment_name, vary_on=None)
 *     Django's "template.cache.<name>.<digest>", each vary_on value str()-ed, UTF-8 encoded
 *     and followed by ":" as Django does, hashed with the keyed XXH3-128 of make_key.
 * etag(content)
 *     '"<32 hex>"', the unkeyed XXH3-128 of bytes-like content (str: its UTF-8).
 */
#include "module.h"

#include "buf.h"
#include "cache_args.h"
#include "fmt.h"
#include "keys.h"

#include <string.h>

/* Inputs from this size on are hashed with the GIL released. */
#define DJF_ETAG_NOGIL_MIN (32 * 1024)

/* The bytes hashed for vary_on: on the stack while they fit, then in a djf_buf. */
typedef struct vary_buf {
    char stack[256];
    size_t len;
    djf_buf heap;
} vary_buf;

/* Appends n bytes. Returns DJF_OK, DJF_ENOMEM or DJF_EOVERFLOW. */
static djf_status vary_append(vary_buf *vb, const char *data, size_t n)
{
    djf_status status;

    if (vb->heap.data == NULL) {
        if (n <= sizeof vb->stack - vb->len) {
            memcpy(vb->stack + vb->len, data, n);
            vb->len += n;
            return DJF_OK;
        }
        status = djf_buf_append(&vb->heap, vb->stack, vb->len);
        if (status != DJF_OK) {
            return status;
        }
    }
    return djf_buf_append(&vb->heap, data, n);
}

/* Appends the UTF-8 of str(item) and ":" (Django: str(arg).encode() then b":"). Returns 0,
 * or -1 with an exception set (UnicodeEncodeError for lone surrogates, as Django's). */
static int append_vary(vary_buf *vb, PyObject *item)
{
    PyObject *s = NULL;
    const char *utf8;
    Py_ssize_t n;
    char digits[DJF_FMT_INT64_MAX];
    int res = -1;
    djf_status status;

    if (PyLong_CheckExact(item)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(item, &overflow);

        if (!overflow) {
            utf8 = digits;
            n = (Py_ssize_t)djf_fmt_int64(digits, (int64_t)v);
            goto append;
        }
    }
    s = PyUnicode_CheckExact(item) ? Py_NewRef(item) : PyObject_Str(item);
    if (s == NULL) {
        goto done;
    }
    if (DJF_UNICODE_READY(s) < 0) {
        goto done;
    }
    if (PyUnicode_IS_ASCII(s)) {
        utf8 = (const char *)PyUnicode_DATA(s);
        n = PyUnicode_GET_LENGTH(s);
    } else {
        utf8 = PyUnicode_AsUTF8AndSize(s, &n);
        if (utf8 == NULL) {
            goto done;
        }
    }
append:
    status = vary_append(vb, utf8, (size_t)n);
    if (status == DJF_OK) {
        status = vary_append(vb, ":", 1);
    }
    if (status != DJF_OK) {
        (void)djf_raise_status(status, "make_template_fragment_key");
        goto done;
    }
    res = 0;
done:
    Py_XDECREF(s);
    return res;
}

/* Appends every value of vary_on. Returns 0, or -1 with an exception set. */
static int append_all(vary_buf *vb, PyObject *vary_on)
{
    PyObject *it = NULL;
    PyObject *item = NULL;
    Py_ssize_t i;
    int res = -1;

    if (PyTuple_CheckExact(vary_on)) {
        for (i = 0; i < PyTuple_GET_SIZE(vary_on); i++) {
            if (append_vary(vb, PyTuple_GET_ITEM(vary_on, i)) < 0) {
                return -1;
            }
        }
        return 0;
    }
    if (PyList_CheckExact(vary_on)) {
        /* str() of an item may change the list: re-read the size, hold each item. */
        for (i = 0; i < PyList_GET_SIZE(vary_on); i++) {
            item = Py_NewRef(PyList_GET_ITEM(vary_on, i));
            if (append_vary(vb, item) < 0) {
                goto done;
            }
            Py_CLEAR(item);
        }
        return 0;
    }
    it = PyObject_GetIter(vary_on);
    if (it == NULL) {
        goto done;
    }
    while ((item = PyIter_Next(it)) != NULL) {
        if (append_vary(vb, item) < 0) {
            goto done;
        }
        Py_CLEAR(item);
    }
    if (PyErr_Occurred()) {
        goto done;
    }
    res = 0;
done:
    Py_XDECREF(item);
    Py_XDECREF(it);
    return res;
}

#define DJF_FRAGMENT_HEAD "template.cache."

/* Returns "template.cache.<name>.<hex>" as a new str, or NULL with an exception set. */
static PyObject *fragment_key_str(PyObject *name, const char hex[DJF_KEY_HEX_LEN])
{
    size_t head = sizeof DJF_FRAGMENT_HEAD - 1;
    Py_ssize_t n;
    PyObject *res;
    Py_UCS1 *out;

    if (PyUnicode_CheckExact(name) && DJF_UNICODE_READY(name) < 0) {
        return NULL;
    }
    if (!PyUnicode_CheckExact(name) || !PyUnicode_IS_ASCII(name) ||
        PyUnicode_GET_LENGTH(name) > PY_SSIZE_T_MAX / 2) {
        return PyUnicode_FromFormat(DJF_FRAGMENT_HEAD "%S.%.32s", name, hex);
    }
    n = PyUnicode_GET_LENGTH(name);
    res = PyUnicode_New((Py_ssize_t)head + n + 1 + DJF_KEY_HEX_LEN, 0x7f);
    if (res == NULL) {
        return NULL;
    }
    out = PyUnicode_1BYTE_DATA(res);
    memcpy(out, DJF_FRAGMENT_HEAD, head);
    memcpy(out + head, PyUnicode_DATA(name), (size_t)n);
    out[head + (size_t)n] = '.';
    memcpy(out + head + (size_t)n + 1, hex, DJF_KEY_HEX_LEN);
    return res;
}

/* make_template_fragment_key(fragment_name, vary_on=None): returns a new str, or NULL with an
 * exception set. */
static PyObject *cache_fragment_key(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                                    PyObject *kwnames)
{
    static const char *const names[] = {"fragment_name", "vary_on"};
    djf_cache_state *cst = &djf_get_state(module)->cache;
    PyObject *a[2];
    PyObject *res = NULL;
    const uint8_t *secret;
    vary_buf vb;
    uint8_t digest[16];
    char hex[DJF_KEY_HEX_LEN];

    vb.len = 0;
    vb.heap.data = NULL;
    vb.heap.len = vb.heap.cap = 0;
    if (djf_cache_parse_args("make_template_fragment_key", args, nargs, kwnames, names, 2, 1, a) <
        0) {
        goto done;
    }
    if (a[1] != NULL && a[1] != Py_None && append_all(&vb, a[1]) < 0) {
        goto done;
    }
    secret = djf_cache_secret(cst);
    if (secret == NULL) {
        goto done;
    }
    if (vb.heap.data != NULL) {
        djf_key_hash128(digest, vb.heap.data, vb.heap.len, secret);
    } else {
        djf_key_hash128(digest, vb.stack, vb.len, secret);
    }
    djf_key_hex(hex, digest);
    res = fragment_key_str(a[0], hex);
done:
    djf_buf_free(&vb.heap);
    return res;
}

/* Returns '"<hex>"' for the XXH3-128 of data, or NULL with an exception set. The GIL is
 * released for large inputs; data must stay valid (the caller holds its owner). */
static PyObject *etag_of(const void *data, size_t n)
{
    uint8_t digest[16];
    PyObject *res;
    Py_UCS1 *out;

    if (n >= DJF_ETAG_NOGIL_MIN) {
        Py_BEGIN_ALLOW_THREADS djf_key_hash128_plain(digest, data, n);
        Py_END_ALLOW_THREADS
    } else {
        djf_key_hash128_plain(digest, data, n);
    }
    res = PyUnicode_New(DJF_KEY_HEX_LEN + 2, 0x7f);
    if (res == NULL) {
        return NULL;
    }
    out = PyUnicode_1BYTE_DATA(res);
    out[0] = '"';
    djf_key_hex((char *)out + 1, digest);
    out[DJF_KEY_HEX_LEN + 1] = '"';
    return res;
}

/* etag(content): returns a new str, or NULL with an exception set. */
static PyObject *cache_etag(PyObject *module, PyObject *content)
{
    Py_buffer view;
    PyObject *res;
    const char *utf8;
    Py_ssize_t n;

    (void)module;
    if (PyUnicode_Check(content)) {
        utf8 = PyUnicode_AsUTF8AndSize(content, &n);
        if (utf8 == NULL) {
            return NULL;
        }
        return etag_of(utf8, (size_t)n);
    }
    if (!PyObject_CheckBuffer(content)) {
        PyErr_Format(PyExc_TypeError,
                     "etag() argument must be a bytes-like object or str, not %.100s",
                     Py_TYPE(content)->tp_name);
        return NULL;
    }
    if (PyObject_GetBuffer(content, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    res = etag_of(view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return res;
}

static PyMethodDef cache_hash_methods[] = {
    {"make_template_fragment_key", (PyCFunction)(void (*)(void))cache_fragment_key,
     METH_FASTCALL | METH_KEYWORDS,
     "make_template_fragment_key(fragment_name, vary_on=None)\n--\n\n"
     "Django's template fragment key with a keyed XXH3-128 digest."},
    {"etag", cache_etag, METH_O,
     "etag(content, /)\n--\n\nA quoted ETag: the XXH3-128 of the content as 32 hex digits."},
    {NULL, NULL, 0, NULL},
};

int djf_cache_hash_exec(PyObject *module)
{
    return PyModule_AddFunctions(module, cache_hash_methods);
}
