/* djfast core: the text Django's ORM writes for a value read raw from a database, when that
 * text can be derived exactly without Python.
 *
 * - Stored ISO text of dates, times and datetimes (what Django's SQLite backend stores:
 *   date.isoformat(), time.isoformat(), datetime.isoformat(" ")), re-written as str() of the
 *   value Django parses from it. Only the exact canonical forms are accepted; every other form
 *   the parsers would take (a "T" separator, an offset, fewer fraction digits...) is left to
 *   the caller (0 returned), which converts it in Python.
 * - Decimals as Django's SQLite backend converts a stored REAL or INTEGER:
 *   str(Context(prec=sig).create_decimal_from_float(v).quantize(Decimal(1).scaleb(-places),
 *   context=Context(prec=max_digits))), both contexts rounding ROUND_HALF_EVEN.
 *
 * Pure C99, no Python.h. Every function returns the number of bytes written to `out`, or 0 when
 * the caller must convert the value another way (Python raises, or writes a form not made
 * here).
 */
#ifndef DJF_DBTEXT_H
#define DJF_DBTEXT_H

#include "djf_common.h"
#include "fmt.h"

/* "YYYY-MM-DD HH:MM:SS.ffffff+00:00" */
#define DJF_DBTEXT_DATETIME_MAX (DJF_FMT_DATE_MAX + 1 + DJF_FMT_TIME_MAX + 6)
#define DJF_DBTEXT_SIG_MAX      18 /* create_decimal precisions handled (digits in a uint64) */

/* s[0..n) must be exactly "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD HH:MM:SS.ffffff" (ASCII digits,
 * year >= 1, a real calendar day, hour < 24, minute and second < 60). Writes str() of the
 * datetime (microseconds only when not zero), then "+00:00" when `utc` (the value made aware
 * in UTC). At most DJF_DBTEXT_DATETIME_MAX bytes. */
size_t djf_dbtext_datetime(char *out, const char *s, size_t n, int utc);

/* s must be exactly "YYYY-MM-DD" (year >= 1, a real calendar day). Writes str() of the date.
 * At most DJF_FMT_DATE_MAX bytes. */
size_t djf_dbtext_date(char *out, const char *s, size_t n);

/* s must be exactly "HH:MM:SS" or "HH:MM:SS.ffffff" (hour < 24, minute and second < 60).
 * Writes str() of the time. At most DJF_FMT_TIME_MAX bytes. */
size_t djf_dbtext_time(char *out, const char *s, size_t n);

/* The quantization of Django's SQLite decimal converter. */
typedef struct djf_dbtext_decimal {
    int sig;        /* create_decimal_from_float's precision: 1..DJF_DBTEXT_SIG_MAX */
    int places;     /* the field's decimal_places: >= 0 */
    int max_digits; /* quantize's precision (the field's context): >= 1 */
} djf_dbtext_decimal;

/* Writes the decimal text for a finite double v with |v| < 2^64, or returns 0: v is not
 * finite or that large, the spec is out of range, the result has more than max_digits digits
 * (quantize raises), str() would use an exponent, or it does not fit in `cap` bytes. */
size_t djf_dbtext_decimal_double(char *out, size_t cap, double v, const djf_dbtext_decimal *spec);

/* The same for an integer v (create_decimal_from_float takes ints too). */
size_t djf_dbtext_decimal_int64(char *out, size_t cap, int64_t v, const djf_dbtext_decimal *spec);

#endif
