/* djfast core: value encodings for bulk inserts. Pure C99, no Python.h.
 *
 * PostgreSQL COPY text format (one row per line, fields separated by a tab, NULL as \N):
 * a backslash, tab, newline or carriage return inside a value is written as \\, \t, \n, \r;
 * a NUL byte cannot be represented (PostgreSQL text never holds one) and is refused.
 * bytea values travel in hex form ("\x0a1b..."), whose backslash COPY escapes again.
 * Date/time shifting moves a broken-down datetime by a signed number of microseconds
 * (aware -> UTC conversion) with the proleptic Gregorian calendar Python uses.
 */
#ifndef DJF_COPY_H
#define DJF_COPY_H

#include "buf.h"
#include "djf_common.h"

#define DJF_COPY_NULL "\\N"

/* Longest text djf_fmt_datetime writes: "YYYY-MM-DD HH:MM:SS.ffffff". */
#define DJF_FMT_DATETIME_MAX 26

typedef struct djf_datetime {
    int year, month, day, hour, minute, second, us;
} djf_datetime;

/* Appends s[0..n) escaped for COPY text. Returns DJF_OK, DJF_ENOMEM, DJF_EOVERFLOW, or
 * DJF_EINVAL when s holds a NUL byte (then *nul_at, if not NULL, is its offset and the buffer
 * may hold a partial value: callers drop the whole payload). */
djf_status djf_copy_escape(djf_buf *b, const char *s, size_t n, size_t *nul_at);

/* Appends bytes as a COPY-escaped bytea hex literal ("\\x" then 2n hex digits).
 * Returns DJF_OK, DJF_ENOMEM or DJF_EOVERFLOW. */
djf_status djf_copy_bytea_hex(djf_buf *b, const unsigned char *s, size_t n);

/* Returns the index of the first byte of s[0..n) that COPY text must escape (backslash, tab,
 * newline, carriage return or NUL), or n when there is none. Never fails. */
size_t djf_copy_scan(const char *s, size_t n);

/* Returns 1 if year/month/day/hour/minute/second/us form a valid datetime (years 1..9999). */
int djf_datetime_valid(const djf_datetime *dt);

/* Moves *dt by delta_us microseconds. Returns DJF_OK, or DJF_EINVAL when *dt is not valid or
 * the result leaves years 1..9999 (*dt is unchanged then). */
djf_status djf_datetime_shift(djf_datetime *dt, int64_t delta_us);

/* Writes "YYYY-MM-DD HH:MM:SS[.ffffff]" as str(datetime) does for a naive value (microseconds
 * only when non-zero; always when `always_us`). Returns the length (at most
 * DJF_FMT_DATETIME_MAX). Never fails. */
size_t djf_fmt_datetime(char *out, const djf_datetime *dt, int always_us);

/* ---- PostgreSQL binary COPY (values in network byte order) ---- */

/* Days from 2000-01-01 (PostgreSQL's date epoch) to a civil date. Never fails. */
int64_t djf_pg_epoch_days(int year, int month, int day);

/* Microseconds from 2000-01-01 00:00 to *dt (PostgreSQL's timestamp epoch). Never fails. */
int64_t djf_pg_epoch_us(const djf_datetime *dt);

/* Appends a field: int32 length n, then n bytes. Returns DJF_OK, DJF_ENOMEM, DJF_EOVERFLOW or
 * DJF_EINVAL (n > INT32_MAX). */
djf_status djf_pgbin_field(djf_buf *b, const void *data, size_t n);

/* Appends v as a big-endian 2/4/8-byte field (int32 length first). Returns DJF_OK, DJF_ENOMEM
 * or DJF_EOVERFLOW. */
djf_status djf_pgbin_int(djf_buf *b, int64_t v, int size);

/* Appends the decimal text s[0..n) ("[-]digits[.digits][E[+-]digits]", as str(Decimal) writes
 * it) as a binary numeric field. Returns DJF_OK, DJF_ENOMEM, DJF_EOVERFLOW, or DJF_EINVAL for
 * text that is not a finite number or whose scale or weight PostgreSQL cannot hold (nothing is
 * appended then). */
djf_status djf_pgbin_numeric(djf_buf *b, const char *s, size_t n);

#endif
