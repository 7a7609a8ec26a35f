/* djfast core: COPY text escaping, bytea hex and datetime shifting (see copy.h). */
#include "copy.h"

#include "fmt.h"

size_t djf_copy_scan(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= '\r' && (c == '\t' || c == '\n' || c == '\r' || c == '\0')) {
            return i;
        }
        if (c == '\\') {
            return i;
        }
    }
    return n;
}

djf_status djf_copy_escape(djf_buf *b, const char *s, size_t n, size_t *nul_at)
{
    djf_status st = DJF_OK;
    size_t start = 0;

    while (start < n) {
        size_t i = start + djf_copy_scan(s + start, n - start);
        char esc[2] = {'\\', 0};

        st = djf_buf_append(b, s + start, i - start);
        if (st != DJF_OK || i == n) {
            goto done;
        }
        switch (s[i]) {
        case '\t':
            esc[1] = 't';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        default: /* NUL */
            if (nul_at != NULL) {
                *nul_at = i;
            }
            st = DJF_EINVAL;
            goto done;
        }
        st = djf_buf_append(b, esc, 2);
        if (st != DJF_OK) {
            goto done;
        }
        start = i + 1;
    }
done:
    return st;
}

djf_status djf_copy_bytea_hex(djf_buf *b, const unsigned char *s, size_t n)
{
    size_t need;
    djf_status st;

    if (!djf_mul_size(n, 2, &need) || !djf_add_size(need, 3, &need)) {
        return DJF_EOVERFLOW;
    }
    st = djf_buf_reserve(b, need);
    if (st != DJF_OK) {
        return st;
    }
    memcpy(b->data + b->len, "\\\\x", 3);
    b->len += 3;
    b->len += djf_fmt_hex(b->data + b->len, s, n);
    return DJF_OK;
}

static int djf_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int djf_days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && djf_is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t djf_days_from_civil(int64_t y, int m, int d)
{
    int64_t era;
    int64_t yoe;
    int64_t doy;
    int64_t doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void djf_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era;
    int64_t doe;
    int64_t yoe;
    int64_t doy;
    int64_t mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int djf_datetime_valid(const djf_datetime *dt)
{
    return dt->year >= 1 && dt->year <= 9999 && dt->month >= 1 && dt->month <= 12 && dt->day >= 1 &&
           dt->day <= djf_days_in_month(dt->year, dt->month) && dt->hour >= 0 && dt->hour < 24 &&
           dt->minute >= 0 && dt->minute < 60 && dt->second >= 0 && dt->second < 60 &&
           dt->us >= 0 && dt->us < 1000000;
}

djf_status djf_datetime_shift(djf_datetime *dt, int64_t delta_us)
{
    const int64_t us_per_day = INT64_C(86400000000);
    /* |delta| is bounded so the sums below cannot overflow: 10^4 years is ~3.2e17 us. */
    const int64_t limit = INT64_C(400000000000000000);
    int64_t days;
    int64_t tod;
    int64_t year;
    int month;
    int day;

    if (!djf_datetime_valid(dt) || delta_us > limit || delta_us < -limit) {
        return DJF_EINVAL;
    }
    days = djf_days_from_civil(dt->year, dt->month, dt->day);
    tod = ((int64_t)dt->hour * 3600 + dt->minute * 60 + dt->second) * 1000000 + dt->us;
    tod += delta_us;
    days += tod / us_per_day;
    tod %= us_per_day;
    if (tod < 0) {
        tod += us_per_day;
        days -= 1;
    }
    djf_civil_from_days(days, &year, &month, &day);
    if (year < 1 || year > 9999) {
        return DJF_EINVAL;
    }
    dt->year = (int)year;
    dt->month = month;
    dt->day = day;
    dt->us = (int)(tod % 1000000);
    tod /= 1000000;
    dt->second = (int)(tod % 60);
    tod /= 60;
    dt->minute = (int)(tod % 60);
    dt->hour = (int)(tod / 60);
    return DJF_OK;
}

size_t djf_fmt_datetime(char *out, const djf_datetime *dt, int always_us)
{
    size_t n = djf_fmt_date(out, dt->year, dt->month, dt->day);

    out[n++] = ' ';
    n += djf_fmt_time(out + n, dt->hour, dt->minute, dt->second, dt->us);
    if (always_us && dt->us == 0) {
        int k;

        out[n++] = '.';
        for (k = 0; k < 6; k++) {
            out[n++] = '0';
        }
    }
    return n;
}

int64_t djf_pg_epoch_days(int year, int month, int day)
{
    return djf_days_from_civil(year, month, day) - djf_days_from_civil(2000, 1, 1);
}

int64_t djf_pg_epoch_us(const djf_datetime *dt)
{
    int64_t tod = ((int64_t)dt->hour * 3600 + dt->minute * 60 + dt->second) * 1000000 + dt->us;

    return djf_pg_epoch_days(dt->year, dt->month, dt->day) * INT64_C(86400000000) + tod;
}

static void djf_put_be(unsigned char *out, uint64_t v, int size)
{
    int i;

    for (i = size - 1; i >= 0; i--) {
        out[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

djf_status djf_pgbin_field(djf_buf *b, const void *data, size_t n)
{
    djf_status st;
    size_t need;

    if (n > INT32_MAX) {
        return DJF_EINVAL;
    }
    if (!djf_add_size(n, 4, &need)) {
        return DJF_EOVERFLOW;
    }
    st = djf_buf_reserve(b, need);
    if (st != DJF_OK) {
        return st;
    }
    djf_put_be((unsigned char *)b->data + b->len, (uint64_t)n, 4);
    b->len += 4;
    if (n > 0) {
        memcpy(b->data + b->len, data, n);
        b->len += n;
    }
    return DJF_OK;
}

djf_status djf_pgbin_int(djf_buf *b, int64_t v, int size)
{
    unsigned char tmp[8];

    djf_put_be(tmp, (uint64_t)v, size);
    return djf_pgbin_field(b, tmp, (size_t)size);
}

/* floor(a / 4) for negative a too */
static int64_t djf_floordiv4(int64_t a)
{
    return a >= 0 ? a / 4 : -((-a + 3) / 4);
}

djf_status djf_pgbin_numeric(djf_buf *b, const char *s, size_t n)
{
    static const int pow10[4] = {1, 10, 100, 1000};
    const int64_t max_exp = 100000;
    size_t i = 0;
    size_t first = 0; /* offset of the first digit */
    size_t ndig = 0;  /* digits seen */
    size_t nfrac = 0; /* digits after the point */
    size_t i0 = SIZE_MAX;
    size_t i1 = 0;
    int neg = 0;
    int seen_point = 0;
    int64_t exp = 0;
    int64_t exp10;
    int64_t P;
    int64_t dscale;
    int64_t gmax = 0;
    int64_t gmin = 0;
    size_t ngroups = 0;
    size_t k;
    size_t need;
    unsigned char *out;
    djf_status st;

    if (i < n && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    first = i;
    for (; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (s[i] != '0') {
                if (i0 == SIZE_MAX) {
                    i0 = ndig;
                }
                i1 = ndig;
            }
            ndig++;
            nfrac += (size_t)seen_point;
        } else if (s[i] == '.' && !seen_point) {
            seen_point = 1;
        } else {
            break;
        }
    }
    if (ndig == 0) {
        return DJF_EINVAL;
    }
    if (i < n && (s[i] == 'E' || s[i] == 'e')) {
        int eneg = 0;
        size_t edig = 0;

        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) {
            eneg = s[i] == '-';
            i++;
        }
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, edig++) {
            if (exp > max_exp) {
                return DJF_EINVAL;
            }
            exp = exp * 10 + (s[i] - '0');
        }
        if (edig == 0) {
            return DJF_EINVAL;
        }
        exp = eneg ? -exp : exp;
    }
    if (i != n || ndig > (size_t)max_exp) {
        return DJF_EINVAL;
    }
    exp10 = exp - (int64_t)nfrac;
    dscale = exp10 < 0 ? -exp10 : 0;
    if (dscale > 1000) { /* NUMERIC_MAX_DISPLAY_SCALE */
        return DJF_EINVAL;
    }
    P = (int64_t)ndig + exp10; /* digits before the decimal point */
    if (i0 != SIZE_MAX) {
        gmax = djf_floordiv4(P - 1 - (int64_t)i0);
        gmin = djf_floordiv4(P - 1 - (int64_t)i1);
        if (gmax > 32767 || gmin < -32768) {
            return DJF_EINVAL;
        }
        ngroups = (size_t)(gmax - gmin + 1);
    }
    need = 4 + 8 + 2 * ngroups;
    st = djf_buf_reserve(b, need);
    if (st != DJF_OK) {
        return st;
    }
    out = (unsigned char *)b->data + b->len;
    memset(out, 0, need);
    djf_put_be(out, (uint64_t)(need - 4), 4);
    djf_put_be(out + 4, (uint64_t)ngroups, 2);
    djf_put_be(out + 6, (uint64_t)(uint16_t)(int16_t)(ngroups ? gmax : 0), 2);
    djf_put_be(out + 8, (ngroups && neg) ? 0x4000 : 0x0000, 2);
    djf_put_be(out + 10, (uint64_t)dscale, 2);
    if (ngroups) {
        size_t d = 0;

        for (k = first; k < n && d <= i1; k++) {
            int64_t e;
            int64_t g;
            size_t slot;
            unsigned char *p;
            unsigned v;

            if (s[k] == '.') {
                continue;
            }
            if (d >= i0) {
                e = P - 1 - (int64_t)d;
                g = djf_floordiv4(e);
                slot = (size_t)(gmax - g);
                p = out + 12 + 2 * slot;
                v = ((unsigned)p[0] << 8 | p[1]) +
                    (unsigned)(s[k] - '0') * (unsigned)pow10[e - 4 * g];
                p[0] = (unsigned char)(v >> 8);
                p[1] = (unsigned char)(v & 0xff);
            }
            d++;
        }
    }
    b->len += need;
    return DJF_OK;
}
