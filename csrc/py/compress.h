/* djfast._djfast: compress binding (see module.h for the contract). */
#ifndef DJF_PY_COMPRESS_H
#define DJF_PY_COMPRESS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

struct djf_state;

typedef struct djf_compress_state {
    PyObject *placeholder; /* replaced by the feature's own objects */
} djf_compress_state;

/* Returns 0, or -1 with an exception set. */
int djf_compress_exec(PyObject *module, struct djf_state *st);
int djf_compress_traverse(djf_compress_state *st, visitproc visit, void *arg);
void djf_compress_clear(djf_compress_state *st);

#endif
