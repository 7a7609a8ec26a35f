/* djfast._djfast: module definition, multi-phase init and module state.
 * Feature bindings live in cache.c, compress.c, csv.c and bulk.c; this file only wires them.
 */
#include "module.h"

#include "djf_common.h"
#include "info.h"

/* Returns -1 with an exception set describing a core status code. */
int djf_raise_status(int status, const char *what)
{
    switch (status) {
    case DJF_ENOMEM:
        PyErr_NoMemory();
        break;
    case DJF_EOVERFLOW:
        PyErr_Format(PyExc_OverflowError, "%s: size too large", what);
        break;
    case DJF_EINVAL:
        PyErr_Format(PyExc_ValueError, "%s: invalid argument", what);
        break;
    default:
        PyErr_Format(PyExc_RuntimeError, "%s failed (status %d)", what, status);
        break;
    }
    return -1;
}

/* Returns a new reference to module.attr, or NULL with an exception set. */
static PyObject *djf_import_attr(const char *module, const char *attr)
{
    PyObject *mod = NULL;
    PyObject *res = NULL;

    mod = PyImport_ImportModule(module);
    if (mod == NULL) {
        goto done;
    }
    res = PyObject_GetAttrString(mod, attr);
done:
    Py_XDECREF(mod);
    return res;
}

/* Returns 0, or -1 with an exception set. */
static int djf_exec(PyObject *module)
{
    djf_state *st = djf_get_state(module);

    st->datetime_api = (PyDateTime_CAPI *)PyCapsule_Import(PyDateTime_CAPSULE_NAME, 0);
    if (st->datetime_api == NULL) {
        return -1;
    }
    st->decimal_type = djf_import_attr("decimal", "Decimal");
    if (st->decimal_type == NULL) {
        return -1;
    }
    st->uuid_type = djf_import_attr("uuid", "UUID");
    if (st->uuid_type == NULL) {
        return -1;
    }
    if (djf_cache_exec(module, st) < 0 || djf_compress_exec(module, st) < 0 ||
        djf_csv_exec(module, st) < 0 || djf_bulk_exec(module, st) < 0) {
        return -1;
    }
    if (djf_info_exec(module) < 0) {
        return -1;
    }
    return 0;
}

static int djf_traverse(PyObject *module, visitproc visit, void *arg)
{
    djf_state *st = djf_get_state(module);
    int r;

    Py_VISIT(st->decimal_type);
    Py_VISIT(st->uuid_type);
    r = djf_cache_traverse(&st->cache, visit, arg);
    if (r == 0) {
        r = djf_compress_traverse(&st->compress, visit, arg);
    }
    if (r == 0) {
        r = djf_csv_traverse(&st->csv, visit, arg);
    }
    if (r == 0) {
        r = djf_bulk_traverse(&st->bulk, visit, arg);
    }
    return r;
}

static int djf_clear(PyObject *module)
{
    djf_state *st = djf_get_state(module);

    Py_CLEAR(st->decimal_type);
    Py_CLEAR(st->uuid_type);
    st->datetime_api = NULL;
    djf_cache_clear(&st->cache);
    djf_compress_clear(&st->compress);
    djf_csv_clear(&st->csv);
    djf_bulk_clear(&st->bulk);
    return 0;
}

static void djf_free(void *module)
{
    (void)djf_clear((PyObject *)module);
}

static PyModuleDef_Slot djf_slots[] = {
    {Py_mod_exec, (void *)djf_exec},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

PyModuleDef djf_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "djfast._djfast",
    .m_doc = "C kernels behind djfast: cache keys, compression, CSV and bulk-insert buffers.",
    .m_size = sizeof(djf_state),
    .m_methods = NULL,
    .m_slots = djf_slots,
    .m_traverse = djf_traverse,
    .m_clear = djf_clear,
    .m_free = djf_free,
};

PyMODINIT_FUNC PyInit__djfast(void)
{
    return PyModuleDef_Init(&djf_module_def);
}
