/* djfast core: CSV field quoting and escaping (see csv.h). */
#include "csv.h"

#include "fmt.h"

#include <stdlib.h>
#include <string.h>

/* What happens to one character of a field. */
enum { DJF_CSV_PLAIN = 0, DJF_CSV_DOUBLE = 1, DJF_CSV_ESCAPE = 2 };

static size_t djf_u8_len(uint32_t c)
{
    if (c < 0x80) {
        return 1;
    }
    if (c < 0x800) {
        return 2;
    }
    if (c < 0x10000) {
        return 3;
    }
    return 4;
}

/* Writes c as UTF-8 (surrogates as three bytes); returns the number of bytes. */
static size_t djf_u8_put(char *out, uint32_t c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int djf_is_surrogate(uint32_t c)
{
    return c >= 0xD800 && c <= 0xDFFF;
}

static uint32_t djf_csv_read(int kind, const void *data, size_t i)
{
    switch (kind) {
    case DJF_CSV_UCS2:
        return ((const uint16_t *)data)[i];
    case DJF_CSV_UCS4:
        return ((const uint32_t *)data)[i];
    default:
        return ((const unsigned char *)data)[i];
    }
}

/* Adds class bits for the code point c. Returns DJF_OK, DJF_ENOMEM or DJF_EOVERFLOW. */
static int djf_csv_add_special(djf_csv_dialect *d, uint32_t c, unsigned char cls)
{
    size_t i;
    size_t bytes;
    uint32_t *wide;
    unsigned char *wide_cls;

    if (c < 256) {
        d->cls[c] |= cls;
        return DJF_OK;
    }
    for (i = 0; i < d->nwide; i++) {
        if (d->wide[i] == c) {
            d->wide_cls[i] |= cls;
            return DJF_OK;
        }
    }
    if (!djf_mul_size(d->nwide + 1, sizeof(uint32_t), &bytes)) {
        return DJF_EOVERFLOW;
    }
    wide = realloc(d->wide, bytes);
    if (wide == NULL) {
        return DJF_ENOMEM;
    }
    d->wide = wide;
    wide_cls = realloc(d->wide_cls, d->nwide + 1);
    if (wide_cls == NULL) {
        return DJF_ENOMEM;
    }
    d->wide_cls = wide_cls;
    d->wide[d->nwide] = c;
    d->wide_cls[d->nwide] = cls;
    d->nwide++;
    return DJF_OK;
}

static unsigned djf_csv_class(const djf_csv_dialect *d, uint32_t c)
{
    size_t i;

    if (c < 256) {
        return d->cls[c];
    }
    for (i = 0; i < d->nwide; i++) {
        if (d->wide[i] == c) {
            return d->wide_cls[i];
        }
    }
    return 0;
}

static int djf_csv_valid_char(uint32_t c, int optional)
{
    return c <= 0x10FFFF || (optional && c == DJF_CSV_NOT_SET);
}

int djf_csv_dialect_init(djf_csv_dialect *d, uint32_t delimiter, uint32_t quotechar,
                         uint32_t escapechar, int doublequote, int quoting,
                         const uint32_t *lineterm, size_t lineterm_len, int options)
{
    size_t i;
    size_t n = 0;
    int rc = DJF_OK;

    memset(d, 0, sizeof(*d));
    if (quoting < DJF_CSV_QUOTE_MINIMAL || quoting > DJF_CSV_QUOTE_NOTNULL ||
        !djf_csv_valid_char(delimiter, 0) || !djf_csv_valid_char(quotechar, 1) ||
        !djf_csv_valid_char(escapechar, 1) ||
        (quotechar == DJF_CSV_NOT_SET && quoting != DJF_CSV_QUOTE_NONE)) {
        return DJF_EINVAL;
    }
    d->delimiter = delimiter;
    d->quotechar = quotechar;
    d->escapechar = escapechar;
    d->doublequote = doublequote != 0;
    d->quoting = quoting;
    d->options = options;
    d->delim_len = djf_u8_put(d->delim_u8, delimiter);
    d->has_surrogate = djf_is_surrogate(delimiter);
    rc = djf_csv_add_special(d, delimiter, DJF_CSV_C_DELIM);
    if (rc == DJF_OK && quotechar != DJF_CSV_NOT_SET) {
        d->quote_len = djf_u8_put(d->quote_u8, quotechar);
        d->has_surrogate |= djf_is_surrogate(quotechar);
        rc = djf_csv_add_special(d, quotechar, DJF_CSV_C_QUOTE);
    }
    if (rc == DJF_OK && escapechar != DJF_CSV_NOT_SET) {
        d->esc_len = djf_u8_put(d->esc_u8, escapechar);
        d->has_surrogate |= djf_is_surrogate(escapechar);
        rc = djf_csv_add_special(d, escapechar, DJF_CSV_C_ESC);
    }
    if (rc == DJF_OK && (options & DJF_CSV_OPT_CRLF_SPECIAL)) {
        rc = djf_csv_add_special(d, '\r', DJF_CSV_C_LT);
        if (rc == DJF_OK) {
            rc = djf_csv_add_special(d, '\n', DJF_CSV_C_LT);
        }
    }
    for (i = 0; rc == DJF_OK && i < lineterm_len; i++) {
        if (!djf_csv_valid_char(lineterm[i], 0)) {
            rc = DJF_EINVAL;
        } else if (!djf_add_size(n, djf_u8_len(lineterm[i]), &n)) {
            rc = DJF_EOVERFLOW;
        } else {
            d->has_surrogate |= djf_is_surrogate(lineterm[i]);
            rc = djf_csv_add_special(d, lineterm[i], DJF_CSV_C_LT);
        }
    }
    if (rc == DJF_OK) {
        d->lineterm = malloc(n ? n : 1);
        if (d->lineterm == NULL) {
            rc = DJF_ENOMEM;
        }
    }
    if (rc == DJF_OK) {
        for (i = 0; i < lineterm_len; i++) {
            d->lineterm_len += djf_u8_put(d->lineterm + d->lineterm_len, lineterm[i]);
        }
    } else {
        djf_csv_dialect_free(d);
    }
    return rc;
}

void djf_csv_dialect_free(djf_csv_dialect *d)
{
    free(d->wide);
    free(d->wide_cls);
    free(d->lineterm);
    d->wide = NULL;
    d->wide_cls = NULL;
    d->lineterm = NULL;
    d->nwide = 0;
    d->lineterm_len = 0;
}

void djf_csv_row_begin(djf_csv_row *r, const djf_buf *out)
{
    r->start = out->len;
    r->nfields = 0;
    r->last_null = 0;
}

/* A character the formula guard skips before looking for a trigger: whitespace as str.isspace()
 * has it (which includes Unicode's Zs), and the invisible format characters (Unicode's Cf, as of
 * Unicode 15). A spreadsheet may drop either before it reads a formula. */
static int djf_csv_formula_skip(uint32_t c)
{
    static const uint32_t ranges[][2] = {
        {0x09, 0x0d},       {0x1c, 0x20},       {0x85, 0x85},       {0xa0, 0xa0},
        {0xad, 0xad},       {0x600, 0x605},     {0x61c, 0x61c},     {0x6dd, 0x6dd},
        {0x70f, 0x70f},     {0x890, 0x891},     {0x8e2, 0x8e2},     {0x1680, 0x1680},
        {0x180e, 0x180e},   {0x2000, 0x200f},   {0x2028, 0x202f},   {0x205f, 0x2064},
        {0x2066, 0x206f},   {0x3000, 0x3000},   {0xfeff, 0xfeff},   {0xfff9, 0xfffb},
        {0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x1343f}, {0x1bca0, 0x1bca3},
        {0x1d173, 0x1d17a}, {0xe0001, 0xe0001}, {0xe0020, 0xe007f},
    };
    size_t i;

    for (i = 0; i < sizeof ranges / sizeof ranges[0] && c >= ranges[i][0]; i++) {
        if (c <= ranges[i][1]) {
            return 1;
        }
    }
    return 0;
}

/* A formula trigger: = + - @ TAB CR, their fullwidth forms and their small forms. */
static int djf_csv_formula_trigger(uint32_t c)
{
    switch (c) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
    case 0xff1d: /* FULLWIDTH EQUALS SIGN */
    case 0xff0b: /* FULLWIDTH PLUS SIGN */
    case 0xff0d: /* FULLWIDTH HYPHEN-MINUS */
    case 0xff20: /* FULLWIDTH COMMERCIAL AT */
    case 0xfe66: /* SMALL EQUALS SIGN */
    case 0xfe62: /* SMALL PLUS SIGN */
    case 0xfe63: /* SMALL HYPHEN-MINUS */
    case 0xfe6b: /* SMALL COMMERCIAL AT */
        return 1;
    default:
        return 0;
    }
}

/* 1 when the whole text is a plain decimal number: [+-]? (digits [. digits*] | . digits)
 * ([eE] [+-]? digits)?. Such text is harmless in a spreadsheet and is never guarded. */
static int djf_csv_plain_number(int kind, const void *data, size_t len)
{
    size_t i = 0;
    size_t digits = 0;
    uint32_t c;

    if (i < len && ((c = djf_csv_read(kind, data, i)) == '+' || c == '-')) {
        i++;
    }
    for (; i < len && (c = djf_csv_read(kind, data, i)) >= '0' && c <= '9'; i++) {
        digits++;
    }
    if (i < len && djf_csv_read(kind, data, i) == '.') {
        for (i++; i < len && (c = djf_csv_read(kind, data, i)) >= '0' && c <= '9'; i++) {
            digits++;
        }
    }
    if (digits == 0) {
        return 0;
    }
    if (i < len && ((c = djf_csv_read(kind, data, i)) == 'e' || c == 'E')) {
        i++;
        if (i < len && ((c = djf_csv_read(kind, data, i)) == '+' || c == '-')) {
            i++;
        }
        for (digits = 0; i < len && (c = djf_csv_read(kind, data, i)) >= '0' && c <= '9'; i++) {
            digits++;
        }
        if (digits == 0) {
            return 0;
        }
    }
    return i == len;
}

int djf_csv_is_formula(int kind, const void *data, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        uint32_t c = djf_csv_read(kind, data, i);

        if (djf_csv_formula_trigger(c)) {
            return !djf_csv_plain_number(kind, data, len);
        }
        if (!djf_csv_formula_skip(c)) {
            return 0;
        }
    }
    return 0;
}

/* Decides what happens to a character of class f (non-zero), setting *quoted when it makes
 * the field quoted. Returns DJF_CSV_PLAIN, DJF_CSV_DOUBLE, DJF_CSV_ESCAPE, or
 * DJF_CSV_ENEED_ESCAPE when it must be escaped and there is no escapechar. */
static int djf_csv_action(const djf_csv_dialect *d, unsigned f, int *quoted)
{
    int want_escape = 0;
    int action = DJF_CSV_PLAIN;

    if (d->quoting == DJF_CSV_QUOTE_NONE) {
        want_escape = 1;
    } else {
        if (f & DJF_CSV_C_QUOTE) {
            if (d->doublequote) {
                action = DJF_CSV_DOUBLE;
            } else {
                want_escape = 1;
            }
        } else if (f & DJF_CSV_C_ESC) {
            want_escape = 1;
        }
        if (!want_escape) {
            *quoted = 1;
        }
    }
    if (want_escape) {
        if (d->escapechar == DJF_CSV_NOT_SET) {
            return DJF_CSV_ENEED_ESCAPE;
        }
        action = DJF_CSV_ESCAPE;
    }
    return action;
}

/* Adds the cost of one character to *need and decides quoting. Returns DJF_OK,
 * DJF_EOVERFLOW, DJF_CSV_ENEED_ESCAPE or DJF_CSV_ESURROGATE. */
static int djf_csv_measure_char(const djf_csv_dialect *d, uint32_t c, int strict, int *quoted,
                                size_t *need)
{
    unsigned f = djf_csv_class(d, c);
    size_t n = djf_u8_len(c);
    int action = DJF_CSV_PLAIN;

    if (strict && djf_is_surrogate(c)) {
        return DJF_CSV_ESURROGATE;
    }
    if (f) {
        action = djf_csv_action(d, f, quoted);
        if (action < 0) {
            return action;
        }
        n += action == DJF_CSV_DOUBLE ? d->quote_len : action == DJF_CSV_ESCAPE ? d->esc_len : 0;
    }
    if (!djf_add_size(*need, n, need)) {
        return DJF_EOVERFLOW;
    }
    return DJF_OK;
}

/* Writes one character with its escape or doubled quote; returns the bytes written. */
static size_t djf_csv_put_char(const djf_csv_dialect *d, uint32_t c, char *dst)
{
    unsigned f = djf_csv_class(d, c);
    size_t n = 0;
    int quoted = 0;

    if (f) {
        int action = djf_csv_action(d, f, &quoted);
        if (action == DJF_CSV_DOUBLE) {
            memcpy(dst, d->quote_u8, d->quote_len);
            n = d->quote_len;
        } else if (action == DJF_CSV_ESCAPE) {
            memcpy(dst, d->esc_u8, d->esc_len);
            n = d->esc_len;
        }
    }
    return n + djf_u8_put(dst + n, c);
}

/* Reserves room and writes the delimiter and opening quote. Returns DJF_OK, DJF_ENOMEM or
 * DJF_EOVERFLOW. */
static int djf_csv_open_field(const djf_csv_dialect *d, const djf_csv_row *r, djf_buf *out,
                              size_t body, int quoted)
{
    size_t total = body;
    int rc;

    if ((r->nfields && !djf_add_size(total, d->delim_len, &total)) ||
        (quoted && !djf_add_size(total, 2 * d->quote_len, &total))) {
        return DJF_EOVERFLOW;
    }
    rc = djf_buf_reserve(out, total);
    if (rc != DJF_OK) {
        return rc;
    }
    if (r->nfields) {
        memcpy(out->data + out->len, d->delim_u8, d->delim_len);
        out->len += d->delim_len;
    }
    if (quoted) {
        memcpy(out->data + out->len, d->quote_u8, d->quote_len);
        out->len += d->quote_len;
    }
    return DJF_OK;
}

static void djf_csv_close_field(const djf_csv_dialect *d, djf_csv_row *r, djf_buf *out, int quoted)
{
    if (quoted) {
        memcpy(out->data + out->len, d->quote_u8, d->quote_len);
        out->len += d->quote_len;
    }
    r->nfields++;
}

int djf_csv_field(const djf_csv_dialect *d, djf_csv_row *r, djf_buf *out, int kind,
                  const void *data, size_t len, int flags)
{
    int quoted = (flags & DJF_CSV_QUOTED) != 0;
    int strict = (flags & DJF_CSV_STRICT_UTF8) != 0;
    int guard = (flags & DJF_CSV_GUARD) && djf_csv_is_formula(kind, data, len);
    size_t need = 0;
    size_t i;
    char *dst;
    int rc;

    if (kind != DJF_CSV_ASCII && kind != DJF_CSV_UCS1 && kind != DJF_CSV_UCS2 &&
        kind != DJF_CSV_UCS4) {
        return DJF_EINVAL;
    }
    r->last_null = (flags & DJF_CSV_NULL) != 0;
    if (len == 0 && (d->options & DJF_CSV_OPT_QUOTE_EMPTY)) {
        if (d->quoting == DJF_CSV_QUOTE_NONE ||
            (r->last_null &&
             (d->quoting == DJF_CSV_QUOTE_STRINGS || d->quoting == DJF_CSV_QUOTE_NOTNULL))) {
            return DJF_CSV_EEMPTY_SPACE;
        }
        quoted = 1;
    }
    if (kind == DJF_CSV_ASCII && !guard) {
        const unsigned char *p = data;
        for (i = 0; i < len && !d->cls[p[i]]; i++) {
        }
        if (i == len) {
            rc = djf_csv_open_field(d, r, out, len, quoted);
            if (rc != DJF_OK) {
                return rc;
            }
            if (len) {
                memcpy(out->data + out->len, data, len);
                out->len += len;
            }
            djf_csv_close_field(d, r, out, quoted);
            return DJF_OK;
        }
    }
    /* pass 1: measure and decide quoting (as CPython's counting phase) */
    rc = guard ? djf_csv_measure_char(d, '\'', strict, &quoted, &need) : DJF_OK;
    for (i = 0; rc == DJF_OK && i < len; i++) {
        rc = djf_csv_measure_char(d, djf_csv_read(kind, data, i), strict, &quoted, &need);
    }
    if (rc != DJF_OK) {
        return rc;
    }
    /* pass 2: write */
    rc = djf_csv_open_field(d, r, out, need, quoted);
    if (rc != DJF_OK) {
        return rc;
    }
    if (out->data == NULL) {
        /* nothing reserved, so nothing to write: an empty, unquoted first field into an empty
         * buffer (and NULL + 0 would be undefined); a quoted field always reserves room */
        r->nfields++;
        return DJF_OK;
    }
    dst = out->data + out->len;
    if (guard) {
        dst += djf_csv_put_char(d, '\'', dst);
    }
    for (i = 0; i < len; i++) {
        dst += djf_csv_put_char(d, djf_csv_read(kind, data, i), dst);
    }
    out->len = (size_t)(dst - out->data);
    djf_csv_close_field(d, r, out, quoted);
    return DJF_OK;
}

/* 1 when UTF-8 text (as djf_u8_put writes it) holds an encoded lone surrogate, ED A0..BF. Only
 * a dialect character can put one in a row under DJF_CSV_STRICT_UTF8: field text is checked
 * character by character. */
static int djf_csv_has_surrogate_u8(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i++) {
        if ((unsigned char)p[i] == 0xed && (unsigned char)p[i + 1] >= 0xa0) {
            return 1;
        }
    }
    return 0;
}

int djf_csv_row_end(const djf_csv_dialect *d, djf_csv_row *r, djf_buf *out, int flags)
{
    int rc;

    if (r->nfields > 0 && out->len == r->start) {
        if (d->quoting == DJF_CSV_QUOTE_NONE ||
            ((d->options & DJF_CSV_OPT_NULL_SINGLE) && r->last_null &&
             (d->quoting == DJF_CSV_QUOTE_STRINGS || d->quoting == DJF_CSV_QUOTE_NOTNULL))) {
            return DJF_CSV_EEMPTY_FIELD;
        }
        rc = djf_buf_reserve(out, 2 * d->quote_len);
        if (rc != DJF_OK) {
            return rc;
        }
        memcpy(out->data + out->len, d->quote_u8, d->quote_len);
        memcpy(out->data + out->len + d->quote_len, d->quote_u8, d->quote_len);
        out->len += 2 * d->quote_len;
    }
    rc = djf_buf_append(out, d->lineterm, d->lineterm_len);
    if (rc == DJF_OK && (flags & DJF_CSV_STRICT_UTF8) && d->has_surrogate &&
        djf_csv_has_surrogate_u8(out->data + r->start, out->len - r->start)) {
        rc = DJF_CSV_ESURROGATE;
    }
    return rc;
}

size_t djf_csv_fmt_double(char *out, double v)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                   1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
    char digits[DJF_FMT_UINT64_MAX];
    double a = v < 0 ? -v : v;
    double x;
    uint64_t bits;
    uint64_t m = 0;
    uint64_t r;
    size_t nd;
    size_t n = 0;
    size_t i;
    int k;
    int e;
    int found = 0;

    memcpy(&bits, &v, sizeof(bits));
    if (v == 0) {
        if (bits >> 63) {
            out[n++] = '-';
        }
        out[n++] = '0';
        out[n++] = '.';
        out[n++] = '0';
        return n;
    }
    if (!(a >= 1e-4 && a < 1e15)) { /* also NaN */
        return 0;
    }
    /* scale so that x = a * 10^k has 15 integer digits: 1e14 <= x < 1e15 */
    for (e = 14; e > 0 && a < pow10[e]; e--) {
    }
    k = 14 - e;
    if (a < 1) {
        for (k = 14; k < 18 && a * pow10[k + 1] < 1e15; k++) {
        }
    }
    x = a * pow10[k];
    if (x >= 1e15 || x < 1e14) {
        return 0; /* cannot happen; stay exact rather than clever */
    }
    r = (uint64_t)(x + 0.5);
    /* the decimal of 15 digits nearest to a is within one of round(x) */
    for (i = 0; i < 3 && !found; i++) {
        uint64_t cand = i == 0 ? r : i == 1 ? r - 1 : r + 1;
        if (cand < (uint64_t)1e15 && (double)cand / pow10[k] == a) {
            m = cand;
            found = 1;
        }
    }
    if (!found) {
        return 0; /* needs 16 or 17 digits */
    }
    while (k > 0 && m % 10 == 0) {
        m /= 10;
        k--;
    }
    nd = djf_fmt_uint64(digits, m);
    if (v < 0) {
        out[n++] = '-';
    }
    if ((size_t)k >= nd) { /* 0.000ddd */
        out[n++] = '0';
        out[n++] = '.';
        for (i = nd; i < (size_t)k; i++) {
            out[n++] = '0';
        }
        memcpy(out + n, digits, nd);
        n += nd;
    } else {
        memcpy(out + n, digits, nd - (size_t)k);
        n += nd - (size_t)k;
        out[n++] = '.';
        if (k == 0) {
            out[n++] = '0';
        } else {
            memcpy(out + n, digits + nd - (size_t)k, (size_t)k);
            n += (size_t)k;
        }
    }
    return n;
}
