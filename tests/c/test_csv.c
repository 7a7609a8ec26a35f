/* Check tests for csrc/core/csv.c: quoting and escaping as CPython 3.11's csv.writer writes
 * them (expected strings taken from csv.writer's output for the same row and dialect). */
#include "check_main.h"
#include "csv.h"

#include <stdint.h>
#include <string.h>

static const uint32_t crlf[] = {'\r', '\n'};

static djf_csv_dialect excel(void)
{
    djf_csv_dialect d;
    ck_assert_int_eq(
        djf_csv_dialect_init(&d, ',', '"', DJF_CSV_NOT_SET, 1, DJF_CSV_QUOTE_MINIMAL, crlf, 2, 0),
        DJF_OK);
    return d;
}

/* Writes a row of ASCII fields (NULL-terminated list); returns the status. */
static int ascii_row(const djf_csv_dialect *d, djf_buf *out, const char *const *fields, int flags)
{
    djf_csv_row r;
    int rc = DJF_OK;
    size_t i;

    djf_csv_row_begin(&r, out);
    for (i = 0; fields[i] != NULL && rc == DJF_OK; i++) {
        rc = djf_csv_field(d, &r, out, DJF_CSV_ASCII, fields[i], strlen(fields[i]), flags);
    }
    if (rc == DJF_OK) {
        rc = djf_csv_row_end(d, &r, out, flags);
    }
    return rc;
}

#define OUT_EQ(buf, expected)                                                                      \
    do {                                                                                           \
        ck_assert_uint_eq((buf).len, strlen(expected));                                            \
        ck_assert_mem_eq((buf).data, expected, (buf).len);                                         \
    } while (0)

START_TEST(test_minimal_quotes_only_when_needed)
{
    djf_csv_dialect d = excel();
    djf_buf b = {0};
    const char *row[] = {"plain", "a,b", "say \"hi\"", "two\nlines", "cr\rx", "", NULL};

    ck_assert_int_eq(ascii_row(&d, &b, row, 0), DJF_OK);
    OUT_EQ(b, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rx\",\r\n");
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
}
END_TEST

START_TEST(test_single_empty_field_is_quoted)
{
    djf_csv_dialect d = excel();
    djf_buf b = {0};
    const char *one[] = {"", NULL};
    const char *none[] = {NULL};

    ck_assert_int_eq(ascii_row(&d, &b, one, 0), DJF_OK);
    OUT_EQ(b, "\"\"\r\n");
    djf_buf_clear(&b);
    ck_assert_int_eq(ascii_row(&d, &b, none, 0), DJF_OK);
    OUT_EQ(b, "\r\n");
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
}
END_TEST

START_TEST(test_quote_none_escapes_or_fails)
{
    djf_csv_dialect d;
    djf_buf b = {0};
    const char *row[] = {"a,b", "q\"", "e\\", NULL};
    const char *empty[] = {"", NULL};

    ck_assert_int_eq(djf_csv_dialect_init(&d, ',', '"', '\\', 1, DJF_CSV_QUOTE_NONE, crlf, 2, 0),
                     DJF_OK);
    ck_assert_int_eq(ascii_row(&d, &b, row, 0), DJF_OK);
    OUT_EQ(b, "a\\,b,q\\\",e\\\\\r\n");
    djf_buf_clear(&b);
    ck_assert_int_eq(ascii_row(&d, &b, empty, 0), DJF_CSV_EEMPTY_FIELD);
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);

    ck_assert_int_eq(djf_csv_dialect_init(&d, ',', DJF_CSV_NOT_SET, DJF_CSV_NOT_SET, 1,
                                          DJF_CSV_QUOTE_NONE, crlf, 2, 0),
                     DJF_OK);
    ck_assert_int_eq(ascii_row(&d, &b, row, 0), DJF_CSV_ENEED_ESCAPE);
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
}
END_TEST

START_TEST(test_no_doublequote_escapes_quote_and_escapechar)
{
    djf_csv_dialect d;
    djf_buf b = {0};
    const char *row[] = {"a\"b", "c\\d", "e,f", NULL};

    ck_assert_int_eq(djf_csv_dialect_init(&d, ',', '"', '\\', 0, DJF_CSV_QUOTE_MINIMAL, crlf, 2, 0),
                     DJF_OK);
    ck_assert_int_eq(ascii_row(&d, &b, row, 0), DJF_OK);
    OUT_EQ(b, "a\\\"b,c\\\\d,\"e,f\"\r\n");
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);

    ck_assert_int_eq(
        djf_csv_dialect_init(&d, ',', '"', DJF_CSV_NOT_SET, 0, DJF_CSV_QUOTE_MINIMAL, crlf, 2, 0),
        DJF_OK);
    ck_assert_int_eq(ascii_row(&d, &b, row, 0), DJF_CSV_ENEED_ESCAPE);
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
}
END_TEST

START_TEST(test_lineterminator_characters_quote)
{
    static const uint32_t lt[] = {'X'};
    djf_csv_dialect d;
    djf_buf b = {0};
    const char *row[] = {"aXb", "c\nd", NULL};

    ck_assert_int_eq(
        djf_csv_dialect_init(&d, ';', '\'', DJF_CSV_NOT_SET, 1, DJF_CSV_QUOTE_MINIMAL, lt, 1, 0),
        DJF_OK);
    ck_assert_int_eq(ascii_row(&d, &b, row, 0), DJF_OK);
    /* 3.11: only the lineterminator's characters count, so "\n" stays unquoted here */
    OUT_EQ(b, "'aXb';c\ndX");
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
}
END_TEST

START_TEST(test_quoted_flag_and_guard)
{
    djf_csv_dialect d = excel();
    djf_buf b = {0};
    const char *row[] = {"=1+1", "-2", "x", "@a,b", "-x", NULL};

    ck_assert_int_eq(ascii_row(&d, &b, row, DJF_CSV_QUOTED | DJF_CSV_GUARD), DJF_OK);
    OUT_EQ(b, "\"'=1+1\",\"-2\",\"x\",\"'@a,b\",\"'-x\"\r\n");
    djf_buf_clear(&b);
    ck_assert_int_eq(ascii_row(&d, &b, row, DJF_CSV_GUARD), DJF_OK);
    OUT_EQ(b, "'=1+1,-2,x,\"'@a,b\",'-x\r\n");
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
}
END_TEST

START_TEST(test_formula_rule)
{
    static const char *const yes[] = {"=",    "+a",      "-inf", "@",   "\t",  "\r", " =1",
                                      "\n=1", "\r\n-1x", "-1e",  "--5", "-5 ", "+.", NULL};
    static const char *const no[] = {"",   "a=1", " ",     "-5",    "+3",  "-1.5e3",
                                     ".5", "-0.", "1E+16", "-1e-7", "x-1", NULL};
    static const uint32_t wide_yes[][3] = {
        {0xa0, '=', 0}, {0xfeff, '=', 0},     {0x200b, '@', 0},    {0xff1d, '1', 0},
        {0xfe66, 0, 0}, {0xe0001, 0xff20, 0}, {0x3000, 0xff0b, 0}, {0x2028, 0xfe63, 0}};
    static const uint32_t wide_no[][3] = {{0x2212, '1', 0}, {0xa0, 'x', 0}, {0x41, '=', 0}};
    size_t i;

    for (i = 0; yes[i]; i++) {
        ck_assert_msg(djf_csv_is_formula(DJF_CSV_ASCII, yes[i], strlen(yes[i])), "%s", yes[i]);
    }
    for (i = 0; no[i]; i++) {
        ck_assert_msg(!djf_csv_is_formula(DJF_CSV_ASCII, no[i], strlen(no[i])), "%s", no[i]);
    }
    for (i = 0; i < sizeof wide_yes / sizeof wide_yes[0]; i++) {
        size_t n = wide_yes[i][1] ? 2 : 1;
        ck_assert(djf_csv_is_formula(DJF_CSV_UCS4, wide_yes[i], n));
    }
    for (i = 0; i < sizeof wide_no / sizeof wide_no[0]; i++) {
        ck_assert(!djf_csv_is_formula(DJF_CSV_UCS4, wide_no[i], 2));
    }
}
END_TEST

START_TEST(test_wide_text_and_wide_delimiter)
{
    static const uint32_t lt[] = {0x2028};
    static const uint16_t ucs2[] = {'a', 0xe9, 0x20ac, 'b'};
    static const uint32_t ucs4[] = {0x1F600, 0x2028, 'z'};
    static const unsigned char ucs1[] = {'n', 0xe9};
    djf_csv_dialect d;
    djf_buf b = {0};
    djf_csv_row r;

    ck_assert_int_eq(
        djf_csv_dialect_init(&d, 0x20ac, '"', DJF_CSV_NOT_SET, 1, DJF_CSV_QUOTE_MINIMAL, lt, 1, 0),
        DJF_OK);
    djf_csv_row_begin(&r, &b);
    ck_assert_int_eq(djf_csv_field(&d, &r, &b, DJF_CSV_UCS2, ucs2, 4, 0), DJF_OK);
    ck_assert_int_eq(djf_csv_field(&d, &r, &b, DJF_CSV_UCS4, ucs4, 3, 0), DJF_OK);
    ck_assert_int_eq(djf_csv_field(&d, &r, &b, DJF_CSV_UCS1, ucs1, 2, 0), DJF_OK);
    ck_assert_int_eq(djf_csv_row_end(&d, &r, &b, 0), DJF_OK);
    OUT_EQ(b, "\"a\xc3\xa9\xe2\x82\xac"
              "b\"\xe2\x82\xac\"\xf0\x9f\x98\x80\xe2\x80\xa8z\"\xe2\x82\xacn\xc3\xa9\xe2\x80\xa8");
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
}
END_TEST

START_TEST(test_surrogates_pass_or_are_refused)
{
    static const uint16_t lone[] = {'a', 0xD800};
    djf_csv_dialect d = excel();
    djf_buf b = {0};
    djf_csv_row r;

    djf_csv_row_begin(&r, &b);
    ck_assert_int_eq(djf_csv_field(&d, &r, &b, DJF_CSV_UCS2, lone, 2, 0), DJF_OK);
    OUT_EQ(b, "a\xed\xa0\x80");
    djf_buf_clear(&b);
    djf_csv_row_begin(&r, &b);
    ck_assert_int_eq(djf_csv_field(&d, &r, &b, DJF_CSV_UCS2, lone, 2, DJF_CSV_STRICT_UTF8),
                     DJF_CSV_ESURROGATE);
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
}
END_TEST

START_TEST(test_surrogate_dialect_char_is_refused_only_when_written)
{
    static const char *const empty[] = {NULL};
    static const char *const one[] = {"a", NULL};
    static const char *const two[] = {"a", "b", NULL};
    djf_csv_dialect d;
    djf_buf b = {0};

    ck_assert_int_eq(djf_csv_dialect_init(&d, 0xD800, '"', DJF_CSV_NOT_SET, 1,
                                          DJF_CSV_QUOTE_MINIMAL, crlf, 2, 0),
                     DJF_OK);
    /* no delimiter is written: accepted, as csv.writer's output encodes */
    ck_assert_int_eq(ascii_row(&d, &b, empty, DJF_CSV_STRICT_UTF8), DJF_OK);
    ck_assert_int_eq(ascii_row(&d, &b, one, DJF_CSV_STRICT_UTF8), DJF_OK);
    OUT_EQ(b, "\r\na\r\n");
    djf_buf_clear(&b);
    ck_assert_int_eq(ascii_row(&d, &b, two, DJF_CSV_STRICT_UTF8), DJF_CSV_ESURROGATE);
    djf_buf_clear(&b);
    ck_assert_int_eq(ascii_row(&d, &b, two, 0), DJF_OK);
    OUT_EQ(b, "a\xed\xa0\x80"
              "b\r\n");
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
}
END_TEST

START_TEST(test_bad_dialects_are_refused)
{
    djf_csv_dialect d;
    static const uint32_t bad_lt[] = {0x110000};

    ck_assert_int_eq(djf_csv_dialect_init(&d, ',', '"', DJF_CSV_NOT_SET, 1, 9, crlf, 2, 0),
                     DJF_EINVAL);
    ck_assert_int_eq(djf_csv_dialect_init(&d, ',', DJF_CSV_NOT_SET, DJF_CSV_NOT_SET, 1,
                                          DJF_CSV_QUOTE_MINIMAL, crlf, 2, 0),
                     DJF_EINVAL);
    ck_assert_int_eq(
        djf_csv_dialect_init(&d, ',', '"', DJF_CSV_NOT_SET, 1, DJF_CSV_QUOTE_MINIMAL, bad_lt, 1, 0),
        DJF_EINVAL);
    ck_assert_int_eq(djf_csv_dialect_init(&d, 0x110000, '"', DJF_CSV_NOT_SET, 1,
                                          DJF_CSV_QUOTE_MINIMAL, crlf, 2, 0),
                     DJF_EINVAL);
}
END_TEST

START_TEST(test_long_lineterminator_of_wide_chars)
{
    uint32_t lt[40];
    djf_csv_dialect d;
    djf_buf b = {0};
    djf_csv_row r;
    uint16_t field[1];
    size_t i;

    for (i = 0; i < 40; i++) {
        lt[i] = 0x400 + (uint32_t)i;
    }
    ck_assert_int_eq(
        djf_csv_dialect_init(&d, ',', '"', DJF_CSV_NOT_SET, 1, DJF_CSV_QUOTE_MINIMAL, lt, 40, 0),
        DJF_OK);
    ck_assert_uint_eq(d.lineterm_len, 80);
    field[0] = 0x427;
    djf_csv_row_begin(&r, &b);
    ck_assert_int_eq(djf_csv_field(&d, &r, &b, DJF_CSV_UCS2, field, 1, 0), DJF_OK);
    OUT_EQ(b, "\"\xd0\xa7\"");
    ck_assert_int_eq(djf_csv_field(&d, &r, &b, 3, field, 1, 0), DJF_EINVAL);
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
}
END_TEST

/* The rules of newer CPython writers (read from CPython's main-branch _csv.c). */
START_TEST(test_newer_python_options)
{
    static const uint32_t lt[] = {'X'};
    const char *crlf_row[] = {"a\nb", "c\rd", NULL};
    const char *empty_first[] = {"", "a", NULL};
    djf_csv_dialect d;
    djf_buf b = {0};
    djf_csv_row r;

    ck_assert_int_eq(djf_csv_dialect_init(&d, ',', '"', DJF_CSV_NOT_SET, 1, DJF_CSV_QUOTE_MINIMAL,
                                          lt, 1, DJF_CSV_OPT_CRLF_SPECIAL),
                     DJF_OK);
    ck_assert_int_eq(ascii_row(&d, &b, crlf_row, 0), DJF_OK);
    OUT_EQ(b, "\"a\nb\",\"c\rd\"X");
    djf_buf_clear(&b);
    djf_csv_dialect_free(&d);

    ck_assert_int_eq(djf_csv_dialect_init(&d, ' ', '"', DJF_CSV_NOT_SET, 1, DJF_CSV_QUOTE_NOTNULL,
                                          crlf, 2, DJF_CSV_OPT_QUOTE_EMPTY),
                     DJF_OK);
    ck_assert_int_eq(ascii_row(&d, &b, empty_first, 0), DJF_OK);
    OUT_EQ(b, "\"\" a\r\n");
    djf_buf_clear(&b);
    djf_csv_row_begin(&r, &b);
    ck_assert_int_eq(djf_csv_field(&d, &r, &b, DJF_CSV_ASCII, "", 0, DJF_CSV_NULL),
                     DJF_CSV_EEMPTY_SPACE);
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);

    ck_assert_int_eq(djf_csv_dialect_init(&d, ',', '"', DJF_CSV_NOT_SET, 1, DJF_CSV_QUOTE_STRINGS,
                                          crlf, 2, DJF_CSV_OPT_NULL_SINGLE),
                     DJF_OK);
    djf_csv_row_begin(&r, &b);
    ck_assert_int_eq(djf_csv_field(&d, &r, &b, DJF_CSV_ASCII, "", 0, DJF_CSV_NULL), DJF_OK);
    ck_assert_int_eq(djf_csv_row_end(&d, &r, &b, 0), DJF_CSV_EEMPTY_FIELD);
    djf_buf_clear(&b);
    djf_csv_row_begin(&r, &b);
    ck_assert_int_eq(djf_csv_field(&d, &r, &b, DJF_CSV_ASCII, "", 0, 0), DJF_OK);
    ck_assert_int_eq(djf_csv_row_end(&d, &r, &b, 0), DJF_OK);
    OUT_EQ(b, "\"\"\r\n");
    djf_buf_free(&b);
    djf_csv_dialect_free(&d);
}
END_TEST

/* Expected strings are Python's repr() of the same doubles. */
START_TEST(test_short_float_forms_match_repr)
{
    static const struct {
        double v;
        const char *repr;
    } cases[] = {
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1.0, "1.0"},
        {1500.0, "1500.0"},
        {0.1, "0.1"},
        {-2.5, "-2.5"},
        {1234.56, "1234.56"},
        {0.0001, "0.0001"},
        {0.000123, "0.000123"},
        {123456789012345.0, "123456789012345.0"},
        {0.3333333333333, "0.3333333333333"},
        {99999999999999.9, "99999999999999.9"},
    };
    static const double fallback[] = {1e15,      1e-5,      9.999999999999999e-05,
                                      1.0 / 3.0, 0.1 + 0.2, 123.45678912345678};
    char out[DJF_CSV_FMT_DOUBLE_MAX];
    size_t i;
    size_t n;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = djf_csv_fmt_double(out, cases[i].v);
        ck_assert_uint_eq(n, strlen(cases[i].repr));
        ck_assert_mem_eq(out, cases[i].repr, n);
    }
    for (i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++) {
        ck_assert_uint_eq(djf_csv_fmt_double(out, fallback[i]), 0);
    }
}
END_TEST

static Suite *csv_suite(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_minimal_quotes_only_when_needed);
    tcase_add_test(tc, test_single_empty_field_is_quoted);
    tcase_add_test(tc, test_quote_none_escapes_or_fails);
    tcase_add_test(tc, test_no_doublequote_escapes_quote_and_escapechar);
    tcase_add_test(tc, test_lineterminator_characters_quote);
    tcase_add_test(tc, test_quoted_flag_and_guard);
    tcase_add_test(tc, test_formula_rule);
    tcase_add_test(tc, test_wide_text_and_wide_delimiter);
    tcase_add_test(tc, test_surrogates_pass_or_are_refused);
    tcase_add_test(tc, test_surrogate_dialect_char_is_refused_only_when_written);
    tcase_add_test(tc, test_bad_dialects_are_refused);
    tcase_add_test(tc, test_long_lineterminator_of_wide_chars);
    tcase_add_test(tc, test_newer_python_options);
    tcase_add_test(tc, test_short_float_forms_match_repr);
    suite_add_tcase(s, tc);
    return s;
}

DJF_CHECK_MAIN(csv_suite)
