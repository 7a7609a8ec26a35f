/* djfast._djfast: build_info() (info.c). No state of its own. */
#ifndef DJF_PY_INFO_H
#define DJF_PY_INFO_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Adds build_info. Returns 0, or -1 with an exception set. */
int djf_info_exec(PyObject *module);

#endif
