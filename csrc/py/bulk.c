/* djfast._djfast: bulk binding -- the BulkEncoder type, row access and defaults.
 * The per-backend encoders are in bulk_encode.c.
 */
#include "module.h"

#include <stdint.h>

/* Returns 0, or -1 with an exception set: reads a tuple of ints into a PyMem array. */
static int djf_read_ints(PyObject *seq, Py_ssize_t n, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t *out,
                         const char *what)
{
    Py_ssize_t i;

    if (!PyTuple_Check(seq) || PyTuple_GET_SIZE(seq) != n) {
        PyErr_Format(PyExc_TypeError, "BulkEncoder: %s must be a tuple of %zd ints", what, n);
        return -1;
    }
    for (i = 0; i < n; i++) {
        Py_ssize_t v = PyLong_AsSsize_t(PyTuple_GET_ITEM(seq, i));
        if (v == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (v < lo || v > hi) {
            PyErr_Format(PyExc_ValueError, "BulkEncoder: %s[%zd] = %zd is out of range", what, i,
                         v);
            return -1;
        }
        out[i] = v;
    }
    return 0;
}

static int djf_encoder_traverse(PyObject *self, visitproc visit, void *arg)
{
    djf_bulk_encoder *enc = (djf_bulk_encoder *)self;

    Py_VISIT(Py_TYPE(self));
    Py_VISIT(enc->defaults);
    Py_VISIT(enc->fallbacks);
    Py_VISIT(enc->names);
    Py_VISIT(enc->missing);
    return 0;
}

static int djf_encoder_clear(PyObject *self)
{
    djf_bulk_encoder *enc = (djf_bulk_encoder *)self;

    Py_CLEAR(enc->defaults);
    Py_CLEAR(enc->fallbacks);
    Py_CLEAR(enc->names);
    Py_CLEAR(enc->missing);
    return 0;
}

static void djf_encoder_dealloc(PyObject *self)
{
    djf_bulk_encoder *enc = (djf_bulk_encoder *)self;
    PyTypeObject *tp = Py_TYPE(self);

    PyObject_GC_UnTrack(self);
    (void)djf_encoder_clear(self);
    PyMem_Free(enc->kinds);
    PyMem_Free(enc->src);
    PyMem_Free(enc->default_call);
    tp->tp_free(self);
    Py_DECREF(tp);
}

/* BulkEncoder(backend, kinds, src, default_call, defaults, fallbacks, names, missing, nuser,
 * use_tz, utc_ok). Returns a new encoder, or NULL with an exception set. */
static PyObject *djf_encoder_new(PyTypeObject *tp, PyObject *args, PyObject *kwargs)
{
    djf_bulk_encoder *enc = NULL;
    PyObject *kinds;
    PyObject *src;
    PyObject *dcall;
    PyObject *defaults;
    PyObject *fallbacks;
    PyObject *names;
    PyObject *missing;
    int backend;
    int use_tz;
    int utc_ok;
    Py_ssize_t nuser;
    Py_ssize_t n;
    Py_ssize_t i;
    Py_ssize_t *tmp = NULL;
    static char *kwlist[] = {"backend", "kinds",   "src",   "default_call", "defaults", "fallbacks",
                             "names",   "missing", "nuser", "use_tz",       "utc_ok",   NULL};

    if (!PyArg_ParseTupleAndKeywords(
            args, kwargs, "iO!O!O!O!O!O!Onpp:BulkEncoder", kwlist, &backend, &PyTuple_Type, &kinds,
            &PyTuple_Type, &src, &PyTuple_Type, &dcall, &PyTuple_Type, &defaults, &PyTuple_Type,
            &fallbacks, &PyTuple_Type, &names, &missing, &nuser, &use_tz, &utc_ok)) {
        return NULL;
    }
    n = PyTuple_GET_SIZE(kinds);
    if (backend < DJF_BULK_POSTGRESQL || backend > DJF_BULK_MYSQL || n == 0 ||
        PyTuple_GET_SIZE(defaults) != n || PyTuple_GET_SIZE(fallbacks) != n ||
        PyTuple_GET_SIZE(names) != n || nuser < 0) {
        PyErr_SetString(PyExc_ValueError, "BulkEncoder: inconsistent column description");
        return NULL;
    }
    enc = (djf_bulk_encoder *)tp->tp_alloc(tp, 0);
    if (enc == NULL) {
        goto error;
    }
    enc->st = djf_state_from_type(tp);
    if (enc->st == NULL) {
        goto error;
    }
    enc->backend = backend;
    enc->use_tz = use_tz;
    enc->utc_ok = utc_ok;
    enc->ncols = n;
    enc->nuser = nuser;
    enc->kinds = PyMem_New(int, (size_t)n);
    enc->src = PyMem_New(Py_ssize_t, (size_t)n);
    enc->default_call = PyMem_New(char, (size_t)n);
    tmp = PyMem_New(Py_ssize_t, (size_t)n);
    if (enc->kinds == NULL || enc->src == NULL || enc->default_call == NULL || tmp == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    if (djf_read_ints(kinds, n, 0, DJF_KIND_COUNT - 1, tmp, "kinds") < 0 ||
        djf_read_ints(src, n, -1, nuser - 1, enc->src, "src") < 0) {
        goto error;
    }
    for (i = 0; i < n; i++) {
        enc->kinds[i] = (int)tmp[i];
    }
    if (djf_read_ints(dcall, n, 0, 1, tmp, "default_call") < 0) {
        goto error;
    }
    for (i = 0; i < n; i++) {
        enc->default_call[i] = (char)tmp[i];
        if (!PyCallable_Check(PyTuple_GET_ITEM(fallbacks, i)) ||
            (tmp[i] && !PyCallable_Check(PyTuple_GET_ITEM(defaults, i)))) {
            PyErr_SetString(PyExc_TypeError, "BulkEncoder: fallbacks and called defaults must "
                                             "be callable");
            goto error;
        }
    }
    enc->defaults = Py_NewRef(defaults);
    enc->fallbacks = Py_NewRef(fallbacks);
    enc->names = Py_NewRef(names);
    enc->missing = Py_NewRef(missing);
    PyMem_Free(tmp);
    return (PyObject *)enc;
error:
    PyMem_Free(tmp);
    Py_XDECREF(enc);
    return NULL;
}

int djf_bulk_check_row(djf_bulk_encoder *enc, PyObject *row, Py_ssize_t index)
{
    if (PyTuple_CheckExact(row)) {
        if (PyTuple_GET_SIZE(row) == enc->nuser) {
            return 0;
        }
        PyErr_Format(PyExc_ValueError,
                     "djfast.bulk: row %zd (counting from 0) has %zd value%s; expected %zd, one "
                     "per field in `fields`",
                     index, PyTuple_GET_SIZE(row), PyTuple_GET_SIZE(row) == 1 ? "" : "s",
                     enc->nuser);
        return -1;
    }
    if (PyList_CheckExact(row)) {
        if (PyList_GET_SIZE(row) == enc->ncols) {
            return 0;
        }
        PyErr_Format(PyExc_ValueError,
                     "djfast.bulk: row %zd (counting from 0) is a list of %zd value%s; expected "
                     "%zd, one per column",
                     index, PyList_GET_SIZE(row), PyList_GET_SIZE(row) == 1 ? "" : "s", enc->ncols);
        return -1;
    }
    PyErr_Format(PyExc_TypeError,
                 "djfast.bulk: row %zd (counting from 0) is a %.100s, not a tuple or list", index,
                 Py_TYPE(row)->tp_name);
    return -1;
}

PyObject *djf_bulk_row_value(djf_bulk_encoder *enc, PyObject *row, Py_ssize_t j)
{
    PyObject *v;
    PyObject *dflt;

    if (PyList_CheckExact(row)) {
        if (j >= PyList_GET_SIZE(row)) { /* only if a fallback shrank the list */
            PyErr_SetString(PyExc_RuntimeError, "djfast.bulk: a row changed while encoding");
            return NULL;
        }
        return Py_NewRef(PyList_GET_ITEM(row, j));
    }
    if (enc->src[j] >= 0) {
        v = PyTuple_GET_ITEM(row, enc->src[j]);
        if (v != enc->missing) {
            return Py_NewRef(v);
        }
    }
    dflt = PyTuple_GET_ITEM(enc->defaults, j);
    if (enc->default_call[j]) {
        return PyObject_CallNoArgs(dflt);
    }
    return Py_NewRef(dflt);
}

int djf_bulk_fail_at(djf_bulk_encoder *enc, Py_ssize_t index, Py_ssize_t j)
{
    PyObject *type = NULL;
    PyObject *value = NULL;
    PyObject *tb = NULL;
    PyObject *note = NULL;
    PyObject *res = NULL;

    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value == NULL) {
        goto done;
    }
    note = PyUnicode_FromFormat("djfast.bulk: row %zd (counting from 0), field %R", index,
                                PyTuple_GET_ITEM(enc->names, j));
    if (note != NULL) {
        res = PyObject_CallMethodOneArg(value, enc->st->bulk.str_add_note, note);
    }
    /* a failure to add the note must not replace the real error */
    if (res == NULL) {
        PyErr_Clear();
    }
done:
    if (tb != NULL && value != NULL) {
        PyException_SetTraceback(value, tb);
    }
    PyErr_Restore(type, value, tb);
    Py_XDECREF(note);
    Py_XDECREF(res);
    return -1;
}

int djf_bulk_utcoffset(djf_bulk_encoder *enc, PyObject *dt, int64_t *offset_us)
{
    PyObject *tz = PyDateTime_DATE_GET_TZINFO(dt);
    PyObject *off = NULL;
    int ret = -1;

    if (tz == Py_None) {
        return 0;
    }
    if (tz == enc->st->datetime_api->TimeZone_UTC) {
        *offset_us = 0;
        return 1;
    }
    off = PyObject_CallMethodOneArg(tz, enc->st->bulk.str_utcoffset, dt);
    if (off == NULL) {
        goto done;
    }
    if (off == Py_None) {
        ret = 0;
        goto done;
    }
    if (!PyObject_TypeCheck(off, enc->st->datetime_api->DeltaType)) {
        PyErr_Format(PyExc_TypeError,
                     "tzinfo.utcoffset() must return None or timedelta, not '%.200s'",
                     Py_TYPE(off)->tp_name);
        goto done;
    }
    *offset_us =
        ((int64_t)PyDateTime_DELTA_GET_DAYS(off) * 86400 + PyDateTime_DELTA_GET_SECONDS(off)) *
            1000000 +
        PyDateTime_DELTA_GET_MICROSECONDS(off);
    /* datetime.utcoffset() refuses these (Django's path raises); never store a shifted value */
    if (*offset_us <= -(int64_t)86400 * 1000000 || *offset_us >= (int64_t)86400 * 1000000) {
        PyErr_SetString(PyExc_ValueError, "offset must be a timedelta strictly between "
                                          "-timedelta(hours=24) and timedelta(hours=24).");
        goto done;
    }
    ret = 1;
done:
    Py_XDECREF(off);
    return ret;
}

static PyMethodDef djf_encoder_methods[] = {
    {"pg_copy", (PyCFunction)(void (*)(void))djf_bulk_pg_copy, METH_FASTCALL,
     "pg_copy(rows, offset, dump) -> bytes: the rows as PostgreSQL COPY text."},
    {"pg_copy_binary", (PyCFunction)(void (*)(void))djf_bulk_pg_copy_binary, METH_FASTCALL,
     "pg_copy_binary(rows, offset, pgtypes) -> (payload, stop, row): binary COPY of rows[:stop]; "
     "row holds rows[stop]'s computed values when a value has no exact binary form."},
    {"sqlite_params", (PyCFunction)(void (*)(void))djf_bulk_sqlite_params, METH_FASTCALL,
     "sqlite_params(rows, offset) -> list of tuples for executemany."},
    {"mysql_statements", (PyCFunction)(void (*)(void))djf_bulk_mysql_statements, METH_FASTCALL,
     "mysql_statements(rows, offset, prefix, max_bytes, string_literal, literal) -> list of "
     "INSERT statements (bytes)."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot djf_encoder_slots[] = {
    {Py_tp_new, (void *)djf_encoder_new},
    {Py_tp_dealloc, (void *)djf_encoder_dealloc},
    {Py_tp_traverse, (void *)djf_encoder_traverse},
    {Py_tp_clear, (void *)djf_encoder_clear},
    {Py_tp_methods, djf_encoder_methods},
    {Py_tp_doc, "Encodes batches of rows for one table and backend (used by djfast.bulk)."},
    {0, NULL},
};

static PyType_Spec djf_encoder_spec = {
    .name = "djfast._djfast.BulkEncoder",
    .basicsize = sizeof(djf_bulk_encoder),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = djf_encoder_slots,
};

/* instance_values(obj, getters) -> list: one value per getter, as Field.pre_save(obj, True)
 * gives it: a str getter is the attribute name (getattr(obj, name), what the stock pre_save
 * returns), any other getter is called with obj (a field's own pre_save). Returns a new list,
 * or NULL with an exception set. */
static PyObject *djf_bulk_instance_values(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *obj;
    PyObject *getters;
    PyObject *out = NULL;
    Py_ssize_t n;
    Py_ssize_t i;

    (void)module;
    if (nargs != 2 || !PyTuple_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "instance_values(obj, getters: tuple)");
        return NULL;
    }
    obj = args[0];
    getters = args[1];
    n = PyTuple_GET_SIZE(getters);
    out = PyList_New(n);
    if (out == NULL) {
        goto error;
    }
    for (i = 0; i < n; i++) {
        PyObject *g = PyTuple_GET_ITEM(getters, i);
        PyObject *v =
            PyUnicode_CheckExact(g) ? PyObject_GetAttr(obj, g) : PyObject_CallOneArg(g, obj);

        if (v == NULL) {
            goto error;
        }
        PyList_SET_ITEM(out, i, v);
    }
    return out;
error:
    Py_XDECREF(out);
    return NULL;
}

static PyMethodDef djf_bulk_functions[] = {
    {"instance_values", (PyCFunction)(void (*)(void))djf_bulk_instance_values, METH_FASTCALL,
     "instance_values(obj, getters) -> list: per getter, getattr(obj, getter) for a str, else "
     "getter(obj)."},
    {NULL, NULL, 0, NULL},
};

/* Returns a new interned str, or NULL with an exception set. */
static PyObject *djf_intern(const char *s)
{
    return PyUnicode_InternFromString(s);
}

int djf_bulk_exec(PyObject *module, struct djf_state *st)
{
    djf_bulk_state *b = &st->bulk;

    b->str_int = djf_intern("int");
    b->str_utcoffset = djf_intern("utcoffset");
    b->str_add_note = djf_intern("add_note");
    b->fmt_f = djf_intern("f");
    if (b->str_int == NULL || b->str_utcoffset == NULL || b->str_add_note == NULL ||
        b->fmt_f == NULL) {
        return -1;
    }
    b->encoder_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &djf_encoder_spec, NULL);
    if (b->encoder_type == NULL) {
        return -1;
    }
    if (PyModule_AddObjectRef(module, "BulkEncoder", (PyObject *)b->encoder_type) < 0) {
        return -1;
    }
    return PyModule_AddFunctions(module, djf_bulk_functions);
}

int djf_bulk_traverse(djf_bulk_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->encoder_type);
    Py_VISIT(st->str_int);
    Py_VISIT(st->str_utcoffset);
    Py_VISIT(st->str_add_note);
    Py_VISIT(st->fmt_f);
    return 0;
}

void djf_bulk_clear(djf_bulk_state *st)
{
    Py_CLEAR(st->encoder_type);
    Py_CLEAR(st->str_int);
    Py_CLEAR(st->str_utcoffset);
    Py_CLEAR(st->str_add_note);
    Py_CLEAR(st->fmt_f);
}
