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
#include "keys.h"

#include <string.h>

/* Inputs from this size on are hashed with the GIL released. */
#define DJF_ETAG_NOGIL_MIN (32 * 1024)

/* Appends the UTF-8 of str(item) and ":" to buf. Returns 0, or -1 with an exception set
 * (UnicodeEncodeError for lone surrogates, as Django's str(arg).encode()). */
static int append_vary(djf_buf *buf, PyObject *item)
{
    PyObject *s = PyUnicode_CheckExact(item) ? Py_NewRef(item) : PyObject_Str(item);
    const char *utf8;
    Py_ssize_t n;
    int res = -1;
    djf_status status;

    if (s == NULL) {
        goto done;
    }
    utf8 = PyUnicode_AsUTF8AndSize(s, &n);
    if (utf8 == NULL) {
        goto done;
    }
    status = djf_buf_append(buf, utf8, (size_t)n);
    if (status == DJF_OK) {
        status = djf_buf_putc(buf, ':');
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

/* make_template_fragment_key(fragment_name, vary_on=None): returns a new str, or NULL with an
 * exception set. */
static PyObject *cache_fragment_key(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                                    PyObject *kwnames)
{
    static const char *const names[] = {"fragment_name", "vary_on"};
    djf_cache_state *cst = &djf_get_state(module)->cache;
    PyObject *a[2];
    PyObject *it = NULL;
    PyObject *item = NULL;
    PyObject *res = NULL;
    const uint8_t *secret;
    djf_buf buf = {0};
    uint8_t digest[16];
    char hex[DJF_KEY_HEX_LEN + 1];

    if (djf_cache_parse_args("make_template_fragment_key", args, nargs, kwnames, names, 2, 1, a) <
        0) {
        goto done;
    }
    if (a[1] != NULL && a[1] != Py_None) {
        it = PyObject_GetIter(a[1]);
        if (it == NULL) {
            goto done;
        }
        while ((item = PyIter_Next(it)) != NULL) {
            if (append_vary(&buf, item) < 0) {
                goto done;
            }
            Py_CLEAR(item);
        }
        if (PyErr_Occurred()) {
            goto done;
        }
    }
    secret = djf_cache_secret(cst);
    if (secret == NULL) {
        goto done;
    }
    djf_key_hash128(digest, buf.data == NULL ? "" : buf.data, buf.len, secret);
    djf_key_hex(hex, digest);
    hex[DJF_KEY_HEX_LEN] = '\0';
    res = PyUnicode_FromFormat("template.cache.%S.%s", a[0], hex);
done:
    Py_XDECREF(item);
    Py_XDECREF(it);
    djf_buf_free(&buf);
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
        Py_BEGIN_ALLOW_THREADS
        djf_key_hash128_plain(digest, data, n);
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
        PyErr_Format(PyExc_TypeError, "etag() argument must be a bytes-like object or str, not %.100s",
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
