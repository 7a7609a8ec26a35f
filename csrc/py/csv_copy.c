/* djfast._djfast: csv binding for the native read path of djfast.csv_native: CSVFeed.
 *
 * A CSVFeed writes rows read straight from a database into a CSVWriter's format, in chunks of
 * about chunk_size bytes cut at the same row boundaries as CSVChunks:
 *   - rows(batch, converters, kinds): DB-API rows (SQLite, MariaDB), with an optional
 *     one-argument callable per column applied to each value first (Django's converters), and
 *     per column a kind saying when C may write a value without it; the DJF_ROWS_RAW_* kinds
 *     take the driver's raw text (MariaDB) and write it with csrc/core/text_read.h, the
 *     DJF_ROWS_ISO_* and DJF_ROWS_DECIMAL_QUANTIZE kinds SQLite's values read as stored, with
 *     csrc/core/dbtext.h (rows' fourth argument: per column (sig, places, max_digits) or None);
 *   - copy(messages, kinds, loaders): PostgreSQL binary COPY data (csrc/core/copy_read.h), each
 *     column decoded in C by its kind, or loaded in Python by its loader (called with the
 *     field's bytes or None) when the kind is DJF_FEED_PY or C has no exact text for a value.
 */
#include "module.h"

#include "copy_read.h"
#include "dbtext.h"
#include "fmt.h"
#include "text_read.h"

/* Column kinds of copy(); djfast/csv_native.py names the same numbers. */
enum {
    DJF_FEED_PY = 0,
    DJF_FEED_INT = 1,
    DJF_FEED_FLOAT = 2,
    DJF_FEED_NUMERIC = 3,
    DJF_FEED_BOOL = 4,
    DJF_FEED_TEXT = 5,
    DJF_FEED_DATE = 6,
    DJF_FEED_TIME = 7,
    DJF_FEED_TIMESTAMP = 8,
    DJF_FEED_TIMESTAMPTZ_UTC = 9,
    DJF_FEED_UUID = 10,
    DJF_FEED_NKINDS = 11
};

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

#define DJF_FEED_NUMERIC_MAX 1100 /* numeric text longer than this goes through Python */

typedef struct djf_csv_feed_obj {
    PyObject_HEAD djf_csv_writer_obj *writer;
    djf_buf buf;
    Py_ssize_t chunk_size;
    int header_read; /* copy(): the COPY header was consumed */
    int ended;       /* copy(): the trailer was seen */
    int busy;
} djf_csv_feed_obj;

/* Moves the buffer into a new bytes object appended to `chunks`. Returns 0, or -1 with an
 * exception set. */
static int djf_feed_take(djf_csv_feed_obj *f, PyObject *chunks)
{
    PyObject *b = PyBytes_FromStringAndSize(f->buf.len ? f->buf.data : "", (Py_ssize_t)f->buf.len);
    int rc;

    if (b == NULL) {
        return -1;
    }
    rc = PyList_Append(chunks, b);
    Py_DECREF(b);
    if (rc == 0) {
        djf_buf_clear(&f->buf);
    }
    return rc;
}

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

/* Writes repr(d) into text (DJF_COPY_TEXT_MAX bytes). Returns the length, 0 when it does not
 * fit, or -1 with an exception set. */
static Py_ssize_t djf_feed_fmt_double(char *text, double d)
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
        n = djf_feed_fmt_double(text, d);
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

/* rows(batch, converters=None, kinds=None, decimals=None) -> list of bytes chunks. */
static PyObject *djf_feed_rows(djf_csv_feed_obj *f, PyObject *const *args, Py_ssize_t nargs)
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
        if (f->buf.len >= (size_t)f->chunk_size && djf_feed_take(f, chunks) < 0) {
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

/* Loads a field through Python (loader(bytes | None)) and appends the value. Returns 0, or -1
 * with an exception set. */
static int djf_feed_loaded(djf_state *st, djf_csv_feed_obj *f, djf_csv_row *r, PyObject *loader,
                           const unsigned char *data, int32_t len)
{
    PyObject *raw = len < 0 ? Py_NewRef(Py_None)
                            : PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)len);
    PyObject *v = NULL;
    int res = -1;

    if (raw == NULL) {
        return -1;
    }
    v = PyObject_CallOneArg(loader, raw);
    if (v != NULL) {
        res = djf_csv_append_value(st, f->writer, r, &f->buf, v, 1);
    }
    Py_XDECREF(v);
    Py_DECREF(raw);
    return res;
}

/* Appends one COPY field of the given kind. Returns 0, or -1 with an exception set. */
static int djf_feed_field(djf_state *st, djf_csv_feed_obj *f, djf_csv_row *r, int kind,
                          PyObject *loader, const unsigned char *data, int32_t len)
{
    char text[DJF_FEED_NUMERIC_MAX];
    size_t n = 0;
    int number = 0;
    double d;

    if (kind == DJF_FEED_PY) {
        return djf_feed_loaded(st, f, r, loader, data, len);
    }
    if (len < 0) {
        return djf_csv_append_value(st, f->writer, r, &f->buf, Py_None, 1);
    }
    switch (kind) {
    case DJF_FEED_INT:
        n = djf_copy_fmt_int(text, data, len);
        number = 1;
        break;
    case DJF_FEED_FLOAT:
        number = 1;
        if (djf_copy_get_double(data, len, &d)) {
            Py_ssize_t m = djf_feed_fmt_double(text, d);
            if (m < 0) {
                return -1;
            }
            n = (size_t)m;
        }
        break;
    case DJF_FEED_NUMERIC:
        n = djf_copy_fmt_numeric(text, sizeof text, data, len);
        number = 1;
        break;
    case DJF_FEED_BOOL:
        n = djf_copy_fmt_bool(text, data, len);
        number = 1;
        break;
    case DJF_FEED_TEXT:
        return djf_csv_append_utf8(st, f->writer, r, &f->buf, (const char *)data, (size_t)len, 1);
    case DJF_FEED_DATE:
        n = djf_copy_fmt_date(text, data, len);
        break;
    case DJF_FEED_TIME:
        n = djf_copy_fmt_time(text, data, len);
        break;
    case DJF_FEED_TIMESTAMP:
        n = djf_copy_fmt_timestamp(text, data, len, "");
        break;
    case DJF_FEED_TIMESTAMPTZ_UTC:
        n = djf_copy_fmt_timestamp(text, data, len, "+00:00");
        break;
    case DJF_FEED_UUID:
        n = djf_copy_fmt_uuid(text, data, len);
        number = 1; /* uuid.UUID has __int__: csv counts it as a number */
        break;
    default:
        break;
    }
    if (n == 0) { /* no exact text here (out of range, NaN...): Python decides, or raises */
        return djf_feed_loaded(st, f, r, loader, data, len);
    }
    return djf_csv_append_formatted(st, f->writer, r, &f->buf, text, n, number, 1);
}

/* Appends the rows of one COPY message. Returns 0, or -1 with an exception set. */
static int djf_feed_message(djf_state *st, djf_csv_feed_obj *f, const unsigned char *p, size_t n,
                            const unsigned char *kinds, PyObject *loaders, PyObject *chunks)
{
    size_t pos = 0;
    Py_ssize_t ncol = PyTuple_GET_SIZE(loaders);
    const unsigned char *data;
    int32_t len;
    int nfields;
    Py_ssize_t j;
    djf_csv_row r;

    if (!f->header_read) {
        if (djf_copy_read_header(p, n, &pos) != DJF_OK) {
            PyErr_SetString(PyExc_ValueError, "not a binary COPY stream");
            return -1;
        }
        f->header_read = 1;
    }
    while (pos < n && !f->ended) {
        if (djf_copy_read_count(p, n, &pos, &nfields) != DJF_OK) {
            goto malformed;
        }
        if (nfields == -1) {
            f->ended = 1;
            break;
        }
        if (nfields != ncol) {
            PyErr_Format(PyExc_ValueError, "COPY row has %d fields, %zd expected", nfields, ncol);
            return -1;
        }
        djf_csv_row_begin(&r, &f->buf);
        for (j = 0; j < ncol; j++) {
            if (djf_copy_read_field(p, n, &pos, &data, &len) != DJF_OK) {
                f->buf.len = r.start;
                goto malformed;
            }
            if (djf_feed_field(st, f, &r, kinds[j], PyTuple_GET_ITEM(loaders, j), data, len) < 0) {
                f->buf.len = r.start;
                return -1;
            }
        }
        if (djf_csv_end_row(st, f->writer, &r, &f->buf, 1) < 0) {
            return -1;
        }
        if (f->buf.len >= (size_t)f->chunk_size && djf_feed_take(f, chunks) < 0) {
            return -1;
        }
    }
    return 0;
malformed:
    PyErr_SetString(PyExc_ValueError, "malformed binary COPY data");
    return -1;
}

/* What copy() and pull() check first: every kind known, the feed not in use. Marks the feed
 * busy and returns a new empty list for the chunks, or NULL with an exception set. */
static PyObject *djf_feed_begin_copy(djf_csv_feed_obj *f, PyObject *kinds)
{
    PyObject *chunks;
    Py_ssize_t i;

    for (i = 0; i < PyBytes_GET_SIZE(kinds); i++) {
        if ((unsigned char)PyBytes_AS_STRING(kinds)[i] >= DJF_FEED_NKINDS) {
            PyErr_SetString(PyExc_ValueError, "unknown column kind");
            return NULL;
        }
    }
    if (f->busy) {
        PyErr_SetString(PyExc_RuntimeError, "CSVFeed is already in use");
        return NULL;
    }
    chunks = PyList_New(0);
    if (chunks != NULL) {
        f->busy = 1;
    }
    return chunks;
}

/* copy(messages, kinds, loaders) -> list of bytes chunks. */
static PyObject *djf_feed_copy(djf_csv_feed_obj *f, PyObject *const *args, Py_ssize_t nargs)
{
    djf_state *st = djf_state_from_type(Py_TYPE(f));
    PyObject *chunks = NULL;
    PyObject *msgs;
    PyObject *kinds;
    PyObject *loaders;
    Py_buffer view;
    Py_ssize_t i;
    int rc;

    if (st == NULL) {
        return NULL;
    }
    if (nargs != 3 || !PyList_Check(args[0]) || !PyBytes_Check(args[1]) ||
        !PyTuple_Check(args[2]) || PyBytes_GET_SIZE(args[1]) != PyTuple_GET_SIZE(args[2])) {
        PyErr_SetString(PyExc_TypeError,
                        "copy(messages: list, kinds: bytes, loaders: tuple of the same length)");
        return NULL;
    }
    msgs = args[0];
    kinds = args[1];
    loaders = args[2];
    chunks = djf_feed_begin_copy(f, kinds);
    if (chunks == NULL) {
        return NULL;
    }
    for (i = 0; i < PyList_GET_SIZE(msgs); i++) {
        if (PyObject_GetBuffer(PyList_GET_ITEM(msgs, i), &view, PyBUF_SIMPLE) < 0) {
            goto error;
        }
        rc = djf_feed_message(st, f, (const unsigned char *)view.buf, (size_t)view.len,
                              (const unsigned char *)PyBytes_AS_STRING(kinds), loaders, chunks);
        PyBuffer_Release(&view);
        if (rc < 0) {
            goto error;
        }
    }
    f->busy = 0;
    return chunks;
error:
    Py_XDECREF(chunks);
    f->busy = 0;
    return NULL;
}

/* libpq's PQgetCopyData and PQfreemem, as djfast/db/postgresql.py finds them in the libpq
 * the connection itself uses (no link-time dependency on libpq). */
typedef int (*djf_pq_getcopydata)(void *conn, char **buffer, int async);
typedef void (*djf_pq_freemem)(void *ptr);

/* Returns 0 and the C pointer an int argument holds, or -1 with an exception set. */
static int djf_feed_pointer(PyObject *obj, void **out)
{
    void *p;

    if (!PyLong_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "pull(): pointers must be ints");
        return -1;
    }
    p = PyLong_AsVoidPtr(obj);
    if (p == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "pull(): NULL pointer");
        }
        return -1;
    }
    *out = p;
    return 0;
}

/* pull(pgconn, getcopydata, freemem, kinds, loaders) -> (chunks, status).
 * Reads COPY OUT messages with libpq's own PQgetCopyData on the connection pointer (GIL
 * released while it waits for the server) and writes them as copy() does, until at least one
 * chunk is ready or the COPY ends. status: 1 more to read, 0 the COPY ended (PQgetCopyData
 * returned -1: collect its result next), -1 libpq reported an error (-2: collect the result,
 * which holds it). The caller holds the connection for the duration (its owning thread). */
static PyObject *djf_feed_pull(djf_csv_feed_obj *f, PyObject *const *args, Py_ssize_t nargs)
{
    djf_state *st = djf_state_from_type(Py_TYPE(f));
    PyObject *chunks = NULL;
    PyObject *res = NULL;
    void *conn = NULL;
    void *fp = NULL;
    djf_pq_getcopydata getcopydata = NULL;
    djf_pq_freemem freemem = NULL;
    PyObject *kinds;
    PyObject *loaders;
    char *msg = NULL;
    int status = 1;
    int n;
    int rc;

    if (st == NULL) {
        return NULL;
    }
    if (nargs != 5 || !PyBytes_Check(args[3]) || !PyTuple_Check(args[4]) ||
        PyBytes_GET_SIZE(args[3]) != PyTuple_GET_SIZE(args[4])) {
        PyErr_SetString(PyExc_TypeError, "pull(pgconn: int, getcopydata: int, freemem: int, "
                                         "kinds: bytes, loaders: tuple of the same length)");
        return NULL;
    }
    if (djf_feed_pointer(args[0], &conn) < 0 || djf_feed_pointer(args[1], &fp) < 0) {
        return NULL;
    }
    memcpy(&getcopydata, &fp, sizeof(fp));
    if (djf_feed_pointer(args[2], &fp) < 0) {
        return NULL;
    }
    memcpy(&freemem, &fp, sizeof(fp));
    kinds = args[3];
    loaders = args[4];
    chunks = djf_feed_begin_copy(f, kinds);
    if (chunks == NULL) {
        return NULL;
    }
    while (PyList_GET_SIZE(chunks) == 0) {
        n = getcopydata(conn, &msg, 1); /* a message libpq has already read, if any */
        if (n == 0) {
            Py_BEGIN_ALLOW_THREADS n = getcopydata(conn, &msg, 0); /* wait for the server */
            Py_END_ALLOW_THREADS
        }
        if (n < 0) {
            status = n == -1 ? 0 : -1;
            break;
        }
        rc = djf_feed_message(st, f, (const unsigned char *)msg, (size_t)n,
                              (const unsigned char *)PyBytes_AS_STRING(kinds), loaders, chunks);
        freemem(msg);
        msg = NULL;
        if (rc < 0) {
            goto done;
        }
    }
    res = Py_BuildValue("(Oi)", chunks, status);
done:
    Py_XDECREF(chunks);
    f->busy = 0;
    return res;
}

/* flush() -> bytes: everything buffered (possibly b""). */
static PyObject *djf_feed_flush(djf_csv_feed_obj *f, PyObject *unused)
{
    PyObject *b;

    if (f->busy) {
        PyErr_SetString(PyExc_RuntimeError, "CSVFeed is already in use");
        return NULL;
    }
    b = PyBytes_FromStringAndSize(f->buf.len ? f->buf.data : "", (Py_ssize_t)f->buf.len);
    if (b != NULL) {
        djf_buf_free(&f->buf);
    }
    return b;
}

static PyObject *djf_feed_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"writer", "header", "prefix", "chunk_size", NULL};
    djf_state *st = djf_state_from_type(type);
    PyObject *writer = NULL;
    PyObject *header = Py_None;
    PyObject *prefix = NULL;
    Py_ssize_t chunk_size = 0;
    djf_csv_feed_obj *f = NULL;
    int rc;

    if (st == NULL || !PyArg_ParseTupleAndKeywords(args, kwds, "O!|OSn:CSVFeed", kwlist,
                                                   (PyTypeObject *)st->csv.writer_type, &writer,
                                                   &header, &prefix, &chunk_size)) {
        return NULL;
    }
    f = (djf_csv_feed_obj *)type->tp_alloc(type, 0);
    if (f == NULL) {
        return NULL;
    }
    f->writer = (djf_csv_writer_obj *)Py_NewRef(writer);
    f->chunk_size = chunk_size > 0 ? chunk_size : f->writer->chunk_size;
    if (prefix != NULL) {
        rc = djf_buf_append(&f->buf, PyBytes_AS_STRING(prefix), (size_t)PyBytes_GET_SIZE(prefix));
        if (rc != DJF_OK) {
            djf_raise_status(rc, "CSVFeed");
            goto error;
        }
    }
    if (header != Py_None && djf_csv_append_row(st, f->writer, &f->buf, header, 1) < 0) {
        goto error;
    }
    return (PyObject *)f;
error:
    Py_DECREF(f);
    return NULL;
}

static int djf_feed_traverse(djf_csv_feed_obj *f, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(f));
    Py_VISIT(f->writer);
    return 0;
}

static int djf_feed_clear(djf_csv_feed_obj *f)
{
    Py_CLEAR(f->writer);
    return 0;
}

static void djf_feed_dealloc(djf_csv_feed_obj *f)
{
    PyTypeObject *tp = Py_TYPE(f);

    PyObject_GC_UnTrack(f);
    djf_feed_clear(f);
    djf_buf_free(&f->buf);
    tp->tp_free((PyObject *)f);
    Py_DECREF(tp);
}

static PyMethodDef djf_feed_methods[] = {
    {"rows", (PyCFunction)(void (*)(void))djf_feed_rows, METH_FASTCALL,
     "rows(batch, converters=None, kinds=None, decimals=None) -> list of chunks: DB-API row "
     "tuples as CSV."},
    {"copy", (PyCFunction)(void (*)(void))djf_feed_copy, METH_FASTCALL,
     "copy(messages, kinds, loaders) -> list of chunks: binary COPY data as CSV."},
    {"pull", (PyCFunction)(void (*)(void))djf_feed_pull, METH_FASTCALL,
     "pull(pgconn, getcopydata, freemem, kinds, loaders) -> (chunks, status): binary COPY read "
     "with libpq's own calls (internal: djfast.db.postgresql)."},
    {"flush", (PyCFunction)djf_feed_flush, METH_NOARGS,
     "flush() -> bytes: everything buffered (possibly b'')."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot djf_feed_slots[] = {
    {Py_tp_new, djf_feed_new},
    {Py_tp_dealloc, djf_feed_dealloc},
    {Py_tp_traverse, djf_feed_traverse},
    {Py_tp_clear, djf_feed_clear},
    {Py_tp_methods, djf_feed_methods},
    {Py_tp_doc, "CSVFeed(writer, header=None, prefix=b'', chunk_size=0): rows read from a "
                "database as a CSVWriter's chunks (djfast.csv_native)."},
    {0, NULL},
};

static PyType_Spec djf_feed_spec = {
    .name = "djfast._djfast.CSVFeed",
    .basicsize = sizeof(djf_csv_feed_obj),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = djf_feed_slots,
};

int djf_csv_feed_exec(PyObject *module, djf_state *st)
{
    st->csv.feed_type = PyType_FromModuleAndSpec(module, &djf_feed_spec, NULL);
    if (st->csv.feed_type == NULL ||
        PyModule_AddObjectRef(module, "CSVFeed", st->csv.feed_type) < 0) {
        return -1;
    }
    return 0;
}
