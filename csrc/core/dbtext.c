/* djfast core: text of values read raw from a database (see dbtext.h). */
#include "dbtext.h"

#include <string.h>

/* Reads `n` ASCII digits at s into *v. Returns 1, or 0 when one is not a digit. */
static int djf_dbtext_digits(const char *s, int n, int *v)
{
    int i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

/* Parses "YYYY-MM-DD" (10 bytes at s) into a real calendar day. Returns 1, or 0. */
static int djf_dbtext_parse_date(const char *s, int *year, int *month, int *day)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int last;

    if (!djf_dbtext_digits(s, 4, year) || s[4] != '-' || !djf_dbtext_digits(s + 5, 2, month) ||
        s[7] != '-' || !djf_dbtext_digits(s + 8, 2, day)) {
        return 0;
    }
    if (*year < 1 || *month < 1 || *month > 12 || *day < 1) {
        return 0;
    }
    last = days[*month - 1];
    if (*month == 2 && *year % 4 == 0 && (*year % 100 != 0 || *year % 400 == 0)) {
        last = 29;
    }
    return *day <= last;
}

/* Parses "HH:MM:SS" or "HH:MM:SS.ffffff" (all n bytes at s). Returns 1, or 0. */
static int djf_dbtext_parse_time(const char *s, size_t n, int *hour, int *minute, int *second,
                                 int *us)
{
    *us = 0;
    if (n != 8 && n != 15) {
        return 0;
    }
    if (!djf_dbtext_digits(s, 2, hour) || s[2] != ':' || !djf_dbtext_digits(s + 3, 2, minute) ||
        s[5] != ':' || !djf_dbtext_digits(s + 6, 2, second)) {
        return 0;
    }
    if (n == 15 && (s[8] != '.' || !djf_dbtext_digits(s + 9, 6, us))) {
        return 0;
    }
    return *hour < 24 && *minute < 60 && *second < 60;
}

size_t djf_dbtext_date(char *out, const char *s, size_t n)
{
    int year;
    int month;
    int day;

    if (n != 10 || !djf_dbtext_parse_date(s, &year, &month, &day)) {
        return 0;
    }
    return djf_fmt_date(out, year, month, day);
}

size_t djf_dbtext_time(char *out, const char *s, size_t n)
{
    int hour;
    int minute;
    int second;
    int us;

    if (!djf_dbtext_parse_time(s, n, &hour, &minute, &second, &us)) {
        return 0;
    }
    return djf_fmt_time(out, hour, minute, second, us);
}

size_t djf_dbtext_datetime(char *out, const char *s, size_t n, int utc)
{
    int year;
    int month;
    int day;
    int hour;
    int minute;
    int second;
    int us;
    size_t len;

    if (n < 11 || s[10] != ' ' || !djf_dbtext_parse_date(s, &year, &month, &day) ||
        !djf_dbtext_parse_time(s + 11, n - 11, &hour, &minute, &second, &us)) {
        return 0;
    }
    len = djf_fmt_date(out, year, month, day);
    out[len++] = ' ';
    len += djf_fmt_time(out + len, hour, minute, second, us);
    if (utc) {
        len += djf_fmt_utcoffset(out + len, 0); /* "+00:00" */
    }
    return len;
}

/* ------------------------------------------------------------------------------- decimals */

static const uint64_t djf_dbtext_pow10[20] = {1u,
                                              10u,
                                              100u,
                                              1000u,
                                              10000u,
                                              100000u,
                                              1000000u,
                                              10000000u,
                                              100000000u,
                                              1000000000u,
                                              10000000000u,
                                              100000000000u,
                                              1000000000000u,
                                              10000000000000u,
                                              100000000000000u,
                                              1000000000000000u,
                                              10000000000000000u,
                                              100000000000000000u,
                                              1000000000000000000u,
                                              10000000000000000000u};

/* A binary fraction f / 2^k (0 <= f < 2^k, 1 <= k <= 1074 + 52) whose decimal digits are read
 * one at a time, exactly: multiply by ten, the integer part is the next digit. Up to k = 60 in
 * one uint64 (f * 10 < 2^64); beyond, in 32-bit limbs. */
#define DJF_DBTEXT_LIMBS 36 /* 1152 bits >= 1074 + 52 + 4 */

typedef struct djf_dbtext_frac {
    int k;
    int nl;     /* limbs in use (0: the uint64 form) */
    uint64_t f; /* the uint64 form */
    uint32_t limb[DJF_DBTEXT_LIMBS];
} djf_dbtext_frac;

static void djf_dbtext_frac_init(djf_dbtext_frac *fr, uint64_t f, int k)
{
    fr->k = k;
    fr->f = f;
    fr->nl = 0;
    if (k > 60) {
        memset(fr->limb, 0, sizeof(fr->limb));
        fr->nl = (k + 4 + 31) / 32;
        fr->limb[0] = (uint32_t)f;
        fr->limb[1] = (uint32_t)(f >> 32);
    }
}

static int djf_dbtext_frac_nonzero(const djf_dbtext_frac *fr)
{
    int i;

    if (fr->nl == 0) {
        return fr->f != 0;
    }
    for (i = 0; i < fr->nl; i++) {
        if (fr->limb[i] != 0) {
            return 1;
        }
    }
    return 0;
}

/* The next decimal digit of the fraction (0..9). */
static int djf_dbtext_frac_next(djf_dbtext_frac *fr)
{
    uint64_t carry = 0;
    uint64_t t;
    uint32_t digit;
    int w;
    int b;
    int i;

    if (fr->nl == 0) {
        fr->f *= 10;
        digit = (uint32_t)(fr->f >> fr->k);
        fr->f &= ((uint64_t)1 << fr->k) - 1;
        return (int)digit;
    }
    for (i = 0; i < fr->nl; i++) {
        t = (uint64_t)fr->limb[i] * 10 + carry;
        fr->limb[i] = (uint32_t)t;
        carry = t >> 32;
    }
    w = fr->k / 32;
    b = fr->k % 32;
    digit = fr->limb[w] >> b;
    if (b > 28 && w + 1 < fr->nl) {
        digit |= fr->limb[w + 1] << (32 - b);
    }
    fr->limb[w] &= b == 0 ? 0u : (((uint32_t)1 << b) - 1);
    for (i = w + 1; i < fr->nl; i++) {
        fr->limb[i] = 0;
    }
    return (int)(digit & 15u);
}

/* The value (-1)^neg * (ipart + fraction) through create_decimal_from_float, quantize and
 * str() (dbtext.h). `fr` is NULL for an integer. */
static size_t djf_dbtext_quantize(char *out, size_t cap, int neg, uint64_t ipart,
                                  djf_dbtext_frac *fr, const djf_dbtext_decimal *spec)
{
    char idig[DJF_FMT_UINT64_MAX];
    char cdig[DJF_FMT_UINT64_MAX];
    int sd[DJF_DBTEXT_SIG_MAX + 1];
    int sig = spec->sig;
    int places = spec->places;
    int nsd = 0;
    int sticky = 0;
    int point = 0; /* value = 0.sd[0]sd[1]... * 10^point */
    int zero = 0;
    int ni = 0;
    int nc;
    int i;
    int up;
    long shift;
    long ncoef;
    long left;
    size_t total;
    size_t len = 0;
    uint64_t c1 = 0;
    uint64_t c2 = 0;

    if (sig < 1 || sig > DJF_DBTEXT_SIG_MAX || places < 0 || places > 1000000 ||
        spec->max_digits < 1) {
        return 0;
    }
    /* the exact digits: sig + 1 significant ones, and whether any non-zero digit follows */
    if (ipart != 0) {
        ni = (int)djf_fmt_uint64(idig, ipart);
        point = ni;
        for (i = 0; i < ni; i++) {
            if (nsd <= sig) {
                sd[nsd++] = idig[i] - '0';
            } else if (idig[i] != '0') {
                sticky = 1;
            }
        }
    }
    if (fr != NULL) {
        while (nsd == 0 && djf_dbtext_frac_nonzero(fr)) {
            int d = djf_dbtext_frac_next(fr);
            if (d == 0) {
                point--;
            } else {
                sd[nsd++] = d;
            }
        }
        while (nsd <= sig && djf_dbtext_frac_nonzero(fr)) {
            sd[nsd++] = djf_dbtext_frac_next(fr);
        }
        sticky |= djf_dbtext_frac_nonzero(fr);
    }
    if (nsd == 0) {
        zero = 1;
    }
    while (nsd <= sig) {
        sd[nsd++] = 0;
    }
    if (!zero) {
        /* create_decimal_from_float: round half even to sig significant digits */
        for (i = 0; i < sig; i++) {
            c1 = c1 * 10 + (uint64_t)sd[i];
        }
        up = sd[sig] > 5 || (sd[sig] == 5 && (sticky || (c1 & 1)));
        c1 += (uint64_t)up;
        if (c1 == djf_dbtext_pow10[sig]) {
            c1 = djf_dbtext_pow10[sig - 1];
            point++;
        }
        /* quantize to 10^-places: c1 * 10^(point - sig) */
        shift = (long)point - sig + places;
        if (shift < 0) {
            if (-shift >= 19) {
                c2 = 0; /* c1 <= 10^18 is below half of 10^19 */
            } else {
                uint64_t div = djf_dbtext_pow10[-shift];
                uint64_t q = c1 / div;
                uint64_t r = c1 % div;
                c2 = q + (uint64_t)(r > div / 2 || (r == div / 2 && (q & 1)));
            }
            c1 = c2;
            shift = 0;
        }
    } else {
        shift = 0;
    }
    /* the coefficient: the digits of c1, then `shift` zeros */
    nc = (int)djf_fmt_uint64(cdig, c1);
    ncoef = nc + shift;
    if (ncoef > spec->max_digits) {
        return 0; /* quantize raises InvalidOperation (or returns NaN) */
    }
    left = ncoef - places; /* digits before the point */
    if (places > 0 && left <= -6) {
        return 0; /* str() writes an exponent */
    }
    total = (size_t)neg + (size_t)ncoef + (places > 0 ? 1u : 0u) +
            (left <= 0 ? (size_t)(1 - left) : 0u);
    if (total > cap) {
        return 0;
    }
    if (neg) {
        out[len++] = '-';
    }
    if (left <= 0) {
        out[len++] = '0';
        out[len++] = '.';
        for (i = 0; i < -left; i++) {
            out[len++] = '0';
        }
    }
    for (i = 0; i < ncoef; i++) {
        if (places > 0 && left > 0 && i == left) {
            out[len++] = '.';
        }
        out[len++] = i < nc ? cdig[i] : '0';
    }
    return len;
}

size_t djf_dbtext_decimal_double(char *out, size_t cap, double v, const djf_dbtext_decimal *spec)
{
    djf_dbtext_frac fr;
    uint64_t bits;
    uint64_t m;
    int bexp;
    int e;
    int neg;

    memcpy(&bits, &v, sizeof(bits));
    neg = (int)(bits >> 63);
    bexp = (int)((bits >> 52) & 0x7ff);
    m = bits & (((uint64_t)1 << 52) - 1);
    if (bexp == 0x7ff) {
        return 0; /* infinity, NaN */
    }
    if (bexp == 0) {
        e = -1074; /* zero and subnormals */
    } else {
        m |= (uint64_t)1 << 52;
        e = bexp - 1075;
    }
    if (e >= 0) {
        if (e > 11) {
            return 0; /* 2^64 or more */
        }
        return djf_dbtext_quantize(out, cap, neg, m << e, NULL, spec);
    }
    if (-e < 64) {
        djf_dbtext_frac_init(&fr, m & (((uint64_t)1 << -e) - 1), -e);
        return djf_dbtext_quantize(out, cap, neg, m >> -e, &fr, spec);
    }
    djf_dbtext_frac_init(&fr, m, -e);
    return djf_dbtext_quantize(out, cap, neg, 0, &fr, spec);
}

size_t djf_dbtext_decimal_int64(char *out, size_t cap, int64_t v, const djf_dbtext_decimal *spec)
{
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    return djf_dbtext_quantize(out, cap, v < 0, a, NULL, spec);
}
