/* djfast core: text formatting of numbers, dates, times and UUIDs, as Python's str() writes them.
 * Pure C99, no Python.h. Each function writes into `out` (which must have room for the
 * documented maximum) and returns the number of bytes written; none of them fails.
 */
#ifndef DJF_FMT_H
#define DJF_FMT_H

#include "djf_common.h"

#define DJF_FMT_INT64_MAX  20 /* "-9223372036854775808" */
#define DJF_FMT_UINT64_MAX 20 /* "18446744073709551615" */
#define DJF_FMT_DATE_MAX   10 /* "YYYY-MM-DD" (years 1..9999) */
#define DJF_FMT_TIME_MAX   15 /* "HH:MM:SS.ffffff" */
#define DJF_FMT_OFFSET_MAX 16 /* "+HH:MM:SS.ffffff" */
#define DJF_FMT_UUID_MAX   36 /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */

/* Writes v in decimal. At most DJF_FMT_INT64_MAX bytes. */
size_t djf_fmt_int64(char *out, int64_t v);

/* Writes v in decimal. At most DJF_FMT_UINT64_MAX bytes. */
size_t djf_fmt_uint64(char *out, uint64_t v);

/* Writes "YYYY-MM-DD" as date.isoformat() does (year zero-padded to 4). 10 bytes. */
size_t djf_fmt_date(char *out, int year, int month, int day);

/* Writes "HH:MM:SS" or "HH:MM:SS.ffffff" (when us != 0), as time.isoformat() does. */
size_t djf_fmt_time(char *out, int hour, int minute, int second, int us);

/* Writes a UTC offset as Python's isoformat does: "+HH:MM", plus ":SS" when seconds or
 * microseconds are set, plus ".ffffff" when microseconds are set. `total_us` is the
 * signed offset in microseconds (|offset| < 24h). */
size_t djf_fmt_utcoffset(char *out, int64_t total_us);

/* Writes 16 bytes as a lowercase, hyphenated UUID (36 bytes). */
size_t djf_fmt_uuid(char *out, const unsigned char bytes[16]);

/* Writes n bytes as 2n lowercase hex digits. */
size_t djf_fmt_hex(char *out, const unsigned char *bytes, size_t n);

#endif
