/* djfast._djfast: CSVFeed.rows() (see csv_copy.c for the type): DB-API rows (SQLite, MariaDB)
 * written in C, each column by its kind, or converted in Python by its callable. */
#include "csv_feed.h"

#include "dbtext.h"
#include "fmt.h"
#include "text_read.h"

/* Column kinds of rows(): values C may write without calling the column's converter, because
 * the converter is known to return them unchanged (or as given here); anything else is
 * converted in Python. djfast/db/base.py names the same numbers. */
enum {
    DJF_ROWS_CONVERT = 0,      /* call the converter (or write as is without one) */
    DJF_ROWS_DATETIME_UTC = 1, /* naive datetime -> str() of it made aware in UTC */
    DJF_ROWS_DATE = 2,         /* exact date: unchanged */
    DJF_ROWS_BOOL = 3,         /* exact bool unchanged; int 0/1 -> False/True */
    /* The value is the driver's raw text (bytes, or None for NULL) and C writes the text of
     * what the driver's converter and then the column's converter make of it; a text not in
     * the one known form goes to the column's callable, which converts it in Python. */
    DJF_ROWS_RAW_INT = 4,           /* int(text) */
    DJF_ROWS_RAW_DECIMAL = 5,       /* Decimal(text) */
    DJF_ROWS_RAW_FLOAT = 6,         /* float(text) */
    DJF_ROWS_RAW_BOOL = 7,          /* int(text), then 0/1 -> False/True */
    DJF_ROWS_RAW_DATE = 8,          /* a date */
    DJF_ROWS_RAW_TIME = 9,          /* a time */
    DJF_ROWS_RAW_DATETIME = 10,     /* a naive datetime */
    DJF_ROWS_RAW_DATETIME_UTC = 11, /* a datetime made aware in UTC */
    /* SQLite values read as stored (str for text; no sqlite3 type converter), None -> None: */
    DJF_ROWS_ISO_DATETIME = 12,     /* canonical text -> str() of the naive datetime */
    DJF_ROWS_ISO_DATETIME_UTC = 13, /* canonical text -> str() of it made aware in UTC */
    DJF_ROWS_ISO_DATE = 14,         /* canonical text -> str() of the date */
    DJF_ROWS_ISO_TIME = 15,         /* canonical text -> str() of the time */
    /* Django's SQLite decimal converter (dbtext.h), None -> None; float/int -> str(Decimal) */
    DJF_ROWS_DECIMAL_QUANTIZE = 16,
    DJF_ROWS_NKINDS = 17
};

/* Appends value (after converter, when not None) as a field. Steals nothing. Returns 0, or -1
 * with an exception set. */
static int djf_feed_value(djf_state *st, djf_csv_feed_obj *f, djf_csv_row *r, PyObject *value,
                          PyObject *converter)
{
    PyObject *v = NULL;
    int res;

    if (converter == Py_None) {
        return djf_csv_append_value(st, f->writer, r, &f->buf, value, 1);
    }
    v = PyObject_CallOneArg(converter, value);
    if (v == NULL) {
        return -1;
    }
    res = djf_csv_append_value(st, f->writer, r, &f->buf, v, 1);
    Py_DECREF(v);
    return res;
}

Py_ssize_t djf_csv_feed_fmt_double(char *text, double d)
{
    size_t n = djf_csv_fmt_double(text, d);
    char *s;

    if (n != 0) {
        return (Py_ssize_t)n;
    }
    s = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (s == NULL) {
        return -1;
    }
    n = strlen(s);
    if (n < DJF_COPY_TEXT_MAX) {
        memcpy(text, s, n);
    } else {
        n = 0;
    }
    PyMem_Free(s);
    return (Py_ssize_t)n;
}

/* Writes the raw text v (bytes) of a column of a DJF_ROWS_RAW_* kind. Returns 1 when written, 0
 * when the column's callable must convert it, -1 with an exception set. */
static int djf_feed_raw(djf_state *st, djf_csv_feed_obj *f, djf_csv_row *r, int kind, PyObject *v)
{
    char text[DJF_COPY_TEXT_MAX];
    const char *s;
    char *end = NULL;
    size_t len;
    Py_ssize_t n = 0;
    int number = 0;
    double d;

    if (v == Py_None) { /* NULL: the known converters all keep None */
        return djf_csv_append_value(st, f->writer, r, &f->buf, Py_None, 1) < 0 ? -1 : 1;
    }
    if (!PyBytes_Check(v)) {
        return 0;
    }
    s = PyBytes_AS_STRING(v);
    len = (size_t)PyBytes_GET_SIZE(v);
    switch (kind) {
    case DJF_ROWS_RAW_INT:
    case DJF_ROWS_RAW_DECIMAL:
        len = kind == DJF_ROWS_RAW_INT ? djf_text_int(s, len) : djf_text_decimal(s, len);
        if (len == 0) {
            return 0;
        }
        return djf_csv_append_formatted(st, f->writer, r, &f->buf, s, len, 1, 1) < 0 ? -1 : 1;
    case DJF_ROWS_RAW_FLOAT:
        if (len == 0 || len >= DJF_COPY_TEXT_MAX || s[0] == ' ') {
            return 0;
        }
        /* bytes are NUL-terminated: the parse stops at the end at the latest */
        d = PyOS_string_to_double(s, &end, NULL);
        if (d == -1.0 && PyErr_Occurred()) {
            PyErr_Clear(); /* not a float's text here: Python decides, or raises */
            return 0;
        }
        if (end != s + len) {
            return 0;
        }
        n = djf_csv_feed_fmt_double(text, d);
        number = 1;
        break;
    case DJF_ROWS_RAW_BOOL:
        if (len != 1 || (s[0] != '0' && s[0] != '1')) {
            return 0;
        }
        return djf_csv_append_value(st, f->writer, r, &f->buf, s[0] == '1' ? Py_True : Py_False,
                                    1) < 0
                   ? -1
                   : 1;
    case DJF_ROWS_RAW_DATE:
        if (djf_text_date(s, len) == 0) {
            return 0;
        }
        return djf_csv_append_formatted(st, f->writer, r, &f->buf, s, len, 0, 1) < 0 ? -1 : 1;
    case DJF_ROWS_RAW_TIME:
        n = (Py_ssize_t)djf_text_time(text, s, len);
        break;
    case DJF_ROWS_RAW_DATETIME:
    case DJF_ROWS_RAW_DATETIME_UTC:
        n = (Py_ssize_t)djf_text_timestamp(text, s, len,
                                           kind == DJF_ROWS_RAW_DATETIME ? "" : "+00:00");
        break;
    default:
        break;
    }
    if (n <= 0) {
        return n < 0 ? -1 : 0;
    }
    return djf_csv_append_formatted(st, f->writer, r, &f->buf, text, (size_t)n, number, 1) < 0 ? -1
                                                                                               : 1;
}

/* Writes the canonical ISO text of a str read raw for an ISO kind. Returns 1 when written, 0 when
 * the converter must decide, -1 with an exception set. */
static int djf_feed_iso(djf_state *st, djf_csv_feed_obj *f, djf_csv_row *r, int kind, PyObject *v)
{
    char text[DJF_TEXT_TIMESTAMP_MAX];
    const char *out = text;
    const char *s;
    size_t len;
    size_t n = 0;

    if (!PyUnicode_CheckExact(v)) {
        return 0;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(v) < 0) { /* legacy (wstr) strings before 3.12 */
        return -1;
    }
#endif
    if (!PyUnicode_IS_ASCII(v)) {
        return 0;
    }
    s = (const char *)PyUnicode_DATA(v);
    len = (size_t)PyUnicode_GET_LENGTH(v);
    switch (kind) {
    case DJF_ROWS_ISO_DATETIME:
    case DJF_ROWS_ISO_DATETIME_UTC:
        n = djf_text_timestamp(text, s, len, kind == DJF_ROWS_ISO_DATETIME_UTC ? "+00:00" : "");
        break;
    case DJF_ROWS_ISO_DATE:
        n = djf_text_date(s, len); /* the text is str() of the date */
        out = s;
        break;
    default:
        n = djf_text_time(text, s, len);
        break;
    }
    if (n == 0) {
        return 0;
    }
    return djf_csv_append_formatted(st, f->writer, r, &f->buf, out, n, 0, 1) < 0 ? -1 : 1;
}

/* Writes the text of Django's SQLite decimal converter for an exact float or int. Returns 1 when
 * written, 0 when the converter must decide, -1 with an exception set. */
static int djf_feed_decimal(djf_state *st, djf_csv_feed_obj *f, djf_csv_row *r,
                            const djf_dbtext_decimal *spec, PyObject *v)
{
    char text[DJF_FEED_NUMERIC_MAX];
    size_t n = 0;

    if (PyFloat_CheckExact(v)) {
        n = djf_dbtext_decimal_double(text, sizeof text, PyFloat_AS_DOUBLE(v), spec);
    } else if (PyLong_CheckExact(v)) {
        int overflow = 0;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (x == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (!overflow) {
            n = djf_dbtext_decimal_int64(text, sizeof text, (int64_t)x, spec);
        }
    }
    if (n == 0) {
        return 0;
    }
    return djf_csv_append_formatted(st, f->writer, r, &f->buf, text, n, 1, 1) < 0 ? -1 : 1;
}

/* Writes value v of a column of the given rows() kind without its converter when the kind
 * allows it. Returns 1 when written, 0 when the converter must decide, -1 with an exception
 * set. */
static int djf_feed_known(djf_state *st, djf_csv_feed_obj *f, djf_csv_row *r, int kind,
                          const djf_dbtext_decimal *spec, PyObject *v)
{
    PyDateTime_CAPI *api = st->datetime_api;
    char text[DJF_COPY_TEXT_MAX];
    size_t n;

    if (kind >= DJF_ROWS_ISO_DATETIME) { /* the converters of these kinds keep None */
        if (v == Py_None) {
            return djf_csv_append_value(st, f->writer, r, &f->buf, v, 1) < 0 ? -1 : 1;
        }
        if (kind == DJF_ROWS_DECIMAL_QUANTIZE) {
            return djf_feed_decimal(st, f, r, spec, v);
        }
        return djf_feed_iso(st, f, r, kind, v);
    }
    if (kind >= DJF_ROWS_RAW_INT) {
        return djf_feed_raw(st, f, r, kind, v);
    }
    if (kind == DJF_ROWS_DATETIME_UTC && Py_TYPE(v) == api->DateTimeType &&
        PyDateTime_DATE_GET_TZINFO(v) == Py_None && PyDateTime_GET_YEAR(v) >= 1) {
        n = djf_fmt_date(text, PyDateTime_GET_YEAR(v), PyDateTime_GET_MONTH(v),
                         PyDateTime_GET_DAY(v));
        text[n++] = ' ';
        n += djf_fmt_time(text + n, PyDateTime_DATE_GET_HOUR(v), PyDateTime_DATE_GET_MINUTE(v),
                          PyDateTime_DATE_GET_SECOND(v), PyDateTime_DATE_GET_MICROSECOND(v));
        memcpy(text + n, "+00:00", 6);
        n += 6;
        return djf_csv_append_formatted(st, f->writer, r, &f->buf, text, n, 0, 1) < 0 ? -1 : 1;
    }
    if (kind == DJF_ROWS_DATE && Py_TYPE(v) == api->DateType) {
        return djf_csv_append_value(st, f->writer, r, &f->buf, v, 1) < 0 ? -1 : 1;
    }
    if (kind == DJF_ROWS_BOOL && (PyBool_Check(v) || PyLong_CheckExact(v))) {
        int overflow = 0;
        long x = PyBool_Check(v) ? (v == Py_True) : PyLong_AsLongAndOverflow(v, &overflow);
        if (x == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (overflow || (x != 0 && x != 1)) {
            return 0;
        }
        return djf_csv_append_value(st, f->writer, r, &f->buf, x ? Py_True : Py_False, 1) < 0 ? -1
                                                                                              : 1;
    }
    return 0;
}

/* Reads rows()' decimals argument: per column None or (sig, places, max_digits), the latter
 * required for the DJF_ROWS_DECIMAL_QUANTIZE columns. Returns 0, or -1 with an exception set. */
static int djf_feed_decimal_specs(PyObject *decimals, PyObject *kinds, djf_dbtext_decimal *specs,
                                  Py_ssize_t ncol)
{
    Py_ssize_t j;
    int k;

    for (j = 0; j < ncol; j++) {
        PyObject *item = decimals == Py_None ? Py_None : PyTuple_GET_ITEM(decimals, j);
        int kind = kinds == Py_None ? 0 : (unsigned char)PyBytes_AS_STRING(kinds)[j];
        int *fields[3] = {&specs[j].sig, &specs[j].places, &specs[j].max_digits};

        specs[j].sig = specs[j].places = specs[j].max_digits = 0;
        if (item == Py_None) {
            if (kind == DJF_ROWS_DECIMAL_QUANTIZE) {
                PyErr_SetString(PyExc_ValueError, "a decimal column needs its (sig, places, "
                                                  "max_digits)");
                return -1;
            }
            continue;
        }
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 3) {
            PyErr_SetString(PyExc_TypeError, "decimals: (sig, places, max_digits) or None");
            return -1;
        }
        for (k = 0; k < 3; k++) {
            long x = PyLong_AsLong(PyTuple_GET_ITEM(item, k));
            if (x == -1 && PyErr_Occurred()) {
                return -1;
            }
            if (x < 0 || x > INT_MAX) {
                PyErr_SetString(PyExc_ValueError, "decimals: values out of range");
                return -1;
            }
            *fields[k] = (int)x;
        }
    }
    return 0;
}

PyObject *djf_csv_feed_rows(djf_csv_feed_obj *f, PyObject *const *args, Py_ssize_t nargs)
{
    djf_state *st = djf_state_from_type(Py_TYPE(f));
    PyObject *batch = NULL;
    PyObject *convs = Py_None;
    PyObject *kinds = Py_None;
    PyObject *decimals = Py_None;
    PyObject *chunks = NULL;
    PyObject *row;
    djf_dbtext_decimal *specs = NULL;
    djf_csv_row r;
    Py_ssize_t i;
    Py_ssize_t j;
    Py_ssize_t ncol;
    int rc;

    if (st == NULL) {
        return NULL;
    }
    if (nargs < 1 || nargs > 4 || !(PyList_Check(args[0]) || PyTuple_Check(args[0]))) {
        PyErr_SetString(PyExc_TypeError, "rows(batch: list | tuple, converters: tuple | None, "
                                         "kinds: bytes | None, decimals: tuple | None)");
        return NULL;
    }
    batch = args[0];
    if (nargs >= 2) {
        convs = args[1];
    }
    if (nargs >= 3) {
        kinds = args[2];
    }
    if (nargs == 4) {
        decimals = args[3];
    }
    if (convs != Py_None && !PyTuple_Check(convs)) {
        PyErr_SetString(PyExc_TypeError, "converters must be a tuple or None");
        return NULL;
    }
    if (kinds != Py_None && (!PyBytes_Check(kinds) || convs == Py_None ||
                             PyBytes_GET_SIZE(kinds) != PyTuple_GET_SIZE(convs))) {
        PyErr_SetString(PyExc_TypeError, "kinds must be bytes, one per converter");
        return NULL;
    }
    if (decimals != Py_None && (!PyTuple_Check(decimals) || kinds == Py_None ||
                                PyTuple_GET_SIZE(decimals) != PyBytes_GET_SIZE(kinds))) {
        PyErr_SetString(PyExc_TypeError, "decimals must be a tuple, one per kind");
        return NULL;
    }
    for (j = 0; kinds != Py_None && j < PyBytes_GET_SIZE(kinds); j++) {
        if ((unsigned char)PyBytes_AS_STRING(kinds)[j] >= DJF_ROWS_NKINDS) {
            PyErr_SetString(PyExc_ValueError, "unknown column kind");
            return NULL;
        }
    }
    if (kinds != Py_None) {
        ncol = PyBytes_GET_SIZE(kinds);
        specs = PyMem_Calloc(ncol > 0 ? (size_t)ncol : 1, sizeof(*specs));
        if (specs == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        if (djf_feed_decimal_specs(decimals, kinds, specs, ncol) < 0) {
            PyMem_Free(specs);
            return NULL;
        }
    }
    if (f->busy) {
        PyErr_SetString(PyExc_RuntimeError, "CSVFeed is already in use");
        PyMem_Free(specs);
        return NULL;
    }
    f->busy = 1;
    chunks = PyList_New(0);
    if (chunks == NULL) {
        goto error;
    }
    for (i = 0; i < PySequence_Fast_GET_SIZE(batch); i++) {
        row = PySequence_Fast_GET_ITEM(batch, i);
        if (!PyTuple_Check(row)) {
            PyErr_SetString(PyExc_TypeError, "rows must be tuples");
            goto error;
        }
        ncol = PyTuple_GET_SIZE(row);
        if (convs != Py_None && PyTuple_GET_SIZE(convs) != ncol) {
            PyErr_SetString(PyExc_ValueError, "one converter per column expected");
            goto error;
        }
        djf_csv_row_begin(&r, &f->buf);
        for (j = 0; j < ncol; j++) {
            PyObject *conv = convs == Py_None ? Py_None : PyTuple_GET_ITEM(convs, j);
            int kind = kinds == Py_None ? 0 : (unsigned char)PyBytes_AS_STRING(kinds)[j];
            rc = 0;
            if (kind != DJF_ROWS_CONVERT) {
                rc = djf_feed_known(st, f, &r, kind, &specs[j], PyTuple_GET_ITEM(row, j));
            }
            if (rc < 0) {
                f->buf.len = r.start;
                goto error;
            }
            if (rc == 0 && djf_feed_value(st, f, &r, PyTuple_GET_ITEM(row, j), conv) < 0) {
                f->buf.len = r.start;
                goto error;
            }
        }
        if (djf_csv_end_row(st, f->writer, &r, &f->buf, 1) < 0) {
            goto error;
        }
        if (f->buf.len >= (size_t)f->chunk_size && djf_csv_feed_take(f, chunks) < 0) {
            goto error;
        }
    }
    f->busy = 0;
    PyMem_Free(specs);
    return chunks;
error:
    Py_XDECREF(chunks);
    f->busy = 0;
    PyMem_Free(specs);
    return NULL;
}
