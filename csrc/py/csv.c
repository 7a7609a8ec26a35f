/* djfast._djfast: csv binding: the CSVWriter and CSVChunks types.
 *
 * djfast.csv builds the dialect with the stdlib's csv module (so bad fmtparams raise exactly
 * csv's errors) and hands the validated dialect to CSVWriter. CSVChunks pulls rows from an
 * iterator and returns bytes chunks of about chunk_size; it can also be fed row by row (the
 * async path in djfast.csv).
 */
#include "module.h"

#include <structmember.h>

#define DJF_CSV_KEEP_MAX ((size_t)1 << 20) /* scratch capacity kept between calls */

typedef struct djf_csv_chunks_obj {
    PyObject_HEAD djf_csv_writer_obj *writer;
    PyObject *source; /* iterator over rows; NULL once exhausted or closed */
    PyObject *origin; /* the iterable given, when it is not `source` (closed too) */
    PyObject *exc_type, *exc_value, *exc_tb; /* raised after the rows before it are out */
    djf_buf buf;
    Py_ssize_t chunk_size;
    int busy;
} djf_csv_chunks_obj;

/* ------------------------------------------------------------------ CSVWriter */

/* Reads a one-character dialect attribute (None allowed when optional). Returns 0, or -1
 * with an exception set. */
static int djf_csv_char_attr(PyObject *dialect, const char *name, int optional, uint32_t *out)
{
    PyObject *v = PyObject_GetAttrString(dialect, name);
    int res = -1;

    if (v == NULL) {
        return -1;
    }
    if (v == Py_None && optional) {
        *out = DJF_CSV_NOT_SET;
        res = 0;
    } else if (PyUnicode_Check(v) && PyUnicode_GET_LENGTH(v) == 1) {
        *out = (uint32_t)PyUnicode_READ_CHAR(v, 0);
        res = 0;
    } else {
        PyErr_Format(PyExc_TypeError, "dialect.%s must be a 1-character string", name);
    }
    Py_DECREF(v);
    return res;
}

/* Builds the core dialect from a csv dialect object. Returns 0, or -1 with an exception set. */
static int djf_csv_load_dialect(djf_csv_writer_obj *w, PyObject *dialect, int compat)
{
    uint32_t delimiter = 0;
    uint32_t quotechar = 0;
    uint32_t escapechar = 0;
    PyObject *v = NULL;
    Py_UCS4 *lt = NULL;
    Py_ssize_t lt_len = 0;
    int doublequote;
    long quoting;
    int rc;
    int res = -1;

    if (djf_csv_char_attr(dialect, "delimiter", 0, &delimiter) < 0 ||
        djf_csv_char_attr(dialect, "quotechar", 1, &quotechar) < 0 ||
        djf_csv_char_attr(dialect, "escapechar", 1, &escapechar) < 0) {
        goto done;
    }
    v = PyObject_GetAttrString(dialect, "doublequote");
    if (v == NULL || (doublequote = PyObject_IsTrue(v)) < 0) {
        goto done;
    }
    Py_CLEAR(v);
    v = PyObject_GetAttrString(dialect, "quoting");
    if (v == NULL || ((quoting = PyLong_AsLong(v)) == -1 && PyErr_Occurred())) {
        goto done;
    }
    Py_CLEAR(v);
    v = PyObject_GetAttrString(dialect, "lineterminator");
    if (v == NULL) {
        goto done;
    }
    if (!PyUnicode_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "dialect.lineterminator must be a string");
        goto done;
    }
    lt_len = PyUnicode_GET_LENGTH(v);
    lt = PyUnicode_AsUCS4Copy(v);
    if (lt == NULL) {
        goto done;
    }
    if (quoting < DJF_CSV_QUOTE_MINIMAL || quoting > DJF_CSV_QUOTE_NOTNULL) {
        PyErr_SetString(PyExc_TypeError, "bad \"quoting\" value");
        goto done;
    }
    rc = djf_csv_dialect_init(&w->d, delimiter, quotechar, escapechar, doublequote, (int)quoting,
                              lt, (size_t)lt_len, compat);
    if (rc == DJF_EINVAL) {
        PyErr_SetString(PyExc_TypeError, "quotechar must be set if quoting enabled");
        goto done;
    }
    if (rc != DJF_OK) {
        djf_raise_status(rc, "csv dialect");
        goto done;
    }
    res = 0;
done:
    Py_XDECREF(v);
    PyMem_Free(lt);
    return res;
}

static PyObject *djf_csv_writer_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"dialect", "chunk_size", "escape_formulas", "compat", NULL};
    PyObject *dialect = NULL;
    Py_ssize_t chunk_size = 65536;
    int escape_formulas = 0;
    int compat = 0;
    djf_csv_writer_obj *w = NULL;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|npi:CSVWriter", kwlist, &dialect, &chunk_size,
                                     &escape_formulas, &compat)) {
        return NULL;
    }
    if (compat & ~(DJF_CSV_OPT_CRLF_SPECIAL | DJF_CSV_OPT_QUOTE_EMPTY | DJF_CSV_OPT_NULL_SINGLE)) {
        PyErr_SetString(PyExc_ValueError, "unknown compat flags");
        return NULL;
    }
    if (chunk_size < 1) {
        PyErr_SetString(PyExc_ValueError, "chunk_size must be at least 1");
        return NULL;
    }
    w = (djf_csv_writer_obj *)type->tp_alloc(type, 0);
    if (w == NULL) {
        return NULL;
    }
    w->chunk_size = chunk_size;
    w->escape_formulas = escape_formulas;
    if (djf_csv_load_dialect(w, dialect, compat) < 0) {
        Py_DECREF(w);
        return NULL;
    }
    w->dialect = Py_NewRef(dialect);
    return (PyObject *)w;
}

static int djf_csv_writer_traverse(djf_csv_writer_obj *w, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(w));
    Py_VISIT(w->dialect);
    return 0;
}

static int djf_csv_writer_clear(djf_csv_writer_obj *w)
{
    Py_CLEAR(w->dialect);
    return 0;
}

static void djf_csv_writer_dealloc(djf_csv_writer_obj *w)
{
    PyTypeObject *tp = Py_TYPE(w);

    PyObject_GC_UnTrack(w);
    djf_csv_writer_clear(w);
    djf_csv_dialect_free(&w->d);
    djf_buf_free(&w->row);
    tp->tp_free((PyObject *)w);
    Py_DECREF(tp);
}

/* writerow(row) -> str. Returns a new reference, or NULL with an exception set.
 *
 * The scratch buffer w->row is used by one call at a time. A call made while it is in use --
 * from another thread while a long field is formatted without the GIL, or from a value's
 * __str__ -- formats into a buffer of its own: rows are independent, so both are correct. */
static PyObject *djf_csv_writer_writerow(djf_csv_writer_obj *w, PyObject *row)
{
    djf_state *st = djf_state_from_type(Py_TYPE(w));
    djf_buf local = {0};
    djf_buf *buf = &w->row;
    int own_scratch = !w->busy;
    PyObject *res = NULL;

    if (st == NULL) {
        return NULL;
    }
    if (own_scratch) {
        w->busy = 1;
        djf_buf_clear(buf);
    } else {
        buf = &local;
    }
    if (djf_csv_append_row(st, w, buf, row, 0) == 0) {
        res =
            PyUnicode_DecodeUTF8(buf->len ? buf->data : "", (Py_ssize_t)buf->len, "surrogatepass");
    }
    if (own_scratch) {
        if (w->row.cap > DJF_CSV_KEEP_MAX) {
            djf_buf_free(&w->row);
        }
        w->busy = 0;
    }
    djf_buf_free(&local);
    return res;
}

/* chunks(rows, header=None, prefix=b"", chunk_size=None) -> CSVChunks. Returns a new
 * reference, or NULL with an exception set. */
static PyObject *djf_csv_writer_chunks(djf_csv_writer_obj *w, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"rows", "header", "prefix", "chunk_size", NULL};
    PyObject *rows = Py_None;
    PyObject *header = Py_None;
    PyObject *prefix = NULL;
    PyObject *size = Py_None;
    djf_csv_chunks_obj *c = NULL;
    djf_state *st = djf_state_from_type(Py_TYPE(w));
    int rc;

    if (st == NULL || !PyArg_ParseTupleAndKeywords(args, kwds, "|OOSO:chunks", kwlist, &rows,
                                                   &header, &prefix, &size)) {
        return NULL;
    }
    c = PyObject_GC_New(djf_csv_chunks_obj, (PyTypeObject *)st->csv.chunks_type);
    if (c == NULL) {
        return NULL;
    }
    c->writer = (djf_csv_writer_obj *)Py_NewRef(w);
    c->source = NULL;
    c->origin = NULL;
    c->exc_type = c->exc_value = c->exc_tb = NULL;
    c->buf = (djf_buf){0};
    c->chunk_size = w->chunk_size;
    c->busy = 0;
    PyObject_GC_Track(c);
    if (size != Py_None) {
        c->chunk_size = PyLong_AsSsize_t(size);
        if (c->chunk_size == -1 && PyErr_Occurred()) {
            goto error;
        }
        if (c->chunk_size < 1) {
            PyErr_SetString(PyExc_ValueError, "chunk_size must be at least 1");
            goto error;
        }
    }
    if (rows != Py_None) {
        c->source = PyObject_GetIter(rows);
        if (c->source == NULL) {
            goto error;
        }
        if (c->source != rows) {
            c->origin = Py_NewRef(rows);
        }
    }
    if (prefix != NULL) {
        rc = djf_buf_append(&c->buf, PyBytes_AS_STRING(prefix), (size_t)PyBytes_GET_SIZE(prefix));
        if (rc != DJF_OK) {
            djf_raise_status(rc, "csv chunks");
            goto error;
        }
    }
    if (header != Py_None && djf_csv_append_row(st, w, &c->buf, header, 1) < 0) {
        goto error;
    }
    return (PyObject *)c;
error:
    Py_DECREF(c);
    return NULL;
}

static PyMethodDef djf_csv_writer_methods[] = {
    {"writerow", (PyCFunction)djf_csv_writer_writerow, METH_O,
     "writerow(row) -> str: the row as csv.writer writes it, line terminator included."},
    {"chunks", (PyCFunction)(void (*)(void))djf_csv_writer_chunks, METH_VARARGS | METH_KEYWORDS,
     "chunks(rows, header=None, prefix=b'', chunk_size=None) -> iterator of UTF-8 bytes."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef djf_csv_writer_members[] = {
    {"dialect", T_OBJECT_EX, offsetof(djf_csv_writer_obj, dialect), READONLY,
     "The csv dialect (validated by the csv module)."},
    {"chunk_size", T_PYSSIZET, offsetof(djf_csv_writer_obj, chunk_size), READONLY,
     "Default chunk size in bytes for chunks()."},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot djf_csv_writer_slots[] = {
    {Py_tp_new, djf_csv_writer_new},
    {Py_tp_dealloc, djf_csv_writer_dealloc},
    {Py_tp_traverse, djf_csv_writer_traverse},
    {Py_tp_clear, djf_csv_writer_clear},
    {Py_tp_methods, djf_csv_writer_methods},
    {Py_tp_members, djf_csv_writer_members},
    {Py_tp_doc, "CSVWriter(dialect, chunk_size=65536, escape_formulas=False, compat=0): "
                "csv.writer's output as str rows or UTF-8 chunks. compat: CSV_COMPAT_* rules "
                "of the running Python's csv module."},
    {0, NULL},
};

static PyType_Spec djf_csv_writer_spec = {
    .name = "djfast._djfast.CSVWriter",
    .basicsize = sizeof(djf_csv_writer_obj),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = djf_csv_writer_slots,
};

/* ------------------------------------------------------------------ CSVChunks */

/* Returns the buffered bytes and empties the buffer, or NULL with an exception set. */
static PyObject *djf_csv_chunks_take(djf_csv_chunks_obj *c)
{
    PyObject *b = PyBytes_FromStringAndSize(c->buf.len ? c->buf.data : "", (Py_ssize_t)c->buf.len);

    if (b != NULL) {
        djf_buf_clear(&c->buf);
        if (c->buf.cap > DJF_CSV_KEEP_MAX && c->buf.cap / 4 > (size_t)c->chunk_size) {
            djf_buf_free(&c->buf);
        }
    }
    return b;
}

/* Marks the object busy. Returns the module state, or NULL with an exception set. */
static djf_state *djf_csv_chunks_enter(djf_csv_chunks_obj *c)
{
    djf_state *st = djf_state_from_type(Py_TYPE(c));

    if (st != NULL && c->busy) {
        PyErr_SetString(PyExc_RuntimeError, "csv chunks are already being produced");
        return NULL;
    }
    if (st != NULL) {
        c->busy = 1;
    }
    return st;
}

static PyObject *djf_csv_chunks_next(djf_csv_chunks_obj *c)
{
    djf_state *st;
    PyObject *row = NULL;
    PyObject *res = NULL;

    if (c->exc_type != NULL) {
        PyErr_Restore(c->exc_type, c->exc_value, c->exc_tb);
        c->exc_type = c->exc_value = c->exc_tb = NULL;
        return NULL;
    }
    st = djf_csv_chunks_enter(c);
    if (st == NULL) {
        return NULL;
    }
    while (c->source != NULL && c->buf.len < (size_t)c->chunk_size) {
        row = PyIter_Next(c->source);
        if (row == NULL) {
            if (PyErr_Occurred()) {
                goto error;
            }
            Py_CLEAR(c->source);
            break;
        }
        if (djf_csv_append_row(st, c->writer, &c->buf, row, 1) < 0) {
            goto error;
        }
        Py_CLEAR(row);
    }
    if (c->buf.len > 0) {
        res = djf_csv_chunks_take(c);
    }
    goto done;
error:
    Py_CLEAR(row);
    /* KeyboardInterrupt & co. propagate at once (the rows stay buffered for a later call):
     * held back, they would be lost if the consumer closed the stream instead */
    if (c->buf.len > 0 && PyErr_ExceptionMatches(PyExc_Exception)) {
        /* hand out the complete rows first, as csv.writer would have written them */
        PyErr_Fetch(&c->exc_type, &c->exc_value, &c->exc_tb);
        res = djf_csv_chunks_take(c);
        if (res == NULL) {
            Py_CLEAR(c->exc_type);
            Py_CLEAR(c->exc_value);
            Py_CLEAR(c->exc_tb);
        }
    }
done:
    c->busy = 0;
    return res;
}

/* feed(row) -> bytes | None. Returns a new reference, or NULL with an exception set. */
static PyObject *djf_csv_chunks_feed(djf_csv_chunks_obj *c, PyObject *row)
{
    djf_state *st = djf_csv_chunks_enter(c);
    PyObject *res = NULL;

    if (st == NULL) {
        return NULL;
    }
    if (djf_csv_append_row(st, c->writer, &c->buf, row, 1) == 0) {
        res = c->buf.len >= (size_t)c->chunk_size ? djf_csv_chunks_take(c) : Py_NewRef(Py_None);
    }
    c->busy = 0;
    return res;
}

/* flush() -> bytes. Returns a new reference, or NULL with an exception set. */
static PyObject *djf_csv_chunks_flush(djf_csv_chunks_obj *c, PyObject *unused)
{
    djf_state *st = djf_csv_chunks_enter(c);
    PyObject *res;

    if (st == NULL) {
        return NULL;
    }
    res = djf_csv_chunks_take(c);
    c->busy = 0;
    return res;
}

/* Calls obj.close() when it has one. Returns 0, or -1 with an exception set. */
static int djf_csv_call_close(djf_state *st, PyObject *obj)
{
    PyObject *meth = NULL;
    PyObject *r = NULL;

    meth = PyObject_GetAttr(obj, st->csv.str_close);
    if (meth == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
            return -1;
        }
        PyErr_Clear();
        return 0;
    }
    r = PyObject_CallNoArgs(meth);
    Py_DECREF(meth);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

/* close(): closes the source (generator.close(), QuerySet iterator...). Returns None, or
 * NULL with an exception set. */
static PyObject *djf_csv_chunks_close(djf_csv_chunks_obj *c, PyObject *unused)
{
    djf_state *st = djf_csv_chunks_enter(c);
    PyObject *source;
    PyObject *origin;
    int rc = 0;

    if (st == NULL) {
        return NULL;
    }
    source = c->source;
    origin = c->origin;
    c->source = NULL;
    c->origin = NULL;
    Py_CLEAR(c->exc_type);
    Py_CLEAR(c->exc_value);
    Py_CLEAR(c->exc_tb);
    djf_buf_free(&c->buf);
    if (source != NULL) {
        rc = djf_csv_call_close(st, source);
    }
    if (origin != NULL && rc == 0) {
        rc = djf_csv_call_close(st, origin);
    }
    Py_XDECREF(source);
    Py_XDECREF(origin);
    c->busy = 0;
    if (rc < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static int djf_csv_chunks_traverse(djf_csv_chunks_obj *c, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(c));
    Py_VISIT(c->writer);
    Py_VISIT(c->source);
    Py_VISIT(c->origin);
    Py_VISIT(c->exc_type);
    Py_VISIT(c->exc_value);
    Py_VISIT(c->exc_tb);
    return 0;
}

static int djf_csv_chunks_clear(djf_csv_chunks_obj *c)
{
    Py_CLEAR(c->writer);
    Py_CLEAR(c->source);
    Py_CLEAR(c->origin);
    Py_CLEAR(c->exc_type);
    Py_CLEAR(c->exc_value);
    Py_CLEAR(c->exc_tb);
    return 0;
}

static void djf_csv_chunks_dealloc(djf_csv_chunks_obj *c)
{
    PyTypeObject *tp = Py_TYPE(c);

    PyObject_GC_UnTrack(c);
    djf_csv_chunks_clear(c);
    djf_buf_free(&c->buf);
    tp->tp_free((PyObject *)c);
    Py_DECREF(tp);
}

static PyMethodDef djf_csv_chunks_methods[] = {
    {"feed", (PyCFunction)djf_csv_chunks_feed, METH_O,
     "feed(row) -> bytes | None: buffer a row; a chunk once chunk_size bytes are buffered."},
    {"flush", (PyCFunction)djf_csv_chunks_flush, METH_NOARGS,
     "flush() -> bytes: everything buffered (possibly b'')."},
    {"close", (PyCFunction)djf_csv_chunks_close, METH_NOARGS,
     "close(): stop, and close the row source when it has a close() method."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot djf_csv_chunks_slots[] = {
    {Py_tp_dealloc, djf_csv_chunks_dealloc},
    {Py_tp_traverse, djf_csv_chunks_traverse},
    {Py_tp_clear, djf_csv_chunks_clear},
    {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, djf_csv_chunks_next},
    {Py_tp_methods, djf_csv_chunks_methods},
    {Py_tp_doc, "Iterator of UTF-8 CSV chunks (from CSVWriter.chunks)."},
    {0, NULL},
};

static PyType_Spec djf_csv_chunks_spec = {
    .name = "djfast._djfast.CSVChunks",
    .basicsize = sizeof(djf_csv_chunks_obj),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = djf_csv_chunks_slots,
};

/* ------------------------------------------------------------------ module */

int djf_csv_exec(PyObject *module, struct djf_state *st)
{
    djf_csv_state *cs = &st->csv;
    PyObject *csvmod = NULL;
    int res = -1;

    cs->writer_type = PyType_FromModuleAndSpec(module, &djf_csv_writer_spec, NULL);
    if (cs->writer_type == NULL || PyModule_AddObjectRef(module, "CSVWriter", cs->writer_type)) {
        goto done;
    }
    cs->chunks_type = PyType_FromModuleAndSpec(module, &djf_csv_chunks_spec, NULL);
    if (cs->chunks_type == NULL || PyModule_AddObjectRef(module, "CSVChunks", cs->chunks_type)) {
        goto done;
    }
    if (PyModule_AddIntConstant(module, "CSV_COMPAT_CRLF_SPECIAL", DJF_CSV_OPT_CRLF_SPECIAL) ||
        PyModule_AddIntConstant(module, "CSV_COMPAT_QUOTE_EMPTY", DJF_CSV_OPT_QUOTE_EMPTY) ||
        PyModule_AddIntConstant(module, "CSV_COMPAT_NULL_SINGLE", DJF_CSV_OPT_NULL_SINGLE)) {
        goto done;
    }
    csvmod = PyImport_ImportModule("_csv");
    if (csvmod == NULL) {
        goto done;
    }
    cs->error = PyObject_GetAttrString(csvmod, "Error");
    cs->str_utcoffset = PyUnicode_InternFromString("utcoffset");
    cs->str_int = PyUnicode_InternFromString("int");
    cs->str_close = PyUnicode_InternFromString("close");
    cs->sixty_four = PyLong_FromLong(64);
    if (cs->error == NULL || cs->str_utcoffset == NULL || cs->str_int == NULL ||
        cs->str_close == NULL || cs->sixty_four == NULL) {
        goto done;
    }
    if (djf_csv_feed_exec(module, st) < 0) {
        goto done;
    }
    res = 0;
done:
    Py_XDECREF(csvmod);
    return res;
}

int djf_csv_traverse(djf_csv_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->writer_type);
    Py_VISIT(st->chunks_type);
    Py_VISIT(st->error);
    Py_VISIT(st->feed_type);
    return 0;
}

void djf_csv_clear(djf_csv_state *st)
{
    Py_CLEAR(st->writer_type);
    Py_CLEAR(st->chunks_type);
    Py_CLEAR(st->error);
    Py_CLEAR(st->str_utcoffset);
    Py_CLEAR(st->str_int);
    Py_CLEAR(st->str_close);
    Py_CLEAR(st->sixty_four);
    Py_CLEAR(st->feed_type);
}
