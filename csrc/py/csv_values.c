/* djfast._djfast: Python values to CSV field text, as csv.writer writes them.
 *
 * csv.writer writes a str as is, None as an empty field and anything else as str(value).
 * Exact str/int/float/bool/date/datetime/time/UUID values are formatted here in C with the
 * same text; subclasses (which may override __str__) and other types go through str().
 */
#include "module.h"

#include "fmt.h"

#define DJF_CSV_NOGIL_MIN 65536 /* release the GIL for fields at least this long */

/* Raises the exception for a core status; returns -1. `text` is the field's str, if any. */
static int djf_csv_raise(djf_state *st, djf_csv_writer_obj *w, int rc, PyObject *text)
{
    static const char *const attrs[] = {"delimiter", "quotechar", "escapechar", "lineterminator"};
    PyObject *value = NULL;
    PyObject *encoded = NULL;
    size_t i;

    switch (rc) {
    case DJF_CSV_ENEED_ESCAPE:
        PyErr_SetString(st->csv.error, "need to escape, but no escapechar set");
        return -1;
    case DJF_CSV_EEMPTY_FIELD:
        PyErr_SetString(st->csv.error, "single empty field record must be quoted");
        return -1;
    case DJF_CSV_EEMPTY_SPACE:
        PyErr_SetString(st->csv.error, "empty field must be quoted if delimiter is a space "
                                       "and skipinitialspace is true");
        return -1;
    case DJF_CSV_ESURROGATE:
        /* let the UTF-8 codec name the character and its position: the field's text first
         * (when there is one), then the dialect's characters */
        encoded = text != NULL ? PyUnicode_AsUTF8String(text) : Py_NewRef(Py_None);
        for (i = 0; encoded != NULL && i < sizeof(attrs) / sizeof(attrs[0]); i++) {
            Py_CLEAR(encoded);
            value = PyObject_GetAttrString(w->dialect, attrs[i]);
            if (value == NULL) {
                return -1;
            }
            encoded = PyUnicode_Check(value) ? PyUnicode_AsUTF8String(value) : Py_NewRef(value);
            Py_CLEAR(value);
        }
        if (encoded != NULL) {
            Py_DECREF(encoded);
            PyErr_SetString(PyExc_UnicodeError, "csv: text is not encodable as UTF-8");
        }
        return -1;
    default:
        return djf_raise_status(rc, "csv");
    }
}

/* Appends a str field. Returns 0, or -1 with an exception set. */
static int djf_csv_append_str(djf_state *st, djf_csv_writer_obj *w, djf_csv_row *r, djf_buf *out,
                              PyObject *s, int flags)
{
    int kind;
    size_t len;
    const void *data;
    int rc;

#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(s) < 0) { /* legacy (wstr) strings before 3.12 */
        return -1;
    }
#endif
    len = (size_t)PyUnicode_GET_LENGTH(s);
    data = PyUnicode_DATA(s);
    kind = PyUnicode_IS_ASCII(s) ? DJF_CSV_ASCII : (int)PyUnicode_KIND(s);
    if (len >= DJF_CSV_NOGIL_MIN) {
        /* the str is immutable and we hold a reference; the buffer is ours (w->busy) */
        Py_BEGIN_ALLOW_THREADS rc = djf_csv_field(&w->d, r, out, kind, data, len, flags);
        Py_END_ALLOW_THREADS
    } else {
        rc = djf_csv_field(&w->d, r, out, kind, data, len, flags);
    }
    if (rc != DJF_OK) {
        return djf_csv_raise(st, w, rc, s);
    }
    return 0;
}

/* Appends ASCII text as a field. Returns 0, or -1 with an exception set. */
static int djf_csv_append_ascii(djf_state *st, djf_csv_writer_obj *w, djf_csv_row *r, djf_buf *out,
                                const char *text, size_t len, int flags)
{
    int rc = djf_csv_field(&w->d, r, out, DJF_CSV_ASCII, text, len, flags);

    if (rc != DJF_OK) {
        return djf_csv_raise(st, w, rc, NULL);
    }
    return 0;
}

/* Formats tzinfo.utcoffset(arg) after a date/time into *n. Returns 1 when written (or no
 * offset), 0 when str() must decide (unusual result), or -1 with an exception set. */
static int djf_csv_offset(djf_state *st, PyObject *tzinfo, PyObject *arg, char *out, size_t *n)
{
    PyObject *delta = NULL;
    int64_t total;
    int res = 0;

    if (tzinfo == Py_None) {
        return 1;
    }
    if (tzinfo == st->datetime_api->TimeZone_UTC) {
        *n += djf_fmt_utcoffset(out + *n, 0);
        return 1;
    }
    delta = PyObject_CallMethodOneArg(tzinfo, st->csv.str_utcoffset, arg);
    if (delta == NULL) {
        res = -1;
        goto done;
    }
    if (delta == Py_None) {
        res = 1;
        goto done;
    }
    if (!Py_IS_TYPE(delta, st->datetime_api->DeltaType)) {
        goto done; /* str() raises the right TypeError, or accepts a subclass */
    }
    total =
        ((int64_t)PyDateTime_DELTA_GET_DAYS(delta) * 86400 + PyDateTime_DELTA_GET_SECONDS(delta)) *
            1000000 +
        PyDateTime_DELTA_GET_MICROSECONDS(delta);
    if (total <= -(int64_t)86400 * 1000000 || total >= (int64_t)86400 * 1000000) {
        goto done; /* str() raises the ValueError */
    }
    *n += djf_fmt_utcoffset(out + *n, total);
    res = 1;
done:
    Py_XDECREF(delta);
    return res;
}

/* Formats an exact UUID into out (36 bytes). Returns 1, 0 when str() must decide, or -1
 * with an exception set. */
static int djf_csv_uuid(djf_state *st, PyObject *v, char *out)
{
    PyObject *num = NULL;
    PyObject *high = NULL;
    unsigned long long lo;
    unsigned long long hi;
    unsigned char bytes[16];
    int res = 0;
    int i;

    num = PyObject_GetAttr(v, st->csv.str_int);
    if (num == NULL) {
        res = -1;
        goto done;
    }
    if (!PyLong_CheckExact(num)) {
        goto done;
    }
    high = PyNumber_Rshift(num, st->csv.sixty_four);
    if (high == NULL) {
        res = -1;
        goto done;
    }
    hi = PyLong_AsUnsignedLongLong(high);
    if (hi == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear(); /* negative or wider than 128 bits: str() writes it */
        goto done;
    }
    lo = PyLong_AsUnsignedLongLongMask(num);
    if (lo == (unsigned long long)-1 && PyErr_Occurred()) {
        res = -1;
        goto done;
    }
    for (i = 0; i < 8; i++) {
        bytes[7 - i] = (unsigned char)(hi >> (8 * i));
        bytes[15 - i] = (unsigned char)(lo >> (8 * i));
    }
    djf_fmt_uuid(out, bytes);
    res = 1;
done:
    Py_XDECREF(num);
    Py_XDECREF(high);
    return res;
}

/* Formats an exact date, datetime, time, int, float, bool or UUID into out (64 bytes).
 * Returns 1 with *n set, 0 when the value has no fast path, or -1 with an exception set. */
static int djf_csv_format_fast(djf_state *st, PyObject *v, char *out, size_t *n)
{
    PyDateTime_CAPI *api = st->datetime_api;
    PyTypeObject *tp = Py_TYPE(v);

    *n = 0;
    if (tp == &PyLong_Type) {
        int overflow = 0;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow) {
            return 0;
        }
        if (x == -1 && PyErr_Occurred()) {
            return -1;
        }
        *n = djf_fmt_int64(out, (int64_t)x);
        return 1;
    }
    if (tp == &PyFloat_Type) {
        double d = PyFloat_AS_DOUBLE(v);
        char *s;
        size_t len;

        *n = djf_csv_fmt_double(out, d); /* the common short forms, without dtoa */
        if (*n) {
            return 1;
        }
        s = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (s == NULL) {
            return -1;
        }
        len = strlen(s);
        if (len < 64) {
            memcpy(out, s, len);
            *n = len;
        }
        PyMem_Free(s);
        return len < 64;
    }
    if (tp == &PyBool_Type) {
        *n = v == Py_True ? 4 : 5;
        memcpy(out, v == Py_True ? "True" : "False", *n);
        return 1;
    }
    if (tp == api->DateTimeType) {
        *n = djf_fmt_date(out, PyDateTime_GET_YEAR(v), PyDateTime_GET_MONTH(v),
                          PyDateTime_GET_DAY(v));
        out[(*n)++] = ' ';
        *n += djf_fmt_time(out + *n, PyDateTime_DATE_GET_HOUR(v), PyDateTime_DATE_GET_MINUTE(v),
                           PyDateTime_DATE_GET_SECOND(v), PyDateTime_DATE_GET_MICROSECOND(v));
        return djf_csv_offset(st, PyDateTime_DATE_GET_TZINFO(v), v, out, n);
    }
    if (tp == api->DateType) {
        *n = djf_fmt_date(out, PyDateTime_GET_YEAR(v), PyDateTime_GET_MONTH(v),
                          PyDateTime_GET_DAY(v));
        return 1;
    }
    if (tp == api->TimeType) {
        *n = djf_fmt_time(out, PyDateTime_TIME_GET_HOUR(v), PyDateTime_TIME_GET_MINUTE(v),
                          PyDateTime_TIME_GET_SECOND(v), PyDateTime_TIME_GET_MICROSECOND(v));
        return djf_csv_offset(st, PyDateTime_TIME_GET_TZINFO(v), Py_None, out, n);
    }
    if ((PyObject *)tp == st->uuid_type) {
        *n = DJF_FMT_UUID_MAX;
        return djf_csv_uuid(st, v, out);
    }
    return 0;
}

int djf_csv_append_value(djf_state *st, djf_csv_writer_obj *w, djf_csv_row *r, djf_buf *out,
                         PyObject *v, int strict)
{
    int quoting = w->d.quoting;
    int flags = strict ? DJF_CSV_STRICT_UTF8 : 0;
    int quoted = quoting == DJF_CSV_QUOTE_ALL;
    int number;
    char text[64];
    size_t n = 0;
    PyObject *s = NULL;
    int res = -1;
    int fast;

    if (PyUnicode_Check(v)) {
        if (quoting == DJF_CSV_QUOTE_STRINGS || quoting == DJF_CSV_QUOTE_NOTNULL) {
            quoted = 1;
        } else if (quoting == DJF_CSV_QUOTE_NONNUMERIC) {
            /* as csv: a str subclass with __float__/__int__/__index__ counts as a number */
            quoted = PyUnicode_CheckExact(v) || !PyNumber_Check(v);
        }
        flags |= quoted ? DJF_CSV_QUOTED : 0;
        flags |= w->escape_formulas ? DJF_CSV_GUARD : 0;
        return djf_csv_append_str(st, w, r, out, v, flags);
    }
    if (v == Py_None) {
        /* csv: QUOTE_NONNUMERIC quotes None (it is not a number) */
        quoted |= quoting == DJF_CSV_QUOTE_NONNUMERIC;
        flags |= DJF_CSV_NULL | (quoted ? DJF_CSV_QUOTED : 0);
        return djf_csv_append_ascii(st, w, r, out, "", 0, flags);
    }
    number = PyNumber_Check(v);
    if (quoting == DJF_CSV_QUOTE_NONNUMERIC) {
        quoted = !number;
    } else if (quoting == DJF_CSV_QUOTE_NOTNULL) {
        quoted = 1;
    }
    flags |= quoted ? DJF_CSV_QUOTED : 0;
    /* The guard judges the text actually written: a number's text is guarded too when it is not
     * a plain number (a float subclass whose str() is "=1", or "-inf"). */
    flags |= w->escape_formulas ? DJF_CSV_GUARD : 0;
    fast = djf_csv_format_fast(st, v, text, &n);
    if (fast < 0) {
        goto done;
    }
    if (fast) {
        res = djf_csv_append_ascii(st, w, r, out, text, n, flags);
        goto done;
    }
    s = PyObject_Str(v);
    if (s == NULL) {
        goto done;
    }
    res = djf_csv_append_str(st, w, r, out, s, flags);
done:
    Py_XDECREF(s);
    return res;
}

int djf_csv_append_row(djf_state *st, djf_csv_writer_obj *w, djf_buf *out, PyObject *row,
                       int strict)
{
    PyObject *iter = NULL;
    PyObject *item = NULL;
    djf_csv_row r;
    Py_ssize_t i;
    int rc;
    int res = -1;

    djf_csv_row_begin(&r, out);
    if (PyList_CheckExact(row) || PyTuple_CheckExact(row)) {
        /* as the list iterator does: the length is read again at every step */
        for (i = 0; i < Py_SIZE(row); i++) {
            item = Py_NewRef(PyList_CheckExact(row) ? PyList_GET_ITEM(row, i)
                                                    : PyTuple_GET_ITEM(row, i));
            if (djf_csv_append_value(st, w, &r, out, item, strict) < 0) {
                goto done;
            }
            Py_CLEAR(item);
        }
    } else {
        iter = PyObject_GetIter(row);
        if (iter == NULL) {
            if (PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Format(st->csv.error, "iterable expected, not %.200s", Py_TYPE(row)->tp_name);
            }
            goto done;
        }
        while ((item = PyIter_Next(iter)) != NULL) {
            if (djf_csv_append_value(st, w, &r, out, item, strict) < 0) {
                goto done;
            }
            Py_CLEAR(item);
        }
        if (PyErr_Occurred()) {
            goto done;
        }
    }
    rc = djf_csv_row_end(&w->d, &r, out, strict ? DJF_CSV_STRICT_UTF8 : 0);
    if (rc != DJF_OK) {
        djf_csv_raise(st, w, rc, NULL);
        goto done;
    }
    res = 0;
done:
    if (res < 0) {
        out->len = r.start;
    }
    Py_XDECREF(item);
    Py_XDECREF(iter);
    return res;
}

int djf_csv_append_formatted(djf_state *st, djf_csv_writer_obj *w, djf_csv_row *r, djf_buf *out,
                             const char *text, size_t n, int number, int strict)
{
    int quoting = w->d.quoting;
    int quoted = quoting == DJF_CSV_QUOTE_ALL || quoting == DJF_CSV_QUOTE_NOTNULL ||
                 (quoting == DJF_CSV_QUOTE_NONNUMERIC && !number);
    int flags = (strict ? DJF_CSV_STRICT_UTF8 : 0) | (quoted ? DJF_CSV_QUOTED : 0);

    /* as for a value's text: the guard's rule judges what is written ("-inf" is guarded) */
    flags |= w->escape_formulas ? DJF_CSV_GUARD : 0;
    return djf_csv_append_ascii(st, w, r, out, text, n, flags);
}

int djf_csv_append_utf8(djf_state *st, djf_csv_writer_obj *w, djf_csv_row *r, djf_buf *out,
                        const char *text, size_t n, int strict)
{
    int quoting = w->d.quoting;
    int flags = strict ? DJF_CSV_STRICT_UTF8 : 0;
    PyObject *s = NULL;
    size_t i;
    int res;

    if (quoting != DJF_CSV_QUOTE_MINIMAL && quoting != DJF_CSV_QUOTE_NONE) {
        flags |= DJF_CSV_QUOTED; /* ALL, NONNUMERIC, STRINGS and NOTNULL quote an exact str */
    }
    flags |= w->escape_formulas ? DJF_CSV_GUARD : 0;
    for (i = 0; i < n && (unsigned char)text[i] < 0x80; i++) {
    }
    if (i == n) {
        return djf_csv_append_ascii(st, w, r, out, text, n, flags);
    }
    if (n > (size_t)PY_SSIZE_T_MAX) {
        PyErr_NoMemory();
        return -1;
    }
    s = PyUnicode_DecodeUTF8(text, (Py_ssize_t)n, "strict");
    if (s == NULL) {
        return -1;
    }
    res = djf_csv_append_str(st, w, r, out, s, flags);
    Py_DECREF(s);
    return res;
}

int djf_csv_end_row(djf_state *st, djf_csv_writer_obj *w, djf_csv_row *r, djf_buf *out, int strict)
{
    int rc = djf_csv_row_end(&w->d, r, out, strict ? DJF_CSV_STRICT_UTF8 : 0);

    if (rc != DJF_OK) {
        out->len = r->start;
        return djf_csv_raise(st, w, rc, NULL);
    }
    return 0;
}
