/* djfast core: reading PostgreSQL's binary COPY format (COPY ... TO STDOUT (FORMAT binary)) and
 * writing its values as the text Python's str() gives the values psycopg loads. Pure C99.
 *
 * The stream is a header (11-byte signature, flags, extension area), then one tuple per row
 * (int16 field count; per field an int32 length, -1 for NULL, then the bytes), then the
 * trailer (int16 -1). All integers are big-endian. The formatters return the number of bytes
 * written, or 0 when the value has no exact text here (out of Python's range, NaN/infinity,
 * too long...): the caller then loads it another way.
 */
#ifndef DJF_COPY_READ_H
#define DJF_COPY_READ_H

#include "djf_common.h"

#include <stddef.h>
#include <stdint.h>

#define DJF_COPY_EFORMAT -110 /* malformed stream */

#define DJF_COPY_TEXT_MAX 64 /* room for every formatter but numeric */

/* Reads the header at p[0..n). Returns DJF_OK with *used set, or DJF_COPY_EFORMAT (wrong
 * signature, flags asking for OIDs, or truncated). */
int djf_copy_read_header(const unsigned char *p, size_t n, size_t *used);

/* Reads a tuple's field count at p[*pos]. Returns DJF_OK with *nfields (-1 for the trailer) and
 * *pos advanced, or DJF_COPY_EFORMAT. */
int djf_copy_read_count(const unsigned char *p, size_t n, size_t *pos, int *nfields);

/* Reads one field at p[*pos]. Returns DJF_OK with *data and *len (-1 for NULL) and *pos
 * advanced, or DJF_COPY_EFORMAT when the field runs past n. */
int djf_copy_read_field(const unsigned char *p, size_t n, size_t *pos, const unsigned char **data,
                        int32_t *len);

/* int2/int4/int8 (len 2, 4 or 8) in decimal; 0 for another length. */
size_t djf_copy_fmt_int(char *out, const unsigned char *p, int32_t len);

/* The float8 (len 8) or float4 (len 4) value as a double; returns 0 for another length. */
int djf_copy_get_double(const unsigned char *p, int32_t len, double *v);

/* bool: "True" / "False". */
size_t djf_copy_fmt_bool(char *out, const unsigned char *p, int32_t len);

/* date: "YYYY-MM-DD" for years 1..9999. */
size_t djf_copy_fmt_date(char *out, const unsigned char *p, int32_t len);

/* time: "HH:MM:SS[.ffffff]" for 00:00..23:59:59.999999. */
size_t djf_copy_fmt_time(char *out, const unsigned char *p, int32_t len);

/* timestamp / timestamptz: "YYYY-MM-DD HH:MM:SS[.ffffff]" plus `suffix` (e.g. "+00:00" for a
 * timestamptz read in UTC, "" for a naive timestamp), years 1..9999. */
size_t djf_copy_fmt_timestamp(char *out, const unsigned char *p, int32_t len, const char *suffix);

/* uuid: lowercase hyphenated. */
size_t djf_copy_fmt_uuid(char *out, const unsigned char *p, int32_t len);

/* numeric as str(Decimal(<PostgreSQL's text of it>)): plain notation, or scientific when the
 * adjusted exponent is below -6 ("1E-7", "0E-8"). NaN, infinities and values needing more
 * than cap bytes give 0. */
size_t djf_copy_fmt_numeric(char *out, size_t cap, const unsigned char *p, int32_t len);

#endif
