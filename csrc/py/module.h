/* djfast._djfast: module state shared by the feature bindings.
 *
 * Each feature (cache, compress, csv, bulk) owns one .c file and one .h file that declares
 *   - its state struct  djf_<feature>_state  (Python objects it keeps: heap types, cached
 *     callables), embedded below in djf_state;
 *   - int  djf_<feature>_exec(PyObject *module, djf_state *st)   -- adds its functions and
 *     types; returns 0, or -1 with an exception set;
 *   - int  djf_<feature>_traverse(djf_<feature>_state *, visitproc, void *);
 *   - void djf_<feature>_clear(djf_<feature>_state *).
 * module.c calls them in that order; no feature keeps a C global.
 */
#ifndef DJF_MODULE_H
#define DJF_MODULE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
/* datetime.h defines a static PyDateTimeAPI pointer in every file that includes it; we keep
 * the capsule in module state instead (st->datetime_api), so silence that unused variable. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#endif
#include <datetime.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "bulk.h"
#include "cache.h"
#include "compress.h"
#include "csv.h"

typedef struct djf_state {
    /* shared by several features: value types with C fast paths */
    PyDateTime_CAPI *datetime_api; /* borrowed from the datetime capsule, lives forever */
    PyObject *decimal_type;        /* decimal.Decimal */
    PyObject *uuid_type;           /* uuid.UUID */
    djf_cache_state cache;
    djf_compress_state compress;
    djf_csv_state csv;
    djf_bulk_state bulk;
} djf_state;

extern PyModuleDef djf_module_def;

/* Returns the module state of `module` (never fails for our module). */
static inline djf_state *djf_get_state(PyObject *module)
{
    return (djf_state *)PyModule_GetState(module);
}

/* Returns the module state for an instance of one of our heap types, or NULL with an
 * exception set. */
static inline djf_state *djf_state_from_type(PyTypeObject *tp)
{
    PyObject *module = PyType_GetModuleByDef(tp, &djf_module_def);
    if (module == NULL) {
        return NULL;
    }
    return djf_get_state(module);
}

/* Converts a core status code into a Python exception; always returns -1. */
int djf_raise_status(int status, const char *what);

#endif
