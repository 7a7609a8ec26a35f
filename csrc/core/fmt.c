/* djfast core: number, date, time and UUID formatting (see fmt.h). */
#include "fmt.h"

static const char djf_hexdigits[] = "0123456789abcdef";

size_t djf_fmt_uint64(char *out, uint64_t v)
{
    char tmp[DJF_FMT_UINT64_MAX];
    size_t n = 0;
    size_t i;

    do {
        tmp[n++] = (char)('0' + (v % 10));
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    return n;
}

size_t djf_fmt_int64(char *out, int64_t v)
{
    if (v < 0) {
        out[0] = '-';
        /* negate in unsigned arithmetic so INT64_MIN is handled */
        return 1 + djf_fmt_uint64(out + 1, (uint64_t)0 - (uint64_t)v);
    }
    return djf_fmt_uint64(out, (uint64_t)v);
}

static void djf_put2(char *out, int v)
{
    out[0] = (char)('0' + (v / 10) % 10);
    out[1] = (char)('0' + v % 10);
}

size_t djf_fmt_date(char *out, int year, int month, int day)
{
    out[0] = (char)('0' + (year / 1000) % 10);
    out[1] = (char)('0' + (year / 100) % 10);
    out[2] = (char)('0' + (year / 10) % 10);
    out[3] = (char)('0' + year % 10);
    out[4] = '-';
    djf_put2(out + 5, month);
    out[7] = '-';
    djf_put2(out + 8, day);
    return 10;
}

static size_t djf_put_us(char *out, int us)
{
    int i;

    out[0] = '.';
    for (i = 6; i >= 1; i--) {
        out[i] = (char)('0' + us % 10);
        us /= 10;
    }
    return 7;
}

size_t djf_fmt_time(char *out, int hour, int minute, int second, int us)
{
    size_t n = 8;

    djf_put2(out, hour);
    out[2] = ':';
    djf_put2(out + 3, minute);
    out[5] = ':';
    djf_put2(out + 6, second);
    if (us != 0) {
        n += djf_put_us(out + 8, us);
    }
    return n;
}

size_t djf_fmt_utcoffset(char *out, int64_t total_us)
{
    uint64_t mag;
    int us;
    int64_t secs;
    int hh;
    int mm;
    int ss;
    size_t n;

    out[0] = total_us < 0 ? '-' : '+';
    mag = total_us < 0 ? (uint64_t)0 - (uint64_t)total_us : (uint64_t)total_us;
    us = (int)(mag % 1000000);
    secs = (int64_t)(mag / 1000000);
    hh = (int)(secs / 3600);
    mm = (int)((secs / 60) % 60);
    ss = (int)(secs % 60);
    djf_put2(out + 1, hh);
    out[3] = ':';
    djf_put2(out + 4, mm);
    n = 6;
    if (ss != 0 || us != 0) {
        out[n] = ':';
        djf_put2(out + n + 1, ss);
        n += 3;
        if (us != 0) {
            n += djf_put_us(out + n, us);
        }
    }
    return n;
}

size_t djf_fmt_hex(char *out, const unsigned char *bytes, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = djf_hexdigits[bytes[i] >> 4];
        out[2 * i + 1] = djf_hexdigits[bytes[i] & 0x0f];
    }
    return 2 * n;
}

size_t djf_fmt_uuid(char *out, const unsigned char bytes[16])
{
    size_t n = 0;

    n += djf_fmt_hex(out + n, bytes, 4);
    out[n++] = '-';
    n += djf_fmt_hex(out + n, bytes + 4, 2);
    out[n++] = '-';
    n += djf_fmt_hex(out + n, bytes + 6, 2);
    out[n++] = '-';
    n += djf_fmt_hex(out + n, bytes + 8, 2);
    out[n++] = '-';
    n += djf_fmt_hex(out + n, bytes + 10, 6);
    return n;
}
