/* djfast._djfast: BulkEncoder.pg_copy_binary -- PostgreSQL binary COPY for tables whose every
 * column has a known wire type (djfast/bulk.py decides). A value the binary path cannot
 * express exactly stops the batch there: the caller COPYs the rows before it in binary and the
 * rest in text, starting from that row's already computed values (so default callables still
 * run once per row).
 */
#include "module.h"

#include "copy.h"

#include <stdint.h>
#include <string.h>

enum djf_pgtype {
    DJF_PGT_NONE = 0,
    DJF_PGT_INT2,
    DJF_PGT_INT4,
    DJF_PGT_INT8,
    DJF_PGT_FLOAT8,
    DJF_PGT_NUMERIC,
    DJF_PGT_BOOL,
    DJF_PGT_TEXT,
    DJF_PGT_DATE,
    DJF_PGT_TIMESTAMPTZ,
    DJF_PGT_TIME,
    DJF_PGT_UUID,
    DJF_PGT_BYTEA,
    DJF_PGT_COUNT
};

/* Returns 0, or -1 with an exception set. */
static int djf_pgbin_status(djf_status st)
{
    return st == DJF_OK ? 0 : djf_raise_status(st, "djfast.bulk");
}

/* Appends the binary field for v. Returns 0, 1 when v has no exact binary form here, or -1
 * with an exception set. */
static int djf_pgbin_value(djf_bulk_encoder *enc, djf_buf *b, int t, PyObject *v, Py_ssize_t index,
                           Py_ssize_t j)
{
    djf_state *st = enc->st;
    PyDateTime_CAPI *api = st->datetime_api;

    switch (t) {
    case DJF_PGT_INT2:
    case DJF_PGT_INT4:
    case DJF_PGT_INT8: {
        static const int sizes[] = {2, 4, 8};
        int size = sizes[t - DJF_PGT_INT2];
        int overflow = 0;
        long long x;

        if (!PyLong_Check(v)) {
            return 1;
        }
        x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (x == -1 && PyErr_Occurred()) {
            return -1;
        }
        /* out of range: the text path lets the server report it as it does for Django */
        if (overflow || (size == 2 && (x < INT16_MIN || x > INT16_MAX)) ||
            (size == 4 && (x < INT32_MIN || x > INT32_MAX))) {
            return 1;
        }
        return djf_pgbin_status(djf_pgbin_int(b, (int64_t)x, size));
    }
    case DJF_PGT_FLOAT8: {
        double d;
        uint64_t u;

        if (!PyFloat_CheckExact(v)) {
            return 1;
        }
        d = PyFloat_AS_DOUBLE(v);
        /* bulk_create sends SQL text, and PostgreSQL reads "-0.0" as minus applied to 0: it
         * stores 0. Store what it stores. */
        if (d == 0.0) {
            d = 0.0;
        }
        memcpy(&u, &d, sizeof u);
        return djf_pgbin_status(djf_pgbin_int(b, (int64_t)u, 8));
    }
    case DJF_PGT_NUMERIC: {
        PyObject *s;
        Py_ssize_t n;
        const char *u;
        djf_status ds;

        if (!Py_IS_TYPE(v, (PyTypeObject *)st->decimal_type)) {
            return 1;
        }
        s = PyObject_Str(v);
        if (s == NULL) {
            return -1;
        }
        u = PyUnicode_AsUTF8AndSize(s, &n);
        if (u == NULL) {
            Py_DECREF(s);
            return -1;
        }
        ds = djf_pgbin_numeric(b, u, (size_t)n);
        Py_DECREF(s);
        if (ds == DJF_EINVAL) {
            return 1; /* NaN & co: the fallback raises Django's ValidationError */
        }
        return djf_pgbin_status(ds);
    }
    case DJF_PGT_BOOL:
        if (v != Py_True && v != Py_False) {
            return 1;
        }
        return djf_pgbin_status(djf_pgbin_field(b, v == Py_True ? "\1" : "\0", 1));
    case DJF_PGT_TEXT: {
        Py_ssize_t n;
        const char *u;

        if (!PyUnicode_Check(v)) {
            return 1;
        }
        u = PyUnicode_AsUTF8AndSize(v, &n);
        if (u == NULL) {
            return -1;
        }
        if (memchr(u, 0, (size_t)n) != NULL) {
            PyErr_Format(PyExc_ValueError,
                         "djfast.bulk: row %zd (counting from 0), field %R: PostgreSQL text "
                         "cannot contain NUL (0x00) bytes",
                         index, PyTuple_GET_ITEM(enc->names, j));
            return -1;
        }
        return djf_pgbin_status(djf_pgbin_field(b, u, (size_t)n));
    }
    case DJF_PGT_DATE:
        if (!Py_IS_TYPE(v, api->DateType)) {
            return 1;
        }
        return djf_pgbin_status(
            djf_pgbin_int(b,
                          djf_pg_epoch_days(PyDateTime_GET_YEAR(v), PyDateTime_GET_MONTH(v),
                                            PyDateTime_GET_DAY(v)),
                          4));
    case DJF_PGT_TIMESTAMPTZ: {
        djf_datetime dt;
        int aware = 0;
        int r;

        if (!Py_IS_TYPE(v, api->DateTimeType)) {
            return 1;
        }
        r = djf_bulk_datetime_fields(enc, v, &dt, &aware);
        if (r != 0) {
            return r;
        }
        if (!aware) {
            return 1; /* naive without USE_TZ: the server applies its session time zone */
        }
        return djf_pgbin_status(djf_pgbin_int(b, djf_pg_epoch_us(&dt), 8));
    }
    case DJF_PGT_TIME: {
        int64_t us;

        if (!Py_IS_TYPE(v, api->TimeType) || PyDateTime_TIME_GET_TZINFO(v) != Py_None) {
            return 1;
        }
        us = ((int64_t)PyDateTime_TIME_GET_HOUR(v) * 3600 + PyDateTime_TIME_GET_MINUTE(v) * 60 +
              PyDateTime_TIME_GET_SECOND(v)) *
                 1000000 +
             PyDateTime_TIME_GET_MICROSECOND(v);
        return djf_pgbin_status(djf_pgbin_int(b, us, 8));
    }
    case DJF_PGT_UUID: {
        unsigned char raw[16];

        if (!Py_IS_TYPE(v, (PyTypeObject *)st->uuid_type)) {
            return 1;
        }
        if (djf_bulk_uuid_bytes(enc, v, raw) < 0) {
            return -1;
        }
        return djf_pgbin_status(djf_pgbin_field(b, raw, 16));
    }
    case DJF_PGT_BYTEA: {
        Py_buffer view;
        int r;

        if (PyBytes_CheckExact(v)) {
            return djf_pgbin_status(
                djf_pgbin_field(b, PyBytes_AS_STRING(v), (size_t)PyBytes_GET_SIZE(v)));
        }
        if (!PyByteArray_Check(v) && !PyMemoryView_Check(v)) {
            return 1;
        }
        if (PyObject_GetBuffer(v, &view, PyBUF_SIMPLE) < 0) {
            return -1;
        }
        r = djf_pgbin_status(djf_pgbin_field(b, view.buf, (size_t)view.len));
        PyBuffer_Release(&view);
        return r;
    }
    default:
        return 1;
    }
}

/* Appends column j's value (fast path, else through the Python fallback). Returns 0, 1 when
 * the value has no exact binary form, or -1 with an exception set. */
static int djf_pgbin_column(djf_bulk_encoder *enc, djf_buf *b, int t, PyObject *v, Py_ssize_t index,
                            Py_ssize_t j)
{
    PyObject *prepared;
    int rc;

    if (v == Py_None) {
        return djf_pgbin_status(djf_buf_append(b, "\377\377\377\377", 4)); /* length -1 */
    }
    rc = djf_pgbin_value(enc, b, t, v, index, j);
    if (rc != 1) {
        return rc;
    }
    prepared = PyObject_CallOneArg(PyTuple_GET_ITEM(enc->fallbacks, j), v);
    if (prepared == NULL) {
        return -1;
    }
    if (prepared == Py_None) {
        rc = djf_pgbin_column(enc, b, t, prepared, index, j);
    } else {
        rc = djf_pgbin_value(enc, b, t, prepared, index, j);
    }
    Py_DECREF(prepared);
    return rc;
}

PyObject *djf_bulk_pg_copy_binary(djf_bulk_encoder *enc, PyObject *const *args, Py_ssize_t nargs)
{
    static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    djf_buf b = {0};
    PyObject *rows;
    PyObject *row = NULL;
    PyObject *full = NULL;
    PyObject *payload = NULL;
    PyObject *res = NULL;
    PyObject **vals = NULL;
    int *types = NULL;
    Py_ssize_t offset;
    Py_ssize_t stop;
    Py_ssize_t r;
    Py_ssize_t j;
    Py_ssize_t nvals = 0;

    if (nargs != 3 || !PyList_Check(args[0]) || !PyTuple_Check(args[2]) ||
        PyTuple_GET_SIZE(args[2]) != enc->ncols) {
        PyErr_SetString(PyExc_TypeError,
                        "pg_copy_binary(rows: list, offset: int, pgtypes: tuple per column)");
        return NULL;
    }
    rows = args[0];
    offset = PyLong_AsSsize_t(args[1]);
    if (offset == -1 && PyErr_Occurred()) {
        return NULL;
    }
    vals = PyMem_New(PyObject *, (size_t)enc->ncols);
    types = PyMem_New(int, (size_t)enc->ncols);
    if (vals == NULL || types == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    for (j = 0; j < enc->ncols; j++) {
        long t = PyLong_AsLong(PyTuple_GET_ITEM(args[2], j));
        if (t == -1 && PyErr_Occurred()) {
            goto error;
        }
        if (t <= DJF_PGT_NONE || t >= DJF_PGT_COUNT) {
            PyErr_Format(PyExc_ValueError, "pg_copy_binary: bad type code %ld", t);
            goto error;
        }
        types[j] = (int)t;
    }
    if (djf_pgbin_status(djf_buf_append(&b, header, sizeof header)) < 0) {
        goto error;
    }
    stop = PyList_GET_SIZE(rows);
    for (r = 0; r < PyList_GET_SIZE(rows); r++) {
        size_t row_start = b.len;
        unsigned char count[2];
        int cant = 0;

        row = Py_NewRef(PyList_GET_ITEM(rows, r));
        if (djf_bulk_check_row(enc, row, offset + r) < 0) {
            goto error;
        }
        /* every value of the row first: defaults are called once even if the row ends up in
         * the text COPY */
        for (nvals = 0; nvals < enc->ncols; nvals++) {
            vals[nvals] = djf_bulk_row_value(enc, row, nvals);
            if (vals[nvals] == NULL) {
                djf_bulk_fail_at(enc, offset + r, nvals);
                goto error;
            }
        }
        count[0] = (unsigned char)((enc->ncols >> 8) & 0xff);
        count[1] = (unsigned char)(enc->ncols & 0xff);
        if (djf_pgbin_status(djf_buf_append(&b, count, 2)) < 0) {
            goto error;
        }
        for (j = 0; j < enc->ncols; j++) {
            int rc = djf_pgbin_column(enc, &b, types[j], vals[j], offset + r, j);
            if (rc < 0) {
                djf_bulk_fail_at(enc, offset + r, j);
                goto error;
            }
            if (rc == 1) {
                cant = 1;
                break;
            }
        }
        if (cant) {
            b.len = row_start;
            full = PyList_New(enc->ncols);
            if (full == NULL) {
                goto error;
            }
            for (j = 0; j < enc->ncols; j++) {
                PyList_SET_ITEM(full, j, vals[j]); /* the list takes the references */
                vals[j] = NULL;
            }
            nvals = 0;
            stop = r;
            Py_CLEAR(row);
            break;
        }
        for (j = 0; j < nvals; j++) {
            Py_CLEAR(vals[j]);
        }
        nvals = 0;
        Py_CLEAR(row);
    }
    if (djf_pgbin_status(djf_buf_append(&b, "\377\377", 2)) < 0) {
        goto error;
    }
    payload = PyBytes_FromStringAndSize(b.data, (Py_ssize_t)b.len);
    if (payload == NULL) {
        goto error;
    }
    res = Py_BuildValue("(NnO)", payload, stop, full != NULL ? full : Py_None);
    payload = NULL;
error:
    for (j = 0; j < nvals; j++) {
        Py_XDECREF(vals[j]);
    }
    Py_XDECREF(row);
    Py_XDECREF(full);
    Py_XDECREF(payload);
    PyMem_Free(vals);
    PyMem_Free(types);
    djf_buf_free(&b);
    return res;
}
