/* djfast core: text of values read raw from a database (see dbtext.h). */
#include "dbtext.h"

#include <string.h>

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
