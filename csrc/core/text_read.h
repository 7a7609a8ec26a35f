/* djfast core: values in a database's text form (MariaDB/MySQL's rows as the server sends
 * them; the ISO text Django's SQLite backend stores, which its parsers read the same way)
 * written as the text Python's str() gives the value the driver or Django makes of them.
 * Pure C99.
 *
 * Each function takes the value's text s[0..n) (not NUL-terminated) and either writes the exact
 * text and returns its length, or returns 0 when the text is not in the one form known here
 * (the caller then converts the value in Python, which decides or raises as the ORM does).
 */
#ifndef DJF_TEXT_READ_H
#define DJF_TEXT_READ_H

#include "djf_common.h"

#include <stddef.h>

#define DJF_TEXT_TIMESTAMP_MAX 32 /* "YYYY-MM-DD HH:MM:SS.ffffff" plus a 6-byte suffix */

/* An integer "-?(0|[1-9][0-9]*)" (not "-0"): str(int(text)) is the text. Returns n when it is
 * one (nothing written: the text is the output), else 0. */
size_t djf_text_int(const char *s, size_t n);

/* A decimal "-?(0|[1-9][0-9]*)(.[0-9]+)?" whose adjusted exponent is at least -6:
 * str(Decimal(text)) is the text (plain notation). Returns n when it is one, else 0. */
size_t djf_text_decimal(const char *s, size_t n);

/* A date "YYYY-MM-DD", years 1..9999, a day of that month: str(date) is the text. Returns n,
 * else 0. */
size_t djf_text_date(const char *s, size_t n);

/* A time "HH:MM:SS" with an optional fraction of 1 to 6 digits (scaled to microseconds),
 * hours 0..23: writes str(time) ("HH:MM:SS" plus ".ffffff" when microseconds are set) into out
 * (DJF_FMT_TIME_MAX bytes). */
size_t djf_text_time(char *out, const char *s, size_t n);

/* A datetime "YYYY-MM-DD HH:MM:SS" with an optional fraction as above: writes str(datetime)
 * followed by `suffix` (e.g. "+00:00" for one made aware in UTC; at most 6 bytes) into out
 * (DJF_TEXT_TIMESTAMP_MAX bytes). */
size_t djf_text_timestamp(char *out, const char *s, size_t n, const char *suffix);

#endif
