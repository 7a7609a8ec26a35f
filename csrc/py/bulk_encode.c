/* djfast._djfast: BulkEncoder's value helpers shared by the backends, and the PostgreSQL
 * COPY text encoder (SQLite: bulk_sqlite.c, MariaDB/MySQL: bulk_mysql.c).
 *
 * Every value goes through the column's fast path when its type is the plain one that path
 * knows (int, float, Decimal, bool, str, date, datetime, time, UUID, bytes); anything else
 * goes through the column's Python fallback (field.get_db_prep_save, exactly as bulk_create
 * does) and then the driver's own adaptation (psycopg's dumpers, sqlite3's binding, MySQLdb's
 * literal()).
 */
#include "module.h"

#include "copy.h"
#include "fmt.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Returns 0, or -1 with an exception set. */
int djf_bulk_put(djf_buf *b, const char *s, size_t n)
{
    djf_status st = djf_buf_append(b, s, n);
    return st == DJF_OK ? 0 : djf_raise_status(st, "djfast.bulk");
}

/* Returns a new ASCII str, or NULL with an exception set. */
PyObject *djf_bulk_ascii(const char *s, size_t n)
{
    PyObject *u = PyUnicode_New((Py_ssize_t)n, 127);

    if (u != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(u), s, n);
    }
    return u;
}

/* Reads a UUID's 16 bytes (big-endian). Returns 0, or -1 with an exception set. */
int djf_bulk_uuid_bytes(djf_bulk_encoder *enc, PyObject *v, unsigned char out[16])
{
    PyObject *i = NULL;
    PyObject *shift = NULL;
    PyObject *hi = NULL;
    unsigned long long lo;
    unsigned long long h;
    int k;
    int ret = -1;

    i = PyObject_GetAttr(v, enc->st->bulk.str_int);
    if (i == NULL || !PyLong_Check(i)) {
        if (i != NULL) {
            PyErr_SetString(PyExc_TypeError, "UUID.int is not an int");
        }
        goto done;
    }
    shift = PyLong_FromLong(64);
    if (shift == NULL) {
        goto done;
    }
    hi = PyNumber_Rshift(i, shift);
    if (hi == NULL) {
        goto done;
    }
    lo = PyLong_AsUnsignedLongLongMask(i);
    h = PyLong_AsUnsignedLongLongMask(hi);
    if (PyErr_Occurred()) {
        goto done;
    }
    for (k = 0; k < 8; k++) {
        out[7 - k] = (unsigned char)(h >> (8 * k));
        out[15 - k] = (unsigned char)(lo >> (8 * k));
    }
    ret = 0;
done:
    Py_XDECREF(i);
    Py_XDECREF(shift);
    Py_XDECREF(hi);
    return ret;
}

/* Reads a datetime as the database should store it. Returns 0 (*aware says whether it was
 * converted to UTC), 1 when the value needs the Python fallback, or -1 with an exception. */
int djf_bulk_datetime_fields(djf_bulk_encoder *enc, PyObject *v, djf_datetime *dt, int *aware)
{
    int64_t off = 0;
    int r;

    if (enc->backend != DJF_BULK_POSTGRESQL && enc->use_tz && !enc->utc_ok) {
        return 1;
    }
    r = djf_bulk_utcoffset(enc, v, &off);
    if (r < 0) {
        return -1;
    }
    dt->year = PyDateTime_GET_YEAR(v);
    dt->month = PyDateTime_GET_MONTH(v);
    dt->day = PyDateTime_GET_DAY(v);
    dt->hour = PyDateTime_DATE_GET_HOUR(v);
    dt->minute = PyDateTime_DATE_GET_MINUTE(v);
    dt->second = PyDateTime_DATE_GET_SECOND(v);
    dt->us = PyDateTime_DATE_GET_MICROSECOND(v);
    *aware = r;
    if (r == 0) {
        /* naive: Django warns and applies the current time zone under USE_TZ */
        return enc->use_tz ? 1 : 0;
    }
    if (!enc->use_tz || djf_datetime_shift(dt, -off) != DJF_OK) {
        return 1;
    }
    return 0;
}

/* Returns 1 when str(Decimal) or format(Decimal, "f") text is not a finite number. */
int djf_bulk_decimal_text_special(const char *s, Py_ssize_t n)
{
    Py_ssize_t i;

    for (i = 0; i < n; i++) {
        if (s[i] == 'N' || s[i] == 'n' || s[i] == 'I') {
            return 1;
        }
    }
    return 0;
}

int djf_bulk_put_decimal(struct djf_state *st, djf_buf *b, PyObject *v, PyObject *format_spec)
{
    PyObject *s = NULL;
    const char *u;
    Py_ssize_t n;
    int r = -1;

    if (!Py_IS_TYPE(v, (PyTypeObject *)st->decimal_type)) {
        return 1;
    }
    s = format_spec == NULL ? PyObject_Str(v) : PyObject_Format(v, format_spec);
    if (s == NULL) {
        goto done;
    }
    u = PyUnicode_AsUTF8AndSize(s, &n);
    if (u == NULL) {
        goto done;
    }
    r = djf_bulk_decimal_text_special(u, n) ? 1 : djf_bulk_put(b, u, (size_t)n);
done:
    Py_XDECREF(s);
    return r;
}

/* Writes the text of a fast-path value common to PostgreSQL COPY and MySQL (numbers, dates).
 * Returns 0, 1 when the value needs the fallback, 2 when the kind is not handled here, or -1
 * with an exception set. */
int djf_bulk_put_number_or_date(djf_bulk_encoder *enc, djf_buf *b, int kind, PyObject *v)
{
    PyDateTime_CAPI *api = enc->st->datetime_api;
    char tmp[DJF_FMT_DATETIME_MAX + 8];
    size_t n;
    int quote = enc->backend == DJF_BULK_MYSQL;

    switch (kind) {
    case DJF_KIND_INT: {
        int overflow = 0;
        long long x;

        if (!PyLong_Check(v)) {
            return 1;
        }
        x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow) {
            return 1;
        }
        if (x == -1 && PyErr_Occurred()) {
            return -1;
        }
        n = djf_fmt_int64(tmp, (int64_t)x);
        return djf_bulk_put(b, tmp, n);
    }
    case DJF_KIND_DATE:
        if (!Py_IS_TYPE(v, api->DateType)) {
            return 1;
        }
        n = 0;
        if (quote) {
            tmp[n++] = '\'';
        }
        n += djf_fmt_date(tmp + n, PyDateTime_GET_YEAR(v), PyDateTime_GET_MONTH(v),
                          PyDateTime_GET_DAY(v));
        if (quote) {
            tmp[n++] = '\'';
        }
        return djf_bulk_put(b, tmp, n);
    case DJF_KIND_DATETIME: {
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
        n = 0;
        if (quote) {
            tmp[n++] = '\'';
        }
        n += djf_fmt_datetime(tmp + n, &dt, 0);
        if (quote) {
            tmp[n++] = '\'';
        } else if (aware) {
            tmp[n++] = '+';
            tmp[n++] = '0';
            tmp[n++] = '0';
        }
        return djf_bulk_put(b, tmp, n);
    }
    case DJF_KIND_TIME: {
        int us;

        if (!Py_IS_TYPE(v, api->TimeType) || PyDateTime_TIME_GET_TZINFO(v) != Py_None) {
            return 1;
        }
        n = 0;
        if (quote) {
            tmp[n++] = '\'';
        }
        us = PyDateTime_TIME_GET_MICROSECOND(v);
        n += djf_fmt_time(tmp + n, PyDateTime_TIME_GET_HOUR(v), PyDateTime_TIME_GET_MINUTE(v),
                          PyDateTime_TIME_GET_SECOND(v), us);
        if (quote) {
            /* Django's MySQL backend sends isoformat(timespec="microseconds") */
            if (us == 0) {
                int k;

                tmp[n++] = '.';
                for (k = 0; k < 6; k++) {
                    tmp[n++] = '0';
                }
            }
            tmp[n++] = '\'';
        }
        return djf_bulk_put(b, tmp, n);
    }
    default:
        return 2;
    }
}

/* ------------------------------------------------------------------ PostgreSQL COPY text */

/* Appends text escaped for COPY, refusing NUL with an error naming the row and field.
 * Returns 0, or -1 with an exception set. */
static int djf_pg_text(djf_bulk_encoder *enc, djf_buf *b, const char *s, size_t n, Py_ssize_t index,
                       Py_ssize_t j)
{
    djf_status st = djf_copy_escape(b, s, n, NULL);

    if (st == DJF_EINVAL) {
        PyErr_Format(PyExc_ValueError,
                     "djfast.bulk: row %zd (counting from 0), field %R: PostgreSQL text cannot "
                     "contain NUL (0x00) bytes",
                     index, PyTuple_GET_ITEM(enc->names, j));
        return -1;
    }
    return st == DJF_OK ? 0 : djf_raise_status(st, "djfast.bulk");
}

/* Returns 0, 1 when the value needs the fallback, or -1 with an exception set. */
static int djf_pg_value(djf_bulk_encoder *enc, djf_buf *b, int kind, PyObject *v, Py_ssize_t index,
                        Py_ssize_t j)
{
    djf_state *st = enc->st;
    int r;

    r = djf_bulk_put_number_or_date(enc, b, kind, v);
    if (r != 2) {
        return r;
    }
    switch (kind) {
    case DJF_KIND_STR: {
        Py_ssize_t n;
        const char *u;

        if (!PyUnicode_Check(v)) {
            return 1;
        }
        u = PyUnicode_AsUTF8AndSize(v, &n);
        if (u == NULL) {
            return -1;
        }
        return djf_pg_text(enc, b, u, (size_t)n, index, j);
    }
    case DJF_KIND_FLOAT: {
        char *txt;
        double d;

        if (!PyFloat_CheckExact(v)) {
            return 1;
        }
        /* -0.0 is stored as 0, as bulk_create's SQL text makes PostgreSQL do (see bulk_pgbin.c) */
        d = PyFloat_AS_DOUBLE(v);
        txt = PyOS_double_to_string(d == 0.0 ? 0.0 : d, 'r', 0, 0, NULL);
        if (txt == NULL) {
            return -1;
        }
        r = djf_bulk_put(b, txt, strlen(txt));
        PyMem_Free(txt);
        return r;
    }
    case DJF_KIND_DECIMAL:
        return djf_bulk_put_decimal(st, b, v, NULL);
    case DJF_KIND_BOOL:
        if (v == Py_True || v == Py_False) {
            return djf_bulk_put(b, v == Py_True ? "t" : "f", 1);
        }
        return 1;
    case DJF_KIND_UUID: {
        unsigned char raw[16];
        char out[DJF_FMT_UUID_MAX];

        if (!Py_IS_TYPE(v, (PyTypeObject *)st->uuid_type)) {
            return 1;
        }
        if (djf_bulk_uuid_bytes(enc, v, raw) < 0) {
            return -1;
        }
        return djf_bulk_put(b, out, djf_fmt_uuid(out, raw));
    }
    case DJF_KIND_BYTES: {
        djf_status ds;

        if (!PyBytes_CheckExact(v)) {
            return 1;
        }
        ds = djf_copy_bytea_hex(b, (const unsigned char *)PyBytes_AS_STRING(v),
                                (size_t)PyBytes_GET_SIZE(v));
        return ds == DJF_OK ? 0 : djf_raise_status(ds, "djfast.bulk");
    }
    default:
        return 1;
    }
}

/* Prepares v in Python and appends psycopg's text dump of it. Returns 0, or -1. */
static int djf_pg_fallback(djf_bulk_encoder *enc, djf_buf *b, PyObject *dump, PyObject *v,
                           Py_ssize_t index, Py_ssize_t j)
{
    PyObject *prepared = NULL;
    PyObject *data = NULL;
    Py_buffer view = {0};
    int ret = -1;

    prepared = PyObject_CallOneArg(PyTuple_GET_ITEM(enc->fallbacks, j), v);
    if (prepared == NULL) {
        goto done;
    }
    if (prepared != Py_None) {
        data = PyObject_CallOneArg(dump, prepared);
        if (data == NULL) {
            goto done;
        }
    }
    if (data == NULL || data == Py_None) {
        ret = djf_bulk_put(b, DJF_COPY_NULL, 2);
        goto done;
    }
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        goto done;
    }
    ret = djf_pg_text(enc, b, (const char *)view.buf, (size_t)view.len, index, j);
    PyBuffer_Release(&view);
done:
    Py_XDECREF(prepared);
    Py_XDECREF(data);
    return ret;
}

PyObject *djf_bulk_pg_copy(djf_bulk_encoder *enc, PyObject *const *args, Py_ssize_t nargs)
{
    djf_buf b = {0};
    PyObject *rows;
    PyObject *dump;
    PyObject *row = NULL;
    PyObject *v = NULL;
    PyObject *res = NULL;
    Py_ssize_t offset;
    Py_ssize_t r;
    Py_ssize_t j;

    if (nargs != 3 || !PyList_Check(args[0]) || !PyCallable_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "pg_copy(rows: list, offset: int, dump: callable)");
        return NULL;
    }
    rows = args[0];
    dump = args[2];
    offset = PyLong_AsSsize_t(args[1]);
    if (offset == -1 && PyErr_Occurred()) {
        return NULL;
    }
    for (r = 0; r < PyList_GET_SIZE(rows); r++) {
        row = Py_NewRef(PyList_GET_ITEM(rows, r));
        if (djf_bulk_check_row(enc, row, offset + r) < 0) {
            goto error;
        }
        for (j = 0; j < enc->ncols; j++) {
            int rc;

            if (j > 0 && djf_bulk_put(&b, "\t", 1) < 0) {
                goto error;
            }
            v = djf_bulk_row_value(enc, row, j);
            if (v == NULL) {
                djf_bulk_fail_at(enc, offset + r, j);
                goto error;
            }
            if (v == Py_None) {
                rc = djf_bulk_put(&b, DJF_COPY_NULL, 2);
            } else {
                rc = djf_pg_value(enc, &b, enc->kinds[j], v, offset + r, j);
                if (rc == 1) {
                    rc = djf_pg_fallback(enc, &b, dump, v, offset + r, j);
                }
            }
            Py_CLEAR(v);
            if (rc < 0) {
                djf_bulk_fail_at(enc, offset + r, j);
                goto error;
            }
        }
        if (djf_bulk_put(&b, "\n", 1) < 0) {
            goto error;
        }
        Py_CLEAR(row);
    }
    res = PyBytes_FromStringAndSize(b.data, (Py_ssize_t)b.len);
error:
    Py_XDECREF(row);
    Py_XDECREF(v);
    djf_buf_free(&b);
    return res;
}
