/* djfast core: binary COPY reader and value formatters (see copy_read.h). Pure C99. */
#include "copy_read.h"

#include "fmt.h"

#include <string.h>

static const unsigned char djf_copy_signature[11] = {'P',  'G',  'C',  'O',  'P', 'Y',
                                                     '\n', 0xFF, '\r', '\n', 0};

#define DJF_PG_EPOCH_DAYS 730119 /* days from 0001-01-01 to 2000-01-01 (proleptic Gregorian) */
#define DJF_US_PER_DAY    INT64_C(86400000000)

static uint32_t djf_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint16_t djf_be16(const unsigned char *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | (unsigned)p[1]);
}

static uint64_t djf_be64(const unsigned char *p)
{
    return (uint64_t)djf_be32(p) << 32 | (uint64_t)djf_be32(p + 4);
}

int djf_copy_read_header(const unsigned char *p, size_t n, size_t *used)
{
    uint32_t flags;
    uint32_t ext;

    if (n < 19 || memcmp(p, djf_copy_signature, sizeof djf_copy_signature) != 0) {
        return DJF_COPY_EFORMAT;
    }
    flags = djf_be32(p + 11);
    ext = djf_be32(p + 15);
    if ((flags & 0x10000u) != 0 || ext > n - 19) {
        return DJF_COPY_EFORMAT;
    }
    *used = 19 + (size_t)ext;
    return DJF_OK;
}

int djf_copy_read_count(const unsigned char *p, size_t n, size_t *pos, int *nfields)
{
    if (*pos > n || n - *pos < 2) {
        return DJF_COPY_EFORMAT;
    }
    *nfields = (int)(int16_t)djf_be16(p + *pos);
    *pos += 2;
    return DJF_OK;
}

int djf_copy_read_field(const unsigned char *p, size_t n, size_t *pos, const unsigned char **data,
                        int32_t *len)
{
    int32_t l;

    if (*pos > n || n - *pos < 4) {
        return DJF_COPY_EFORMAT;
    }
    l = (int32_t)djf_be32(p + *pos);
    *pos += 4;
    if (l < -1 || (l >= 0 && (size_t)l > n - *pos)) {
        return DJF_COPY_EFORMAT;
    }
    *data = p + *pos;
    *len = l;
    if (l > 0) {
        *pos += (size_t)l;
    }
    return DJF_OK;
}

size_t djf_copy_fmt_int(char *out, const unsigned char *p, int32_t len)
{
    switch (len) {
    case 2:
        return djf_fmt_int64(out, (int16_t)djf_be16(p));
    case 4:
        return djf_fmt_int64(out, (int32_t)djf_be32(p));
    case 8:
        return djf_fmt_int64(out, (int64_t)djf_be64(p));
    default:
        return 0;
    }
}

int djf_copy_get_double(const unsigned char *p, int32_t len, double *v)
{
    if (len == 8) {
        uint64_t bits = djf_be64(p);
        memcpy(v, &bits, sizeof *v);
        return 1;
    }
    if (len == 4) {
        uint32_t bits = djf_be32(p);
        float f;
        memcpy(&f, &bits, sizeof f);
        *v = (double)f;
        return 1;
    }
    return 0;
}

size_t djf_copy_fmt_bool(char *out, const unsigned char *p, int32_t len)
{
    if (len != 1) {
        return 0;
    }
    memcpy(out, p[0] ? "True" : "False", p[0] ? 4 : 5);
    return p[0] ? 4 : 5;
}

/* Civil date from days since 0001-01-01 (day 0). Returns 0 outside years 1..9999. */
static int djf_civil(int64_t days, int *y, int *m, int *d)
{
    int64_t z;
    int64_t era;
    int64_t doe;
    int64_t yoe;
    int64_t doy;
    int64_t mp;
    int64_t year;

    if (days < 0 || days > 3652058) { /* 9999-12-31 */
        return 0;
    }
    /* days since 0000-03-01 (H. Hinnant's algorithm) */
    z = days + 306;
    era = z / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    year = yoe + era * 400 + (*m <= 2);
    *y = (int)year;
    return year >= 1 && year <= 9999;
}

size_t djf_copy_fmt_date(char *out, const unsigned char *p, int32_t len)
{
    int y;
    int m;
    int d;

    if (len != 4 || !djf_civil((int64_t)(int32_t)djf_be32(p) + DJF_PG_EPOCH_DAYS, &y, &m, &d)) {
        return 0;
    }
    return djf_fmt_date(out, y, m, d);
}

size_t djf_copy_fmt_time(char *out, const unsigned char *p, int32_t len)
{
    int64_t us;

    if (len != 8) {
        return 0;
    }
    us = (int64_t)djf_be64(p);
    if (us < 0 || us >= DJF_US_PER_DAY) {
        return 0;
    }
    return djf_fmt_time(out, (int)(us / 3600000000), (int)(us / 60000000 % 60),
                        (int)(us / 1000000 % 60), (int)(us % 1000000));
}

size_t djf_copy_fmt_timestamp(char *out, const unsigned char *p, int32_t len, const char *suffix)
{
    int64_t us;
    int64_t days;
    int64_t rest;
    size_t n;
    size_t sl = strlen(suffix);
    size_t i;
    int y;
    int m;
    int d;

    if (len != 8 || sl > 16) {
        return 0;
    }
    us = (int64_t)djf_be64(p);
    /* beyond years 1..9999 (PostgreSQL's +/-infinity included) djf_civil refuses the day */
    days = us / DJF_US_PER_DAY;
    rest = us % DJF_US_PER_DAY;
    if (rest < 0) {
        rest += DJF_US_PER_DAY;
        days -= 1;
    }
    if (!djf_civil(days + DJF_PG_EPOCH_DAYS, &y, &m, &d)) {
        return 0;
    }
    n = djf_fmt_date(out, y, m, d);
    out[n++] = ' ';
    n += djf_fmt_time(out + n, (int)(rest / 3600000000), (int)(rest / 60000000 % 60),
                      (int)(rest / 1000000 % 60), (int)(rest % 1000000));
    for (i = 0; i < sl; i++) {
        out[n++] = suffix[i];
    }
    return n;
}

size_t djf_copy_fmt_uuid(char *out, const unsigned char *p, int32_t len)
{
    if (len != 16) {
        return 0;
    }
    return djf_fmt_uuid(out, p);
}

size_t djf_copy_fmt_numeric(char *out, size_t cap, const unsigned char *p, int32_t len)
{
    char digits[1024];
    size_t nd = 0; /* digits of the coefficient, leading zeros included */
    size_t first = 0;
    size_t coef;
    size_t n = 0;
    size_t i;
    int ndigits;
    int weight;
    int sign;
    int dscale;
    int g;
    long adjusted;

    if (len < 8) {
        return 0;
    }
    ndigits = (int)djf_be16(p);
    weight = (int)(int16_t)djf_be16(p + 2);
    sign = (int)djf_be16(p + 4);
    dscale = (int)djf_be16(p + 6);
    if ((sign != 0 && sign != 0x4000) || len != 8 + 2 * ndigits || dscale > 0x3FFF) {
        return 0;
    }
    /* integer part: groups 0..weight; fraction: dscale digits from group weight+1 on */
    if (weight >= 0 && (size_t)(weight + 1) * 4 + (size_t)dscale > sizeof digits) {
        return 0;
    }
    if ((size_t)dscale + 4 > sizeof digits) {
        return 0;
    }
    for (g = 0; g <= weight; g++) {
        int v = g < ndigits ? (int)djf_be16(p + 8 + 2 * g) : 0;
        digits[nd++] = (char)('0' + v / 1000);
        digits[nd++] = (char)('0' + v / 100 % 10);
        digits[nd++] = (char)('0' + v / 10 % 10);
        digits[nd++] = (char)('0' + v % 10);
    }
    for (i = 0; i < (size_t)dscale; i++) {
        /* fraction digit i belongs to group weight + 1 + i / 4 */
        long grp = (long)weight + 1 + (long)(i / 4);
        int v = grp >= 0 && grp < ndigits ? (int)djf_be16(p + 8 + 2 * grp) : 0;
        static const int div[4] = {1000, 100, 10, 1};
        digits[nd++] = (char)('0' + v / div[i % 4] % 10);
    }
    while (first < nd && digits[first] == '0') {
        first++;
    }
    coef = nd - first; /* 0 for a zero value */
    if (coef == 0) {
        adjusted = -(long)dscale;
    } else {
        adjusted = (long)coef - 1 - (long)dscale;
    }
    if (cap < nd + 16) {
        return 0;
    }
    if (sign == 0x4000) {
        out[n++] = '-';
    }
    if (adjusted >= -6) {
        size_t intlen = coef > (size_t)dscale ? coef - (size_t)dscale : 0;
        if (intlen == 0) {
            out[n++] = '0';
        } else {
            memcpy(out + n, digits + first, intlen);
            n += intlen;
        }
        if (dscale > 0) {
            out[n++] = '.';
            memcpy(out + n, digits + nd - (size_t)dscale, (size_t)dscale);
            n += (size_t)dscale;
        }
        return n;
    }
    if (coef == 0) {
        out[n++] = '0';
    } else {
        out[n++] = digits[first];
        if (coef > 1) {
            out[n++] = '.';
            memcpy(out + n, digits + first + 1, coef - 1);
            n += coef - 1;
        }
    }
    out[n++] = 'E';
    out[n++] = '-';
    n += djf_fmt_int64(out + n, -(int64_t)adjusted);
    return n;
}
