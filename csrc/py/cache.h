/* djfast._djfast: cache binding (see module.h for the contract). */
#ifndef DJF_PY_CACHE_H
#define DJF_PY_CACHE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

struct djf_state;

typedef struct djf_cache_state {
    PyObject *placeholder; /* replaced by the feature's own objects */
} djf_cache_state;

/* Returns 0, or -1 with an exception set. */
int djf_cache_exec(PyObject *module, struct djf_state *st);
int djf_cache_traverse(djf_cache_state *st, visitproc visit, void *arg);
void djf_cache_clear(djf_cache_state *st);

#endif
