/* djfast._djfast: csv binding for the native read path of djfast.csv_native: CSVFeed.
 *
 * A CSVFeed writes rows read straight from a database into a CSVWriter's format, in chunks of
 * about chunk_size bytes cut at the same row boundaries as CSVChunks:
 *   - rows(batch, converters, kinds) (csv_rows.c): DB-API rows (SQLite, MariaDB), with an optional
 *     one-argument callable per column applied to each value first (Django's converters), and
 *     per column a kind saying when C may write a value without it; the DJF_ROWS_RAW_* kinds
 *     take the driver's raw text (MariaDB) and write it with csrc/core/text_read.h, the
 *     DJF_ROWS_ISO_* and DJF_ROWS_DECIMAL_QUANTIZE kinds SQLite's values read as stored, with
 *     csrc/core/dbtext.h (rows' fourth argument: per column (sig, places, max_digits) or None);
 *   - copy(messages, kinds, loaders): PostgreSQL binary COPY data (csrc/core/copy_read.h), each
 *     column decoded in C by its kind, or loaded in Python by its loader (called with the
 *     field's bytes or None) when the kind is DJF_FEED_PY or C has no exact text for a value.
 */
#include "csv_feed.h"

#include "copy_read.h"
#include "fmt.h"

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

int djf_csv_feed_take(djf_csv_feed_obj *f, PyObject *chunks)
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
            Py_ssize_t m = djf_csv_feed_fmt_double(text, d);
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
        if (f->buf.len >= (size_t)f->chunk_size && djf_csv_feed_take(f, chunks) < 0) {
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
    {"rows", (PyCFunction)(void (*)(void))djf_csv_feed_rows, METH_FASTCALL,
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
