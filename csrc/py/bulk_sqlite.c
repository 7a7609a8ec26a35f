/* djfast._djfast: BulkEncoder.sqlite_params -- executemany parameters for SQLite, the values
 * Django itself would bind (see bulk_encode.c for the shared value helpers). */
#include "module.h"

#include "copy.h"
#include "fmt.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ SQLite parameters */

/* Returns a new reference to the parameter for v, NULL with *fallback = 1 when v needs the
 * Python fallback, or NULL with an exception set. */
static PyObject *djf_sqlite_value(djf_bulk_encoder *enc, int kind, PyObject *v, int *fallback)
{
    djf_state *st = enc->st;
    PyDateTime_CAPI *api = st->datetime_api;
    char tmp[DJF_FMT_DATETIME_MAX];
    size_t n;

    *fallback = 0;
    switch (kind) {
    case DJF_KIND_INT:
        if (PyLong_CheckExact(v)) {
            return Py_NewRef(v);
        }
        break;
    case DJF_KIND_FLOAT:
        if (PyFloat_CheckExact(v)) {
            return Py_NewRef(v);
        }
        break;
    case DJF_KIND_STR:
        if (PyUnicode_CheckExact(v)) {
            return Py_NewRef(v);
        }
        break;
    case DJF_KIND_BOOL:
        if (v == Py_True || v == Py_False) {
            return Py_NewRef(v);
        }
        break;
    case DJF_KIND_BYTES:
        if (PyBytes_CheckExact(v)) {
            return Py_NewRef(v);
        }
        break;
    case DJF_KIND_DECIMAL:
        if (Py_IS_TYPE(v, (PyTypeObject *)st->decimal_type)) {
            /* Django passes the Decimal on and the adapter it registers with sqlite3 binds
             * str(value); binding that str here is the same and skips the adapter call. A
             * value that is not finite is refused by DecimalField.to_python: the fallback
             * raises Django's ValidationError. */
            PyObject *s = PyObject_Str(v);
            Py_ssize_t n;
            const char *u;

            if (s == NULL) {
                return NULL;
            }
            u = PyUnicode_AsUTF8AndSize(s, &n);
            if (u == NULL) {
                Py_DECREF(s);
                return NULL;
            }
            if (!djf_bulk_decimal_text_special(u, n)) {
                return s;
            }
            Py_DECREF(s);
        }
        break;
    case DJF_KIND_DATE:
        if (Py_IS_TYPE(v, api->DateType)) {
            n = djf_fmt_date(tmp, PyDateTime_GET_YEAR(v), PyDateTime_GET_MONTH(v),
                             PyDateTime_GET_DAY(v));
            return djf_bulk_ascii(tmp, n);
        }
        break;
    case DJF_KIND_DATETIME:
        if (Py_IS_TYPE(v, api->DateTimeType)) {
            djf_datetime dt;
            int aware = 0;
            int r = djf_bulk_datetime_fields(enc, v, &dt, &aware);

            if (r < 0) {
                return NULL;
            }
            if (r == 0) {
                return djf_bulk_ascii(tmp, djf_fmt_datetime(tmp, &dt, 0));
            }
        }
        break;
    case DJF_KIND_TIME:
        if (Py_IS_TYPE(v, api->TimeType) && PyDateTime_TIME_GET_TZINFO(v) == Py_None) {
            n = djf_fmt_time(tmp, PyDateTime_TIME_GET_HOUR(v), PyDateTime_TIME_GET_MINUTE(v),
                             PyDateTime_TIME_GET_SECOND(v), PyDateTime_TIME_GET_MICROSECOND(v));
            return djf_bulk_ascii(tmp, n);
        }
        break;
    case DJF_KIND_UUID:
        if (Py_IS_TYPE(v, (PyTypeObject *)st->uuid_type)) {
            unsigned char raw[16];
            char hex[32];

            if (djf_bulk_uuid_bytes(enc, v, raw) < 0) {
                return NULL;
            }
            return djf_bulk_ascii(hex, djf_fmt_hex(hex, raw, 16)); /* UUID.hex */
        }
        break;
    default:
        break;
    }
    *fallback = 1;
    return NULL;
}

PyObject *djf_bulk_sqlite_params(djf_bulk_encoder *enc, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *rows;
    PyObject *out = NULL;
    PyObject *row = NULL;
    PyObject *v = NULL;
    PyObject *t = NULL;
    Py_ssize_t offset;
    Py_ssize_t r;
    Py_ssize_t j;

    if (nargs != 2 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "sqlite_params(rows: list, offset: int)");
        return NULL;
    }
    rows = args[0];
    offset = PyLong_AsSsize_t(args[1]);
    if (offset == -1 && PyErr_Occurred()) {
        return NULL;
    }
    out = PyList_New(0);
    if (out == NULL) {
        return NULL;
    }
    for (r = 0; r < PyList_GET_SIZE(rows); r++) {
        int untrack = 1;

        row = Py_NewRef(PyList_GET_ITEM(rows, r));
        if (djf_bulk_check_row(enc, row, offset + r) < 0) {
            goto error;
        }
        t = PyTuple_New(enc->ncols);
        if (t == NULL) {
            goto error;
        }
        for (j = 0; j < enc->ncols; j++) {
            PyObject *p = NULL;
            int fallback = 0;

            v = djf_bulk_row_value(enc, row, j);
            if (v == NULL) {
                djf_bulk_fail_at(enc, offset + r, j);
                goto error;
            }
            if (v == Py_None) {
                p = Py_NewRef(v);
            } else {
                p = djf_sqlite_value(enc, enc->kinds[j], v, &fallback);
                if (p == NULL && fallback) {
                    p = PyObject_CallOneArg(PyTuple_GET_ITEM(enc->fallbacks, j), v);
                }
            }
            Py_CLEAR(v);
            if (p == NULL) {
                djf_bulk_fail_at(enc, offset + r, j);
                goto error;
            }
            if (PyObject_GC_IsTracked(p)) {
                untrack = 0;
            }
            PyTuple_SET_ITEM(t, j, p);
        }
        /* A tuple of untracked atoms can never be part of a cycle: take it off the GC's list
         * now (as the collector itself would) so big batches do not feed collections. */
        if (untrack) {
            PyObject_GC_UnTrack(t);
        }
        if (PyList_Append(out, t) < 0) {
            goto error;
        }
        Py_CLEAR(t);
        Py_CLEAR(row);
    }
    return out;
error:
    Py_XDECREF(row);
    Py_XDECREF(v);
    Py_XDECREF(t);
    Py_XDECREF(out);
    return NULL;
}
