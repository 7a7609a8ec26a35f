/* djfast._djfast: the CSVFeed object shared by csv_copy.c (the type, copy() and pull(): binary
 * COPY) and csv_rows.c (rows(): DB-API rows). */
#ifndef DJF_PY_CSV_FEED_H
#define DJF_PY_CSV_FEED_H

#include "module.h"

#include "copy_read.h" /* DJF_COPY_TEXT_MAX */

#define DJF_FEED_NUMERIC_MAX 1100 /* numeric text longer than this goes through Python */

typedef struct djf_csv_feed_obj {
    PyObject_HEAD djf_csv_writer_obj *writer;
    djf_buf buf;
    Py_ssize_t chunk_size;
    int header_read; /* copy(): the COPY header was consumed */
    int ended;       /* copy(): the trailer was seen */
    int busy;
} djf_csv_feed_obj;

/* Moves the buffer into a new bytes object appended to `chunks`. Returns 0, or -1 with an
 * exception set. (csv_copy.c) */
int djf_csv_feed_take(djf_csv_feed_obj *f, PyObject *chunks);

/* Writes repr(d) into text (DJF_COPY_TEXT_MAX bytes). Returns the length, 0 when it does not
 * fit, or -1 with an exception set. (csv_rows.c) */
Py_ssize_t djf_csv_feed_fmt_double(char *text, double d);

/* rows(batch, converters=None, kinds=None, decimals=None) -> list of bytes chunks. (csv_rows.c) */
PyObject *djf_csv_feed_rows(djf_csv_feed_obj *f, PyObject *const *args, Py_ssize_t nargs);

#endif
