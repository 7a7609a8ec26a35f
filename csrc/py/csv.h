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
    PyObject *feed_type;     /* CSVFeed (csv_copy.c) */
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

/* Appends one Python value as a field of row r (csv.writer's rules). Returns 0, or -1 with an
 * exception set. */
int djf_csv_append_value(struct djf_state *st, djf_csv_writer_obj *w, djf_csv_row *r, djf_buf *out,
                         PyObject *v, int strict);

/* Appends C-formatted ASCII text of a non-str value; `number` says whether csv counts the value
 * as a number (QUOTE_NONNUMERIC). Returns 0, or -1 with an exception set. */
int djf_csv_append_formatted(struct djf_state *st, djf_csv_writer_obj *w, djf_csv_row *r,
                             djf_buf *out, const char *text, size_t n, int number, int strict);

/* Appends UTF-8 text as the field of a str value. Returns 0, or -1 with an exception set. */
int djf_csv_append_utf8(struct djf_state *st, djf_csv_writer_obj *w, djf_csv_row *r, djf_buf *out,
                        const char *text, size_t n, int strict);

/* Ends row r (single-empty-field rule, lineterminator); on failure truncates `out` to the row's
 * start. Returns 0, or -1 with an exception set. */
int djf_csv_end_row(struct djf_state *st, djf_csv_writer_obj *w, djf_csv_row *r, djf_buf *out,
                    int strict);

/* Adds the CSVFeed type (csv_copy.c). Returns 0, or -1 with an exception set. */
int djf_csv_feed_exec(PyObject *module, struct djf_state *st);

#endif
