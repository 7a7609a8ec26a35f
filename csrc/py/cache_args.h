/* djfast._djfast: helpers shared by the cache binding files: a small vectorcall argument
 * parser and version shims. */
#ifndef DJF_PY_CACHE_ARGS_H
#define DJF_PY_CACHE_ARGS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Strings are always "ready" from 3.12 on, where PyUnicode_READY is deprecated.
 * DJF_UNICODE_READY returns 0, or -1 with an exception set. */
#if PY_VERSION_HEX < 0x030C0000
#define DJF_UNICODE_READY(o) PyUnicode_READY(o)
#else
#define DJF_UNICODE_READY(o) 0
#endif

/* Fills out[0..n) from the positional arguments, then from the keywords (NULL where absent);
 * the first `required` must be present. Returns 0, or -1 with a TypeError set. */
static inline int djf_cache_parse_args(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                                       PyObject *kwnames, const char *const *names, Py_ssize_t n,
                                       Py_ssize_t required, PyObject **out)
{
    Py_ssize_t i;
    Py_ssize_t j;
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);

    if (nargs > n) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %zd arguments (%zd given)", fname, n,
                     nargs + nkw);
        return -1;
    }
    for (i = 0; i < n; i++) {
        out[i] = i < nargs ? args[i] : NULL;
    }
    for (j = 0; j < nkw; j++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, j);

        for (i = 0; i < n; i++) {
            if (PyUnicode_CompareWithASCIIString(name, names[i]) == 0) {
                break;
            }
        }
        if (i == n) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname,
                         name);
            return -1;
        }
        if (out[i] != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fname,
                         names[i]);
            return -1;
        }
        out[i] = args[nargs + j];
    }
    for (i = 0; i < required; i++) {
        if (out[i] == NULL) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %zd)", fname,
                         names[i], i + 1);
            return -1;
        }
    }
    return 0;
}

#endif
