/* libFuzzer harness: CSV rows (csrc/core/csv.c) and float formatting.
 *
 * Every input writes one row under a dialect chosen by the input. For the excel-like dialects
 * (ASCII delimiter and quotechar, doublequote, "\r\n") the row is parsed back and must give the
 * fields written (with the formula guard's "'" where djf_csv_is_formula says so). Other
 * dialects are written for memory safety only. djf_csv_fmt_double must give text that reads
 * back as the same double. */
#include "csv.h"
#include "fuzz_common.h"

#include <math.h>
#include <string.h>

#define MAX_FIELDS 16

typedef struct field {
    int kind;
    const void *data;
    size_t len;
} field;

static uint32_t unit_at(const field *f, size_t i)
{
    const uint8_t *p = f->data;

    switch (f->kind) {
    case DJF_CSV_UCS2:
        return (uint32_t)p[2 * i] | ((uint32_t)p[2 * i + 1] << 8);
    case DJF_CSV_UCS4:
        return ((uint32_t)p[4 * i] | ((uint32_t)p[4 * i + 1] << 8) |
                ((uint32_t)p[4 * i + 2] << 16) | ((uint32_t)p[4 * i + 3] << 24));
    default:
        return p[i];
    }
}

/* UTF-8 (surrogatepass) of one code point, written independently of csv.c. */
static size_t put_u8(uint8_t *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (uint8_t)(0xc0 | (c >> 6));
        o[1] = (uint8_t)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (uint8_t)(0xe0 | (c >> 12));
        o[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
        o[2] = (uint8_t)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | (c >> 18));
    o[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
    o[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
    o[3] = (uint8_t)(0x80 | (c & 0x3f));
    return 4;
}

/* Copies the fields' code units into native-width arrays csv.c can read. */
static void *native_units(const field *f, size_t *len)
{
    size_t i;
    size_t width = f->kind == DJF_CSV_UCS2 ? 2 : f->kind == DJF_CSV_UCS4 ? 4 : 1;
    void *out = malloc(f->len * width + 1);

    FUZZ_CHECK(out != NULL);
    for (i = 0; i < f->len; i++) {
        uint32_t c = unit_at(f, i);

        if (f->kind == DJF_CSV_UCS2) {
            ((uint16_t *)out)[i] = (uint16_t)c;
        } else if (f->kind == DJF_CSV_UCS4) {
            ((uint32_t *)out)[i] = c;
        } else {
            ((uint8_t *)out)[i] = (uint8_t)c;
        }
    }
    *len = f->len;
    return out;
}

/* Parses one excel-like row ("," '"' doublequote "\r\n") and compares it with the fields. */
static void check_round_trip(const djf_buf *b, size_t start, void *const *units, const field *fs,
                             size_t nf, int guard)
{
    const uint8_t *o = (const uint8_t *)b->data + start;
    size_t len = b->len - start;
    size_t pos = 0;
    size_t k;
    uint8_t *want = malloc(4 * 300 + 2);

    FUZZ_CHECK(want != NULL);
    FUZZ_CHECK(len >= 2 && o[len - 2] == '\r' && o[len - 1] == '\n');
    if (nf == 0) {
        FUZZ_CHECK(len == 2);
        free(want);
        return;
    }
    for (k = 0; k < nf; k++) {
        size_t wn = 0;
        size_t i;
        size_t got_start;
        size_t got_n = 0;
        uint8_t *got = malloc(len + 1);

        FUZZ_CHECK(got != NULL);
        if (guard && djf_csv_is_formula(fs[k].kind, units[k], fs[k].len)) {
            want[wn++] = '\'';
        }
        for (i = 0; i < fs[k].len; i++) {
            wn += put_u8(want + wn, unit_at(&fs[k], i));
        }
        got_start = pos;
        if (pos < len && o[pos] == '"') {
            for (pos++;; pos++) {
                FUZZ_CHECK(pos < len);
                if (o[pos] == '"') {
                    if (pos + 1 < len && o[pos + 1] == '"') {
                        got[got_n++] = '"';
                        pos++;
                    } else {
                        pos++;
                        break;
                    }
                } else {
                    got[got_n++] = o[pos];
                }
            }
        } else {
            while (pos < len && o[pos] != ',' && o[pos] != '\r') {
                FUZZ_CHECK(o[pos] != '\n' && o[pos] != '"');
                got[got_n++] = o[pos++];
            }
        }
        (void)got_start;
        FUZZ_CHECK(got_n == wn && memcmp(got, want, wn) == 0);
        free(got);
        if (k + 1 < nf) {
            FUZZ_CHECK(pos < len && o[pos] == ',');
            pos++;
        }
    }
    FUZZ_CHECK(pos == len - 2);
    free(want);
}

static void check_double(fuzz_in *in)
{
    const uint8_t *raw;
    double v;
    char out[DJF_CSV_FMT_DOUBLE_MAX + 1];
    size_t n;

    if (fuzz_take(in, 8, &raw) < 8) {
        return;
    }
    memcpy(&v, raw, 8);
    n = djf_csv_fmt_double(out, v);
    FUZZ_CHECK(n <= DJF_CSV_FMT_DOUBLE_MAX);
    if (n > 0) {
        char *end;
        double back;

        out[n] = 0;
        back = strtod(out, &end);
        FUZZ_CHECK(*end == 0);
        FUZZ_CHECK(isnan(v) ? isnan(back) : (back == v && signbit(back) == signbit(v)));
    }
}

static const uint32_t odd_chars[] = {',', '"', '\\', '\t', ';', '\'', ' ', '\r', '\n', 'a',
                                     0xe9, 0x20ac, 0xD800, 0xDFFF, 0x1F600, 0x2028};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t crlf[] = {'\r', '\n'};
    fuzz_in in = {data, size};
    uint8_t flags = fuzz_byte(&in);
    int kinds[] = {DJF_CSV_ASCII, DJF_CSV_UCS1, DJF_CSV_UCS2, DJF_CSV_UCS4};
    int kind = kinds[flags & 3];
    int quote_all = (flags >> 2) & 1;
    int guard = (flags >> 3) & 1;
    int strict = (flags >> 4) & 1;
    int odd = (flags >> 5) & 1;
    field fs[MAX_FIELDS];
    void *units[MAX_FIELDS] = {0};
    size_t nf = fuzz_byte(&in) % MAX_FIELDS;
    size_t k;
    djf_csv_dialect d;
    djf_buf b = {0};
    djf_csv_row r;
    int rc = DJF_OK;
    int row_flags = (guard ? DJF_CSV_GUARD : 0) | (strict ? DJF_CSV_STRICT_UTF8 : 0);

    if (odd) {
        uint32_t delim = odd_chars[fuzz_byte(&in) % 16];
        uint32_t quote = odd_chars[fuzz_byte(&in) % 16];
        uint32_t esc = fuzz_byte(&in) & 1 ? odd_chars[fuzz_byte(&in) % 16] : DJF_CSV_NOT_SET;
        uint32_t lt[3];
        size_t ltn = 1 + fuzz_byte(&in) % 3;
        int quoting = fuzz_byte(&in) % 6;

        for (k = 0; k < ltn; k++) {
            lt[k] = odd_chars[fuzz_byte(&in) % 16];
        }
        if (djf_csv_dialect_init(&d, delim, quote, esc, fuzz_byte(&in) & 1, quoting, lt, ltn,
                                 fuzz_byte(&in) & 7) != DJF_OK) {
            return 0;
        }
    } else {
        FUZZ_CHECK(djf_csv_dialect_init(&d, ',', '"', DJF_CSV_NOT_SET, 1,
                                        quote_all ? DJF_CSV_QUOTE_ALL : DJF_CSV_QUOTE_MINIMAL,
                                        crlf, 2, 0) == DJF_OK);
    }
    for (k = 0; k < nf; k++) {
        size_t width = kind == DJF_CSV_UCS2 ? 2 : kind == DJF_CSV_UCS4 ? 4 : 1;
        size_t want = fuzz_byte(&in) % 200;
        const uint8_t *p;
        size_t got = fuzz_take(&in, want * width, &p) / width;

        fs[k].kind = kind;
        fs[k].data = p;
        fs[k].len = got;
        units[k] = native_units(&fs[k], &fs[k].len);
        /* keep each layout honest: ASCII < 0x80, UCS4 <= U+10FFFF */
        if (kind == DJF_CSV_ASCII) {
            size_t i;
            for (i = 0; i < got; i++) {
                ((uint8_t *)units[k])[i] &= 0x7f;
            }
        } else if (kind == DJF_CSV_UCS4) {
            size_t i;
            for (i = 0; i < got; i++) {
                ((uint32_t *)units[k])[i] %= 0x110000;
            }
        }
        fs[k].data = units[k];
    }
    /* fs[k].data now points at native units; unit_at reads them little-endian, so re-point the
     * reader at a little-endian copy only where it matters: store LE bytes back. */
    for (k = 0; k < nf; k++) {
        size_t i;
        uint8_t *le;
        size_t width = kind == DJF_CSV_UCS2 ? 2 : kind == DJF_CSV_UCS4 ? 4 : 1;

        le = malloc(fs[k].len * width + 1);
        FUZZ_CHECK(le != NULL);
        for (i = 0; i < fs[k].len; i++) {
            uint32_t c = width == 2   ? ((uint16_t *)units[k])[i]
                         : width == 4 ? ((uint32_t *)units[k])[i]
                                      : ((uint8_t *)units[k])[i];
            size_t j;
            for (j = 0; j < width; j++) {
                le[i * width + j] = (uint8_t)(c >> (8 * j));
            }
        }
        fs[k].data = le;
    }
    djf_csv_row_begin(&r, &b);
    for (k = 0; k < nf && rc == DJF_OK; k++) {
        rc = djf_csv_field(&d, &r, &b, kind, units[k], fs[k].len, row_flags);
    }
    if (rc == DJF_OK) {
        rc = djf_csv_row_end(&d, &r, &b, row_flags);
    }
    if (rc == DJF_OK && !odd) {
        int surrogate = 0;
        size_t i;

        for (k = 0; k < nf; k++) {
            for (i = 0; i < fs[k].len; i++) {
                uint32_t c = unit_at(&fs[k], i);
                surrogate |= c >= 0xD800 && c <= 0xDFFF;
            }
        }
        FUZZ_CHECK(!(strict && surrogate));
        check_round_trip(&b, r.start, units, fs, nf, guard);
    } else if (!odd) {
        /* the only failure of an excel-like row: a lone surrogate under strict UTF-8 */
        FUZZ_CHECK(rc == DJF_CSV_ESURROGATE && strict);
    }
    for (k = 0; k < nf; k++) {
        free(units[k]);
        free((void *)fs[k].data);
    }
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
    check_double(&in);
    return 0;
}
