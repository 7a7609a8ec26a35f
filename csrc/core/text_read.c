/* djfast core: text-protocol values as Python's str() of the driver's value (see text_read.h). */
#include "text_read.h"

#include "fmt.h"

#include <string.h>

/* Reads `width` decimal digits at s into *v. Returns 1, or 0 when one is not a digit. */
static int djf_text_digits(const char *s, size_t width, int *v)
{
    size_t i;
    int x = 0;

    for (i = 0; i < width; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

size_t djf_text_int(const char *s, size_t n)
{
    size_t i = 0;

    if (n > 0 && s[0] == '-') {
        i = 1;
    }
    if (i == n || (s[i] == '0' && (n - i > 1 || i == 1))) {
        return 0; /* empty, a leading zero, or "-0" */
    }
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return n;
}

size_t djf_text_decimal(const char *s, size_t n)
{
    size_t i = 0;
    size_t int_start;
    size_t int_len;
    size_t frac_len = 0;
    size_t lead = 0; /* leading zeros of the coefficient (integer then fraction digits) */
    size_t digits;

    if (n > 0 && s[0] == '-') {
        i = 1;
    }
    int_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
    }
    int_len = i - int_start;
    if (int_len == 0 || (int_len > 1 && s[int_start] == '0')) {
        return 0;
    }
    if (i < n) {
        if (s[i] != '.') {
            return 0;
        }
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            frac_len++;
        }
        if (frac_len == 0 || i != n) {
            return 0;
        }
    }
    /* Decimal keeps every digit: the coefficient is the digits without leading zeros (at
     * least one digit) and the exponent is -frac_len. Plain notation needs
     * adjusted = len(coefficient) - 1 - frac_len >= -6. */
    digits = int_len + frac_len;
    for (i = int_start; i < n && lead + 1 < digits; i++) {
        if (s[i] == '.') {
            continue;
        }
        if (s[i] != '0') {
            break;
        }
        lead++;
    }
    if ((digits - lead) + 6 < frac_len + 1) {
        return 0;
    }
    return n;
}

/* Reads "YYYY-MM-DD" at s (10 bytes) into y/m/d, checking it is a date of years 1..9999. */
static int djf_text_read_date(const char *s, int *y, int *m, int *d)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap;

    if (s[4] != '-' || s[7] != '-' || !djf_text_digits(s, 4, y) || !djf_text_digits(s + 5, 2, m) ||
        !djf_text_digits(s + 8, 2, d)) {
        return 0;
    }
    if (*y < 1 || *m < 1 || *m > 12 || *d < 1) {
        return 0;
    }
    leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    return *d <= days[*m - 1] + (*m == 2 && leap);
}

/* Reads "HH:MM:SS[.f{1,6}]" (exactly s[0..n)) into h/mi/sec/us, checking the ranges of a time. */
static int djf_text_read_time(const char *s, size_t n, int *h, int *mi, int *sec, int *us)
{
    size_t i;
    int scale = 100000;

    if (n < 8 || s[2] != ':' || s[5] != ':' || !djf_text_digits(s, 2, h) ||
        !djf_text_digits(s + 3, 2, mi) || !djf_text_digits(s + 6, 2, sec)) {
        return 0;
    }
    if (*h > 23 || *mi > 59 || *sec > 59) {
        return 0;
    }
    *us = 0;
    if (n == 8) {
        return 1;
    }
    if (s[8] != '.' || n < 10 || n > 15) {
        return 0;
    }
    for (i = 9; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        *us += (s[i] - '0') * scale;
        scale /= 10;
    }
    return 1;
}

size_t djf_text_date(const char *s, size_t n)
{
    int y;
    int m;
    int d;

    return n == 10 && djf_text_read_date(s, &y, &m, &d) ? n : 0;
}

size_t djf_text_time(char *out, const char *s, size_t n)
{
    int h;
    int mi;
    int sec;
    int us;

    if (!djf_text_read_time(s, n, &h, &mi, &sec, &us)) {
        return 0;
    }
    return djf_fmt_time(out, h, mi, sec, us);
}

size_t djf_text_timestamp(char *out, const char *s, size_t n, const char *suffix)
{
    int y;
    int m;
    int d;
    int h;
    int mi;
    int sec;
    int us;
    size_t len;
    size_t i;
    size_t slen = strlen(suffix);

    if (n < 19 || slen > 6 || s[10] != ' ' || !djf_text_read_date(s, &y, &m, &d) ||
        !djf_text_read_time(s + 11, n - 11, &h, &mi, &sec, &us)) {
        return 0;
    }
    len = djf_fmt_date(out, y, m, d);
    out[len++] = ' ';
    len += djf_fmt_time(out + len, h, mi, sec, us);
    for (i = 0; i < slen; i++) { /* the suffix's bytes, without its NUL */
        out[len++] = suffix[i];
    }
    return len;
}
