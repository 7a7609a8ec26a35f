/* djfast core: CSV field quoting and escaping, as CPython's csv.writer does it. Pure C99.
 *
 * Text comes in as code units of width 1 (ASCII or Latin-1), 2 or 4 (the layouts CPython's
 * str uses) and goes out as UTF-8 into a djf_buf. A row is djf_csv_row_begin, one
 * djf_csv_field per field, then djf_csv_row_end. The caller decides per field whether it is
 * quoted from the start (QUOTE_ALL, QUOTE_NONNUMERIC...); the content decides the rest,
 * exactly as CPython 3.11's writer does:
 *   - a character equal to the delimiter, the quotechar, the escapechar, or any character of
 *     the lineterminator is special;
 *   - under QUOTE_NONE every special character is escaped (error without an escapechar);
 *   - otherwise the quotechar is doubled (doublequote) or escaped, the escapechar is escaped,
 *     and any other special character quotes the field;
 *   - a row made of one empty, unquoted field is written as two quotechars (an error under
 *     QUOTE_NONE).
 * Lone surrogates (U+D800..U+DFFF) are written as three-byte sequences ("surrogatepass") unless
 * DJF_CSV_STRICT_UTF8 is given, which refuses them with DJF_CSV_ESURROGATE.
 */
#ifndef DJF_CSV_H
#define DJF_CSV_H

#include "buf.h"
#include "djf_common.h"

#include <stdint.h>

#define DJF_CSV_NOT_SET ((uint32_t)0xFFFFFFFFu) /* no quotechar / no escapechar */

/* The quoting styles, with the values of the csv module's constants. */
enum {
    DJF_CSV_QUOTE_MINIMAL = 0,
    DJF_CSV_QUOTE_ALL = 1,
    DJF_CSV_QUOTE_NONNUMERIC = 2,
    DJF_CSV_QUOTE_NONE = 3,
    DJF_CSV_QUOTE_STRINGS = 4,
    DJF_CSV_QUOTE_NOTNULL = 5
};

/* Text layouts accepted by djf_csv_field. */
enum {
    DJF_CSV_ASCII = 0, /* bytes < 0x80 (also valid UTF-8 as is) */
    DJF_CSV_UCS1 = 1,  /* Latin-1 code units */
    DJF_CSV_UCS2 = 2,  /* uint16_t code units */
    DJF_CSV_UCS4 = 4   /* uint32_t code units */
};

/* Flags for djf_csv_field / djf_csv_row_end. */
#define DJF_CSV_QUOTED      1 /* quote this field whatever its content */
#define DJF_CSV_GUARD       2 /* formula guard: prefix "'" when djf_csv_is_formula says so */
#define DJF_CSV_STRICT_UTF8 4 /* refuse lone surrogates (DJF_CSV_ESURROGATE) */
#define DJF_CSV_NULL        8 /* the field is None (matters to the newer rules below) */

/* Options of djf_csv_dialect_init: writer rules of newer CPython releases (the binding probes
 * the running csv module for each; CPython 3.11 has none of them). */
#define DJF_CSV_OPT_CRLF_SPECIAL 1 /* '\r' and '\n' are special whatever the lineterminator */
#define DJF_CSV_OPT_QUOTE_EMPTY                                                                    \
    2                             /* quote empty fields (delimiter ' ' with skipinitialspace);     \
                                     error under QUOTE_NONE or for None under STRINGS/NOTNULL */
#define DJF_CSV_OPT_NULL_SINGLE 4 /* a row of one None under STRINGS/NOTNULL is an error */

/* Errors beyond djf_status. */
#define DJF_CSV_ENEED_ESCAPE -100 /* "need to escape, but no escapechar set" */
#define DJF_CSV_EEMPTY_FIELD -101 /* "single empty field record must be quoted" */
#define DJF_CSV_ESURROGATE   -102 /* a lone surrogate under DJF_CSV_STRICT_UTF8 */
#define DJF_CSV_EEMPTY_SPACE -103 /* "empty field must be quoted if delimiter is a space..." */

/* Character classes (bit flags) of the special characters. */
#define DJF_CSV_C_DELIM 1
#define DJF_CSV_C_QUOTE 2
#define DJF_CSV_C_ESC   4
#define DJF_CSV_C_LT    8

typedef struct djf_csv_dialect {
    uint32_t delimiter;
    uint32_t quotechar;  /* DJF_CSV_NOT_SET for None */
    uint32_t escapechar; /* DJF_CSV_NOT_SET for None */
    int doublequote;
    int quoting;             /* DJF_CSV_QUOTE_* */
    int options;             /* DJF_CSV_OPT_* */
    unsigned char cls[256];  /* classes of code points below 256 */
    uint32_t *wide;          /* special code points >= 256 (distinct), or NULL */
    unsigned char *wide_cls; /* their classes */
    size_t nwide;
    char *lineterm; /* UTF-8 (surrogatepass) */
    size_t lineterm_len;
    char delim_u8[4], quote_u8[4], esc_u8[4];
    size_t delim_len, quote_len, esc_len;
    int has_surrogate; /* a dialect character is a lone surrogate */
} djf_csv_dialect;

typedef struct djf_csv_row {
    size_t start;   /* out->len when the row began */
    size_t nfields; /* fields appended so far */
    int last_null;  /* the last field appended was None */
} djf_csv_row;

/* Sets up a dialect (delimiter is required; quotechar/escapechar may be DJF_CSV_NOT_SET).
 * Returns DJF_OK, DJF_ENOMEM, DJF_EOVERFLOW, or DJF_EINVAL for a code point above U+10FFFF or
 * an unknown quoting style, or no quotechar with a quoting style other than QUOTE_NONE
 * (CPython refuses these when it builds the dialect). On failure nothing needs freeing. */
int djf_csv_dialect_init(djf_csv_dialect *d, uint32_t delimiter, uint32_t quotechar,
                         uint32_t escapechar, int doublequote, int quoting,
                         const uint32_t *lineterm, size_t lineterm_len, int options);

/* Releases a dialect's memory. Never fails. */
void djf_csv_dialect_free(djf_csv_dialect *d);

/* Starts a row at the end of `out`. Never fails. */
void djf_csv_row_begin(djf_csv_row *r, const djf_buf *out);

/* Appends one field (len code units of layout `kind`). Returns DJF_OK, DJF_ENOMEM,
 * DJF_EOVERFLOW, DJF_EINVAL (bad kind), DJF_CSV_ENEED_ESCAPE, DJF_CSV_EEMPTY_SPACE or
 * DJF_CSV_ESURROGATE; on
 * failure `out` may hold part of the row (the caller truncates to r->start). */
int djf_csv_field(const djf_csv_dialect *d, djf_csv_row *r, djf_buf *out, int kind,
                  const void *data, size_t len, int flags);

/* Ends the row: the single-empty-field rule, then the lineterminator. Returns DJF_OK,
 * DJF_ENOMEM, DJF_EOVERFLOW, DJF_CSV_EEMPTY_FIELD or DJF_CSV_ESURROGATE (under
 * DJF_CSV_STRICT_UTF8, when the row as written holds a dialect character that is a lone
 * surrogate; a row whose output holds none, such as an empty row, is accepted). */
int djf_csv_row_end(const djf_csv_dialect *d, djf_csv_row *r, djf_buf *out, int flags);

#define DJF_CSV_FMT_DOUBLE_MAX 32

/* Writes v as Python's repr(v) does, when that is quick to do exactly: v is zero, or
 * 1e-4 <= |v| < 1e15 and v has a decimal form of at most 15 significant digits (such a form
 * is unique, so it is the shortest round-trip form repr() writes). Returns the number of
 * bytes (at most DJF_CSV_FMT_DOUBLE_MAX), or 0 when the caller must format v another way. */
size_t djf_csv_fmt_double(char *out, double v);

/* Returns 1 when the formula guard escapes the text: its first character that is neither
 * whitespace nor an invisible format character (Unicode Zs/Cf) is a trigger (= + - @ TAB CR or
 * the fullwidth/small forms of = + - @), and the text is not a plain decimal number (-5,
 * -1.5e3). */
int djf_csv_is_formula(int kind, const void *data, size_t len);

#endif
