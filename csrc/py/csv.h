/* djfast._djfast: csv binding (see module.h for the contract). */
#ifndef DJF_PY_CSV_H
#define DJF_PY_CSV_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

struct djf_state;

typedef struct djf_csv_state {
    PyObject *placeholder; /* replaced by the feature's own objects */
} djf_csv_state;

/* Returns 0, or -1 with an exception set. */
int djf_csv_exec(PyObject *module, struct djf_state *st);
int djf_csv_traverse(djf_csv_state *st, visitproc visit, void *arg);
void djf_csv_clear(djf_csv_state *st);

#endif
