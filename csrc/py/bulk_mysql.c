/* djfast._djfast: BulkEncoder.mysql_statements -- multi-row INSERT statements for
 * MariaDB/MySQL whose literals come from the driver (string_literal / literal) or are numbers,
 * dates and times formatted as MySQLdb formats them. */
#include "module.h"

#include "copy.h"
#include "fmt.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ MariaDB / MySQL */

/* Appends the literal for v. Returns 0, 1 when v needs the fallback, or -1 with an
 * exception set. */
static int djf_mysql_value(djf_bulk_encoder *enc, djf_buf *b, int kind, PyObject *v,
                           PyObject *string_literal)
{
    djf_state *st = enc->st;
    PyObject *s = NULL;
    int r = djf_bulk_put_number_or_date(enc, b, kind, v);

    if (r != 2) {
        return r;
    }
    switch (kind) {
    case DJF_KIND_STR:
        if (!PyUnicode_Check(v)) {
            return 1;
        }
        /* the driver's escaping: mysql_real_escape_string for the connection's charset and
         * sql_mode (NO_BACKSLASH_ESCAPES included), quotes added */
        s = PyObject_CallOneArg(string_literal, v);
        if (s == NULL) {
            return -1;
        }
        if (!PyBytes_Check(s)) {
            PyErr_SetString(PyExc_TypeError, "string_literal() did not return bytes");
            r = -1;
        } else {
            r = djf_bulk_put(b, PyBytes_AS_STRING(s), (size_t)PyBytes_GET_SIZE(s));
        }
        Py_DECREF(s);
        return r;
    case DJF_KIND_FLOAT: {
        char *txt;
        double d;

        if (!PyFloat_CheckExact(v)) {
            return 1;
        }
        d = PyFloat_AS_DOUBLE(v);
        if (!isfinite(d)) {
            return 1; /* MySQLdb raises ProgrammingError: let the fallback do it */
        }
        txt = PyOS_double_to_string(d, 'r', 0, 0, NULL);
        if (txt == NULL) {
            return -1;
        }
        /* MySQLdb's Float2Str: repr, plus "e0" so the literal is a DOUBLE */
        r = djf_bulk_put(b, txt, strlen(txt));
        if (r == 0 && strchr(txt, 'e') == NULL) {
            r = djf_bulk_put(b, "e0", 2);
        }
        PyMem_Free(txt);
        return r;
    }
    case DJF_KIND_DECIMAL:
        return djf_bulk_put_decimal(st, b, v, st->bulk.fmt_f); /* MySQLdb's Decimal2Literal */
    case DJF_KIND_BOOL:
        if (v == Py_True || v == Py_False) {
            return djf_bulk_put(b, v == Py_True ? "1" : "0", 1);
        }
        return 1;
    default:
        return 1;
    }
}

/* Prepares v in Python and appends MySQLdb's literal() of it. Returns 0, or -1. */
static int djf_mysql_fallback(djf_bulk_encoder *enc, djf_buf *b, PyObject *literal, PyObject *v,
                              Py_ssize_t j)
{
    PyObject *prepared = NULL;
    PyObject *lit = NULL;
    int ret = -1;

    prepared = PyObject_CallOneArg(PyTuple_GET_ITEM(enc->fallbacks, j), v);
    if (prepared == NULL) {
        goto done;
    }
    lit = PyObject_CallOneArg(literal, prepared);
    if (lit == NULL) {
        goto done;
    }
    if (!PyBytes_Check(lit)) {
        PyErr_SetString(PyExc_TypeError, "literal() did not return bytes");
        goto done;
    }
    ret = djf_bulk_put(b, PyBytes_AS_STRING(lit), (size_t)PyBytes_GET_SIZE(lit));
done:
    Py_XDECREF(prepared);
    Py_XDECREF(lit);
    return ret;
}

/* Moves the finished statement into `out` and restarts it with the prefix. Returns 0, or -1
 * with an exception set. */
static int djf_mysql_emit(PyObject *out, djf_buf *stmt, PyObject *prefix)
{
    PyObject *s = PyBytes_FromStringAndSize(stmt->data, (Py_ssize_t)stmt->len);
    int r;

    if (s == NULL) {
        return -1;
    }
    r = PyList_Append(out, s);
    Py_DECREF(s);
    djf_buf_clear(stmt);
    if (r < 0) {
        return -1;
    }
    return djf_bulk_put(stmt, PyBytes_AS_STRING(prefix), (size_t)PyBytes_GET_SIZE(prefix));
}

PyObject *djf_bulk_mysql_statements(djf_bulk_encoder *enc, PyObject *const *args, Py_ssize_t nargs)
{
    djf_buf stmt = {0};
    djf_buf rowbuf = {0};
    PyObject *rows;
    PyObject *prefix;
    PyObject *string_literal;
    PyObject *literal;
    PyObject *out = NULL;
    PyObject *row = NULL;
    PyObject *v = NULL;
    Py_ssize_t offset;
    Py_ssize_t max_bytes;
    Py_ssize_t in_stmt = 0;
    Py_ssize_t r;
    Py_ssize_t j;

    if (nargs != 6 || !PyList_Check(args[0]) || !PyBytes_Check(args[2]) ||
        !PyCallable_Check(args[4]) || !PyCallable_Check(args[5])) {
        PyErr_SetString(PyExc_TypeError, "mysql_statements(rows: list, offset: int, prefix: "
                                         "bytes, max_bytes: int, string_literal, literal)");
        return NULL;
    }
    rows = args[0];
    prefix = args[2];
    string_literal = args[4];
    literal = args[5];
    offset = PyLong_AsSsize_t(args[1]);
    max_bytes = PyLong_AsSsize_t(args[3]);
    if ((offset == -1 || max_bytes == -1) && PyErr_Occurred()) {
        return NULL;
    }
    out = PyList_New(0);
    if (out == NULL ||
        djf_bulk_put(&stmt, PyBytes_AS_STRING(prefix), (size_t)PyBytes_GET_SIZE(prefix)) < 0) {
        goto error;
    }
    for (r = 0; r < PyList_GET_SIZE(rows); r++) {
        row = Py_NewRef(PyList_GET_ITEM(rows, r));
        if (djf_bulk_check_row(enc, row, offset + r) < 0) {
            goto error;
        }
        djf_buf_clear(&rowbuf);
        if (djf_bulk_put(&rowbuf, "(", 1) < 0) {
            goto error;
        }
        for (j = 0; j < enc->ncols; j++) {
            int rc;

            if (j > 0 && djf_bulk_put(&rowbuf, ",", 1) < 0) {
                goto error;
            }
            v = djf_bulk_row_value(enc, row, j);
            if (v == NULL) {
                djf_bulk_fail_at(enc, offset + r, j);
                goto error;
            }
            if (v == Py_None) {
                rc = djf_bulk_put(&rowbuf, "NULL", 4);
            } else {
                rc = djf_mysql_value(enc, &rowbuf, enc->kinds[j], v, string_literal);
                if (rc == 1) {
                    rc = djf_mysql_fallback(enc, &rowbuf, literal, v, j);
                }
            }
            Py_CLEAR(v);
            if (rc < 0) {
                djf_bulk_fail_at(enc, offset + r, j);
                goto error;
            }
        }
        if (djf_bulk_put(&rowbuf, ")", 1) < 0) {
            goto error;
        }
        /* keep every statement within max_bytes (max_allowed_packet minus slack); a single
         * row larger than that goes alone and the server reports it */
        if (in_stmt > 0 && stmt.len + 1 + rowbuf.len > (size_t)max_bytes) {
            if (djf_mysql_emit(out, &stmt, prefix) < 0) {
                goto error;
            }
            in_stmt = 0;
        }
        if ((in_stmt > 0 && djf_bulk_put(&stmt, ",", 1) < 0) ||
            djf_bulk_put(&stmt, rowbuf.data, rowbuf.len) < 0) {
            goto error;
        }
        in_stmt++;
        Py_CLEAR(row);
    }
    if (in_stmt > 0) {
        PyObject *s = PyBytes_FromStringAndSize(stmt.data, (Py_ssize_t)stmt.len);
        if (s == NULL || PyList_Append(out, s) < 0) {
            Py_XDECREF(s);
            goto error;
        }
        Py_DECREF(s);
    }
    djf_buf_free(&stmt);
    djf_buf_free(&rowbuf);
    return out;
error:
    Py_XDECREF(row);
    Py_XDECREF(v);
    Py_XDECREF(out);
    djf_buf_free(&stmt);
    djf_buf_free(&rowbuf);
    return NULL;
}
