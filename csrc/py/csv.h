/* djfast._djfast: csv binding (see module.h for the contract).
 *
 * CSVWriter wraps a core dialect (csrc/core/csv.h) built from a dialect the stdlib's csv
 * module has already validated; CSVChunks turns an iterable of rows into bytes chunks.
 * csv_values.c converts Python values to field text the way csv.writer does (str() semantics).
 */
#ifndef DJF_PY_CSV_H
#define DJF_PY_CSV_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* the core header shares this file's name; name it by path */
#include "../core/csv.h"

struct djf_state;

typedef struct djf_csv_state {
    PyObject *writer_type;   /* CSVWriter */
    PyObject *chunks_type;   /* CSVChunks */
    PyObject *error;         /* csv.Error */
    PyObject *str_utcoffset; /* "utcoffset" */
    PyObject *str_int;       /* "int" */
    PyObject *str_close;     /* "close" */
    PyObject *sixty_four;    /* 64 */
} djf_csv_state;

typedef struct djf_csv_writer_obj {
    PyObject_HEAD PyObject *dialect; /* the csv module's validated dialect */
    djf_csv_dialect d;
    Py_ssize_t chunk_size;
    int escape_formulas;
    int busy;    /* a writerow call is using `row` (others use their own buffer) */
    djf_buf row; /* scratch buffer of writerow */
} djf_csv_writer_obj;

/* Returns 0, or -1 with an exception set. */
int djf_csv_exec(PyObject *module, struct djf_state *st);
int djf_csv_traverse(djf_csv_state *st, visitproc visit, void *arg);
void djf_csv_clear(djf_csv_state *st);

/* Appends one row (any iterable of values) to `out` as csv.writer would write it; `strict`
 * refuses lone surrogates with UnicodeEncodeError. On failure `out` is left as it was.
 * Returns 0, or -1 with an exception set. */
int djf_csv_append_row(struct djf_state *st, djf_csv_writer_obj *w, djf_buf *out, PyObject *row,
                       int strict);

#endif
