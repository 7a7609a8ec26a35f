/* libFuzzer harness: PostgreSQL COPY encodings (csrc/core/copy.c).
 *
 * - djf_copy_escape: the escaped text unescapes to the input; a NUL is refused at its offset.
 * - djf_copy_scan: the first byte that needs escaping, as a plain loop finds it.
 * - djf_copy_bytea_hex: "\\x" and two lowercase hex digits per byte.
 * - djf_pgbin_numeric: any text, refused or encoded as a well-formed field.
 * - djf_datetime_shift: a valid shift there and back returns the same datetime.
 * - djf_pgbin_field / djf_pgbin_int: length prefixes. */
#include "copy.h"
#include "fuzz_common.h"

#include <string.h>

static uint32_t be32(const char *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return ((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | ((uint32_t)u[2] << 8) | u[3];
}

static void check_escape(const uint8_t *s, size_t n)
{
    djf_buf b = {0};
    size_t nul_at = (size_t)-1;
    const uint8_t *nul = memchr(s, 0, n);
    djf_status rc = djf_copy_escape(&b, (const char *)s, n, &nul_at);
    size_t i;
    size_t j = 0;
    size_t first = n;

    for (i = 0; i < n; i++) {
        if (s[i] == '\\' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == 0) {
            first = i;
            break;
        }
    }
    FUZZ_CHECK(djf_copy_scan((const char *)s, n) == first);
    if (nul) {
        FUZZ_CHECK(rc == DJF_EINVAL && nul_at == (size_t)(nul - s));
        djf_buf_free(&b);
        return;
    }
    FUZZ_CHECK(rc == DJF_OK);
    for (i = 0; i < b.len; i++, j++) {
        uint8_t c = (uint8_t)b.data[i];

        FUZZ_CHECK(c != '\t' && c != '\n' && c != '\r');
        if (c == '\\') {
            FUZZ_CHECK(i + 1 < b.len);
            c = (uint8_t)b.data[++i];
            c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == '\\' ? '\\' : 0xff;
            FUZZ_CHECK(c != 0xff);
        }
        FUZZ_CHECK(j < n && s[j] == c);
    }
    FUZZ_CHECK(j == n);
    djf_buf_free(&b);
}

static void check_bytea(const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    djf_buf b = {0};
    size_t i;

    FUZZ_CHECK(djf_copy_bytea_hex(&b, s, n) == DJF_OK);
    FUZZ_CHECK(b.len == 3 + 2 * n);
    FUZZ_CHECK(memcmp(b.data, "\\\\x", 3) == 0);
    for (i = 0; i < n; i++) {
        FUZZ_CHECK(b.data[3 + 2 * i] == hex[s[i] >> 4] && b.data[4 + 2 * i] == hex[s[i] & 15]);
    }
    djf_buf_free(&b);
}

static void check_numeric(const uint8_t *s, size_t n)
{
    djf_buf b = {0};
    djf_status rc = djf_pgbin_numeric(&b, (const char *)s, n);

    if (rc != DJF_OK) {
        FUZZ_CHECK(rc == DJF_EINVAL && b.len == 0);
    } else {
        uint16_t ndigits;
        uint16_t sign;
        size_t k;

        FUZZ_CHECK(b.len >= 4 + 8 && be32(b.data) == b.len - 4);
        ndigits = (uint16_t)(((uint8_t)b.data[4] << 8) | (uint8_t)b.data[5]);
        sign = (uint16_t)(((uint8_t)b.data[8] << 8) | (uint8_t)b.data[9]);
        FUZZ_CHECK(b.len == 4 + 8 + 2 * (size_t)ndigits);
        FUZZ_CHECK(sign == 0 || sign == 0x4000);
        for (k = 0; k < ndigits; k++) {
            unsigned digit = ((uint8_t)b.data[12 + 2 * k] << 8) | (uint8_t)b.data[13 + 2 * k];
            FUZZ_CHECK(digit < 10000);
        }
    }
    djf_buf_free(&b);
}

static void check_datetime(fuzz_in *in)
{
    const uint8_t *p;
    djf_datetime dt;
    djf_datetime orig;
    int64_t delta = 0;
    size_t i;

    if (fuzz_take(in, 16, &p) < 16) {
        return;
    }
    dt.year = (int)(((unsigned)p[0] << 8 | p[1]) % 10002);
    dt.month = p[2] % 14;
    dt.day = p[3] % 33;
    dt.hour = p[4] % 25;
    dt.minute = p[5] % 61;
    dt.second = p[6] % 61;
    dt.us = (int)((((unsigned)p[7] << 16) | ((unsigned)p[8] << 8) | p[9]) % 1000001);
    for (i = 10; i < 16; i++) {
        delta = delta * 256 + p[i];
    }
    delta -= (int64_t)1 << 47;
    orig = dt;
    if (djf_datetime_shift(&dt, delta) == DJF_OK) {
        char text[DJF_FMT_DATETIME_MAX + 1];
        size_t n;

        FUZZ_CHECK(djf_datetime_valid(&orig) && djf_datetime_valid(&dt));
        FUZZ_CHECK(djf_pg_epoch_us(&dt) - djf_pg_epoch_us(&orig) == delta);
        n = djf_fmt_datetime(text, &dt, p[0] & 1);
        FUZZ_CHECK(n <= DJF_FMT_DATETIME_MAX && n >= 19);
        FUZZ_CHECK(djf_datetime_shift(&dt, -delta) == DJF_OK);
        FUZZ_CHECK(memcmp(&dt, &orig, sizeof dt) == 0);
    } else {
        FUZZ_CHECK(memcmp(&dt, &orig, sizeof dt) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    uint8_t mode = fuzz_byte(&in);
    djf_buf b = {0};
    int64_t v = 0;
    size_t i;

    switch (mode % 5) {
    case 0:
        check_escape(in.p, in.n);
        break;
    case 1:
        check_bytea(in.p, in.n);
        break;
    case 2:
        check_numeric(in.p, in.n);
        break;
    case 3:
        check_datetime(&in);
        break;
    default:
        FUZZ_CHECK(djf_pgbin_field(&b, in.p, in.n) == DJF_OK);
        FUZZ_CHECK(b.len == 4 + in.n && be32(b.data) == in.n);
        djf_buf_clear(&b);
        for (i = 0; i < 8 && i < in.n; i++) {
            v = (int64_t)((uint64_t)v << 8 | in.p[i]);
        }
        FUZZ_CHECK(djf_pgbin_int(&b, v, 8) == DJF_OK && b.len == 12 && be32(b.data) == 8);
        djf_buf_free(&b);
        break;
    }
    return 0;
}
