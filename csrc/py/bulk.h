/* djfast._djfast: bulk binding (see module.h for the contract).
 *
 * BulkEncoder turns a batch of rows into what one database driver call takes: a PostgreSQL
 * COPY text payload, SQLite executemany parameters, or MariaDB/MySQL multi-row INSERT
 * statements. djfast/bulk.py decides per column a kind (the C fast path), a default and a
 * Python fallback (field.get_db_prep_save and friends) for values the fast path does not take.
 */
#ifndef DJF_PY_BULK_H
#define DJF_PY_BULK_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "buf.h"
#include "copy.h"

struct djf_state;

typedef struct djf_bulk_state {
    PyTypeObject *encoder_type; /* djfast._djfast.BulkEncoder */
    PyObject *str_int;          /* interned attribute/method names */
    PyObject *str_utcoffset;
    PyObject *str_add_note;
    PyObject *fmt_f; /* "f", the format spec MySQLdb uses for Decimal */
} djf_bulk_state;

/* Returns 0, or -1 with an exception set. */
int djf_bulk_exec(PyObject *module, struct djf_state *st);
int djf_bulk_traverse(djf_bulk_state *st, visitproc visit, void *arg);
void djf_bulk_clear(djf_bulk_state *st);

/* ---- shared between bulk.c and bulk_encode.c (not part of the module API) ---- */

enum djf_bulk_backend { DJF_BULK_POSTGRESQL = 0, DJF_BULK_SQLITE = 1, DJF_BULK_MYSQL = 2 };

enum djf_bulk_kind {
    DJF_KIND_OTHER = 0, /* always through the Python fallback */
    DJF_KIND_INT,
    DJF_KIND_FLOAT,
    DJF_KIND_DECIMAL,
    DJF_KIND_BOOL,
    DJF_KIND_STR,
    DJF_KIND_DATE,
    DJF_KIND_DATETIME,
    DJF_KIND_TIME,
    DJF_KIND_UUID,
    DJF_KIND_BYTES,
    DJF_KIND_COUNT
};

typedef struct djf_bulk_encoder {
    PyObject_HEAD int backend;
    int use_tz; /* settings.USE_TZ: aware datetimes go to UTC, naive ones to the fallback */
    int utc_ok; /* SQLite/MySQL: the connection's time zone is UTC (else datetimes fall back) */
    Py_ssize_t ncols;
    Py_ssize_t nuser;     /* values in a tuple row (len(fields)) */
    int *kinds;           /* per column, PyMem */
    Py_ssize_t *src;      /* per column: index in a tuple row, or -1 (always the default) */
    char *default_call;   /* per column: 1 = call defaults[j]() per row, 0 = constant */
    PyObject *defaults;   /* tuple: constant or callable per column */
    PyObject *fallbacks;  /* tuple: callable(value) -> prepared value, per column */
    PyObject *names;      /* tuple of str: field names, for error messages */
    PyObject *missing;    /* sentinel: "this column takes its default" in a tuple row */
    struct djf_state *st; /* module state (borrowed; the type keeps the module alive) */
} djf_bulk_encoder;

/* Returns a new reference to column j's value of `row` (a tuple in fields order, or a list
 * with one value per column), defaults applied; or NULL with an exception set. */
PyObject *djf_bulk_row_value(djf_bulk_encoder *enc, PyObject *row, Py_ssize_t j);

/* Checks the shape of row number `index`. Returns 0, or -1 with an exception set. */
int djf_bulk_check_row(djf_bulk_encoder *enc, PyObject *row, Py_ssize_t index);

/* Adds a note naming the row and field to the current exception; always returns -1. */
int djf_bulk_fail_at(djf_bulk_encoder *enc, Py_ssize_t index, Py_ssize_t j);

/* Returns the value's UTC offset in microseconds in *offset_us (0 for timezone.utc) and 1,
 * 0 when the datetime is naive, or -1 with an exception set. */
int djf_bulk_utcoffset(djf_bulk_encoder *enc, PyObject *dt, int64_t *offset_us);

/* Value helpers shared by the encoders (bulk_encode.c). */

/* Appends n bytes. Returns 0, or -1 with an exception set. */
int djf_bulk_put(djf_buf *b, const char *s, size_t n);

/* Returns a new ASCII str, or NULL with an exception set. */
PyObject *djf_bulk_ascii(const char *s, size_t n);

/* Reads a UUID's 16 bytes (big-endian). Returns 0, or -1 with an exception set. */
int djf_bulk_uuid_bytes(djf_bulk_encoder *enc, PyObject *v, unsigned char out[16]);

/* Reads a datetime as the database should store it. Returns 0 (*aware: converted to UTC),
 * 1 when the value needs the Python fallback, or -1 with an exception set. */
int djf_bulk_datetime_fields(djf_bulk_encoder *enc, PyObject *v, djf_datetime *dt, int *aware);

/* Returns 1 when str(Decimal) or format(Decimal, "f") text is not a finite number. */
int djf_bulk_decimal_text_special(const char *s, Py_ssize_t n);

/* Appends the text of an exact Decimal: str(v), or format(v, format_spec) when format_spec is
 * not NULL. Returns 0, 1 when the value needs the fallback (not an exact Decimal, or not a finite
 * number), or -1 with an exception set. */
int djf_bulk_put_decimal(struct djf_state *st, djf_buf *b, PyObject *v, PyObject *format_spec);

/* Writes the text of an int, date, datetime or time value for PostgreSQL COPY or (quoted) MySQL.
 * Returns 0, 1 when the value needs the fallback, 2 when the kind is not one of these, or -1
 * with an exception set. */
int djf_bulk_put_number_or_date(djf_bulk_encoder *enc, djf_buf *b, int kind, PyObject *v);

/* The three encoders (bulk_encode.c, bulk_sqlite.c, bulk_mysql.c), as BulkEncoder methods. */
PyObject *djf_bulk_pg_copy(djf_bulk_encoder *enc, PyObject *const *args, Py_ssize_t nargs);
PyObject *djf_bulk_pg_copy_binary(djf_bulk_encoder *enc, PyObject *const *args, Py_ssize_t nargs);
PyObject *djf_bulk_sqlite_params(djf_bulk_encoder *enc, PyObject *const *args, Py_ssize_t nargs);
PyObject *djf_bulk_mysql_statements(djf_bulk_encoder *enc, PyObject *const *args, Py_ssize_t nargs);

#endif
