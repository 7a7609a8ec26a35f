/* libFuzzer harness: the binary COPY decoder (csrc/core/copy_read.c).
 *
 * - Any bytes as a COPY stream: header, tuple counts and fields are read without reading past
 *   the input, and every formatter runs on every field within its documented output size.
 * - Encoder against decoder (csrc/core/copy.c): int8, date, timestamp and numeric values built
 *   by the bulk path's encoders are formatted back to the text the encoder side reads
 *   (snprintf for integers, djf_fmt_datetime for datetimes), and numeric text re-encodes to the
 *   same binary field. */
#include "copy.h"
#include "copy_read.h"
#include "fuzz_common.h"

#include <inttypes.h>
#include <string.h>

#define NUM_CAP 1200

static void all_formatters(const unsigned char *data, int32_t len)
{
    char out[DJF_COPY_TEXT_MAX];
    char num[NUM_CAP];
    double v;
    size_t n;

    n = djf_copy_fmt_int(out, data, len);
    FUZZ_CHECK(n <= 20);
    (void)djf_copy_get_double(data, len, &v);
    FUZZ_CHECK(djf_copy_fmt_bool(out, data, len) <= 5);
    FUZZ_CHECK(djf_copy_fmt_date(out, data, len) <= 10);
    FUZZ_CHECK(djf_copy_fmt_time(out, data, len) <= 15);
    FUZZ_CHECK(djf_copy_fmt_timestamp(out, data, len, "+00:00") <= DJF_FMT_DATETIME_MAX + 6);
    FUZZ_CHECK(djf_copy_fmt_uuid(out, data, len) <= 36);
    n = djf_copy_fmt_numeric(num, sizeof num, data, len);
    FUZZ_CHECK(n <= sizeof num);
}

static void parse_stream(const uint8_t *p, size_t n)
{
    size_t pos = 0;
    int tuples = 0;

    if (djf_copy_read_header(p, n, &pos) != DJF_OK) {
        return;
    }
    FUZZ_CHECK(pos <= n);
    while (tuples++ < 1000) {
        int nfields = 0;
        int k;

        if (djf_copy_read_count(p, n, &pos, &nfields) != DJF_OK || nfields < 0) {
            return;
        }
        FUZZ_CHECK(pos <= n);
        for (k = 0; k < nfields; k++) {
            const unsigned char *data = NULL;
            int32_t len = 0;

            if (djf_copy_read_field(p, n, &pos, &data, &len) != DJF_OK) {
                return;
            }
            FUZZ_CHECK(pos <= n && len >= -1);
            if (len >= 0) {
                FUZZ_CHECK(data >= p && data + len <= p + n);
                all_formatters(data, len);
            }
        }
    }
}

static void round_trips(fuzz_in *in)
{
    const uint8_t *raw;
    djf_buf b = {0};
    char out[DJF_COPY_TEXT_MAX + 1];
    char want[64];
    char num[NUM_CAP];
    int64_t v = 0;
    size_t i;
    size_t n;
    djf_datetime dt;

    if (fuzz_take(in, 8, &raw) < 8) {
        return;
    }
    for (i = 0; i < 8; i++) {
        v = (int64_t)((uint64_t)v << 8 | raw[i]);
    }
    /* int8 */
    FUZZ_CHECK(djf_pgbin_int(&b, v, 8) == DJF_OK);
    n = djf_copy_fmt_int(out, (const unsigned char *)b.data + 4, 8);
    snprintf(want, sizeof want, "%" PRId64, v);
    FUZZ_CHECK(n == strlen(want) && memcmp(out, want, n) == 0);
    djf_buf_clear(&b);
    /* timestamp and date from a datetime the encoder accepts */
    dt.year = 1 + (int)((uint64_t)v % 9999);
    dt.month = 1 + raw[1] % 12;
    dt.day = 1 + raw[2] % 28;
    dt.hour = raw[3] % 24;
    dt.minute = raw[4] % 60;
    dt.second = raw[5] % 60;
    dt.us = (raw[6] & 1) ? (int)(((uint32_t)raw[7] << 12 | raw[6]) % 1000000) : 0;
    FUZZ_CHECK(djf_datetime_valid(&dt));
    FUZZ_CHECK(djf_pgbin_int(&b, djf_pg_epoch_us(&dt), 8) == DJF_OK);
    n = djf_copy_fmt_timestamp(out, (const unsigned char *)b.data + 4, 8, "");
    i = djf_fmt_datetime(want, &dt, 0);
    FUZZ_CHECK(n == i && memcmp(out, want, n) == 0);
    djf_buf_clear(&b);
    FUZZ_CHECK(djf_pgbin_int(&b, djf_pg_epoch_days(dt.year, dt.month, dt.day), 4) == DJF_OK);
    n = djf_copy_fmt_date(out, (const unsigned char *)b.data + 4, 4);
    FUZZ_CHECK(n == 10 && memcmp(out, want, 10) == 0);
    djf_buf_clear(&b);
    /* numeric: the rest of the input as decimal text; decoded text re-encodes identically */
    if (djf_pgbin_numeric(&b, (const char *)in->p, in->n) == DJF_OK) {
        djf_buf again = {0};

        n = djf_copy_fmt_numeric(num, sizeof num, (const unsigned char *)b.data + 4,
                                 (int32_t)(b.len - 4));
        if (n > 0) {
            FUZZ_CHECK(djf_pgbin_numeric(&again, num, n) == DJF_OK);
            FUZZ_CHECK(again.len == b.len && memcmp(again.data, b.data, b.len) == 0);
        }
        djf_buf_free(&again);
    }
    djf_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    uint8_t mode = fuzz_byte(&in);

    if (mode & 1) {
        round_trips(&in);
    } else {
        parse_stream(in.p, in.n);
    }
    return 0;
}
