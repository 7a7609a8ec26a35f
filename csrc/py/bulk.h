/* djfast._djfast: bulk binding (see module.h for the contract). */
#ifndef DJF_PY_BULK_H
#define DJF_PY_BULK_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

struct djf_state;

typedef struct djf_bulk_state {
    PyObject *placeholder; /* replaced by the feature's own objects */
} djf_bulk_state;

/* Returns 0, or -1 with an exception set. */
int djf_bulk_exec(PyObject *module, struct djf_state *st);
int djf_bulk_traverse(djf_bulk_state *st, visitproc visit, void *arg);
void djf_bulk_clear(djf_bulk_state *st);

#endif
