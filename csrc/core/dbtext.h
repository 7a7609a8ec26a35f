/* djfast core: the text Django's ORM writes for a decimal read raw from SQLite, when that text
 * can be derived exactly without Python (stored ISO dates and times are read by text_read.h).
 *
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

#define DJF_DBTEXT_SIG_MAX 18 /* create_decimal precisions handled (digits in a uint64) */

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
