"""djfast.csv.writer against the stdlib's csv.writer: same bytes, same errors.

The oracle is always ``csv.writer(io.StringIO(), **fmtparams)`` fed the same rows.
"""

from __future__ import annotations

import csv
import enum
import io
import threading
import uuid
import zoneinfo
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djfast import _djfast
from djfast.csv import writer

# ---------------------------------------------------------------- oracle helpers


def outcome(fn, *args):
    """('ok', value) or ('err', type, message) for a call."""
    try:
        return ("ok", fn(*args))
    except Exception as exc:
        return ("err", type(exc), str(exc))


def stdlib_rows(rows, fmtparams):
    """The text csv.writer writes for each row (or its exception), row by row."""
    results = []
    for row in rows:
        buf = io.StringIO()
        w = csv.writer(buf, **fmtparams)
        results.append(outcome(lambda r, w=w, buf=buf: (w.writerow(r), buf.getvalue())[1], row))
    return results


def djfast_rows(rows, fmtparams):
    w = writer(**fmtparams)
    return [outcome(w.writerow, row) for row in rows]


def chunks_until_error(w, rows):
    """Everything .chunks() yields, and the exception that stopped it (if any)."""
    out = []
    it = w.chunks(rows)
    try:
        for part in it:
            out.append(part)
    except Exception as exc:
        return b"".join(out), (type(exc), str(exc))
    return b"".join(out), None


# ---------------------------------------------------------------- strategies

SPECIALS = ",;|\t \"'\\\r\nxé€\U0001f600\x00"
special_char = st.sampled_from(SPECIALS)
texts = st.text(alphabet=st.one_of(special_char, st.characters()), max_size=12)


class Color(enum.IntEnum):
    RED = 1


class Shout(str):
    def __str__(self):  # csv ignores __str__ of a str subclass
        return "SHOUT"


class Num(int):
    def __str__(self):
        return f"num<{int(self)}>"


class Stamp(datetime):
    def __str__(self):
        return "stamp!"


class Thing:
    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text


offsets = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59, seconds=-59, microseconds=-999999),
    max_value=timedelta(hours=23, minutes=59, seconds=59, microseconds=999999),
)
tzinfos = st.one_of(
    st.none(),
    st.just(UTC),
    offsets.map(timezone),
    st.sampled_from(["Europe/Paris", "America/St_Johns", "Asia/Kathmandu", "Africa/Monrovia"]).map(
        zoneinfo.ZoneInfo
    ),
)
decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [Decimal("-0"), Decimal("1E+5"), Decimal("-1.50E-9"), Decimal("sNaN"), Decimal("-Infinity")]
    ),
)
values = st.one_of(
    texts,
    st.integers(),
    st.integers(min_value=-(2**130), max_value=2**130),
    st.floats(),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 1e16, 1e-7, 0.1]),
    st.booleans(),
    st.none(),
    decimals,
    st.dates(),
    st.datetimes(timezones=tzinfos),
    st.times(timezones=tzinfos),
    st.uuids(),
    st.sampled_from([Color.RED, Shout("hi,"), Num(5), Fraction(1, 3), 1 + 2j]),
    st.datetimes().map(
        lambda d: Stamp(d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond)
    ),
    texts.map(Thing),
)
rows = st.lists(values, max_size=6)

QUOTINGS = [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC, csv.QUOTE_NONE]
QUOTINGS += [
    getattr(csv, name) for name in ("QUOTE_STRINGS", "QUOTE_NOTNULL") if hasattr(csv, name)
]


@st.composite
def fmtparams(draw):
    params = {}
    if draw(st.booleans()):
        params["delimiter"] = draw(special_char)
    if draw(st.booleans()):
        params["quotechar"] = draw(st.one_of(st.none(), special_char))
    if draw(st.booleans()):
        params["escapechar"] = draw(st.one_of(st.none(), special_char))
    if draw(st.booleans()):
        params["doublequote"] = draw(st.booleans())
    if draw(st.booleans()):
        params["quoting"] = draw(st.sampled_from(QUOTINGS))
    if draw(st.booleans()):
        params["lineterminator"] = draw(st.text(alphabet=special_char, max_size=3))
    if draw(st.booleans()):
        params["skipinitialspace"] = draw(st.booleans())
    if draw(st.booleans()):
        params["strict"] = draw(st.booleans())
    if draw(st.booleans()):
        params["dialect"] = draw(st.sampled_from(["excel", "excel-tab", "unix", csv.excel_tab]))
    return params


@st.composite
def dialect_and_rows(draw, max_rows=5):
    """A dialect, and rows whose text is dense in that dialect's own special characters."""
    params = draw(fmtparams())
    own = [params.get(k) for k in ("delimiter", "quotechar", "escapechar")]
    own = [c for c in own if isinstance(c, str)] + list(params.get("lineterminator", ""))
    alphabet = st.sampled_from(own + list(',"\r\nab')) if own else special_char
    dense = st.text(alphabet=alphabet, max_size=8)
    value = st.one_of(dense, dense.map(Thing), values)
    return params, draw(st.lists(st.lists(value, max_size=6), min_size=1, max_size=max_rows))


def construct(params):
    return outcome(lambda: (writer(**params), None)[1])


def construct_stdlib(params):
    return outcome(lambda: (csv.writer(io.StringIO(), **params), None)[1])


PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- properties


@PROPERTY
@given(case=dialect_and_rows())
def test_writerow_matches_csv_writer_for_any_dialect_and_row(case):
    params, rows = case
    expected_ctor = construct_stdlib(params)
    assert construct(params) == expected_ctor
    if expected_ctor[0] == "err":
        return
    assert djfast_rows(rows, params) == stdlib_rows(rows, params)


@PROPERTY
@given(case=dialect_and_rows(max_rows=30), chunk_size=st.integers(1, 200))
def test_chunks_are_the_utf8_of_the_rows_and_stop_at_the_same_error(case, chunk_size):
    params, rows = case
    if construct_stdlib(params)[0] == "err":
        return
    expected = []
    error = None
    for result in stdlib_rows(rows, params):
        if result[0] == "err":
            error = result[1:]
            break
        try:  # chunks() are strict UTF-8: a row whose text holds a lone surrogate stops them
            expected.append(result[1].encode("utf-8"))
        except UnicodeEncodeError:
            error = (UnicodeEncodeError,)
            break
    body, got_error = chunks_until_error(writer(chunk_size=chunk_size, **params), rows)
    assert body == b"".join(expected)
    if error == (UnicodeEncodeError,):  # the position in the message is djfast's own
        assert got_error is not None and got_error[0] is UnicodeEncodeError
    else:
        assert got_error == error


class Surrogate:
    def __str__(self) -> str:
        return "\ud800"


def test_chunks_oracle_handles_a_value_whose_text_is_a_lone_surrogate():
    # the draw that made the property above flaky: the stdlib writes the row, and only its
    # UTF-8 encoding fails; chunks() refuses it at that row.
    body, got_error = chunks_until_error(writer(), [["ok"], [Surrogate()], ["never"]])
    assert body == b"ok\r\n"
    assert got_error is not None and got_error[0] is UnicodeEncodeError


@pytest.mark.parametrize("delimiter", ["\ud800", "\udfff"])
def test_chunks_accept_rows_whose_output_holds_no_surrogate_dialect_char(delimiter):
    w = writer(delimiter=delimiter)
    rows = [[], ["a"], [""], [1]]
    stdlib = "".join(r[1] for r in stdlib_rows(rows, {"delimiter": delimiter}))
    assert b"".join(w.chunks(rows)) == stdlib.encode("utf-8")
    # a row that does write the delimiter cannot be UTF-8, as encoding the stdlib's text shows
    with pytest.raises(UnicodeEncodeError):
        stdlib_rows([["a", "b"]], {"delimiter": delimiter})[0][1].encode("utf-8")
    with pytest.raises(UnicodeEncodeError):
        b"".join(w.chunks([["a", "b"]]))


@given(row=rows)
@settings(max_examples=200, deadline=None)
def test_excel_default_row_matches(row):
    buf = io.StringIO()
    csv.writer(buf).writerow(row)
    assert writer().writerow(row) == buf.getvalue()


# ---------------------------------------------------------------- quirks, one by one


@pytest.mark.parametrize(
    ("row", "params"),
    [
        ([""], {}),
        ([None], {}),
        ([None], {"quoting": csv.QUOTE_NONNUMERIC}),
        ([""], {"quoting": csv.QUOTE_NONE}),
        ([""], {"quotechar": None}),
        (["a,b"], {"quotechar": None}),
        (["a,b"], {"quoting": csv.QUOTE_NONE}),
        (['a"b'], {"doublequote": False}),
        (['a"b'], {"doublequote": False, "escapechar": "\\"}),
        (["a\\b"], {"escapechar": "\\"}),
        (["a\nb"], {"lineterminator": "X"}),
        (["aXb"], {"lineterminator": "X"}),
        (["a\rb"], {"lineterminator": "\n"}),
        (["x"], {"escapechar": "x", "quotechar": "x"}),
        (['a"b'], {"delimiter": '"'}),
        ([1.5, 2, True, None, "x", Decimal("1.1"), uuid.UUID(int=7)], {"quoting": 2}),
        ([], {}),
        ([1, 2], {"lineterminator": ""}),
        (["é", "€"], {"delimiter": "€", "lineterminator": "é"}),
    ],
)
def test_stdlib_quirks_match(row, params):
    assert djfast_rows([row], params) == stdlib_rows([row], params)


@pytest.mark.skipif(not hasattr(csv, "QUOTE_STRINGS"), reason="csv.QUOTE_STRINGS is Python 3.12+")
@pytest.mark.parametrize("name", ["QUOTE_STRINGS", "QUOTE_NOTNULL"])
def test_new_quoting_styles_match_when_python_has_them(name):
    params = {"quoting": getattr(csv, name)}
    rows = [["a", 1, None, 2.5, ""], [None], [""]]
    assert djfast_rows(rows, params) == stdlib_rows(rows, params)


@pytest.mark.parametrize(
    "params",
    [
        {"delimiter": ""},
        {"delimiter": None},
        {"delimiter": ",,"},
        {"quotechar": ""},
        {"escapechar": "ab"},
        {"quoting": 99},
        {"quoting": "all"},
        {"lineterminator": None},
        {"quotechar": None, "quoting": csv.QUOTE_ALL},
        {"bogus": 1},
        {"dialect": "no-such-dialect"},
    ],
)
def test_bad_fmtparams_raise_what_csv_raises(params):
    expected = construct_stdlib(params)
    assert expected[0] == "err"
    assert construct(params) == expected


def test_dialect_is_the_stdlib_dialect():
    w = writer(dialect="excel-tab", quoting=csv.QUOTE_ALL)
    assert w.dialect.delimiter == "\t"
    assert w.dialect.quoting == csv.QUOTE_ALL


def test_row_that_is_not_iterable_raises_csv_error():
    with pytest.raises(csv.Error, match=r"^iterable expected, not int$"):
        writer().writerow(5)
    with pytest.raises(csv.Error, match=r"^iterable expected, not NoneType$"):
        list(writer().chunks([["ok"], None]))


def test_value_whose_str_raises_propagates():
    class Bad:
        def __str__(self):
            raise KeyError("nope")

    assert djfast_rows([[1, Bad()]], {}) == stdlib_rows([[1, Bad()]], {})
    with pytest.raises(KeyError):
        writer().writerow([1, Bad()])


def test_row_iterator_that_raises_midway_propagates_and_keeps_the_writer_usable():
    def cells():
        yield "a"
        raise ValueError("boom")

    w = writer()
    with pytest.raises(ValueError, match="boom"):
        w.writerow(cells())
    assert w.writerow(["still", "fine"]) == "still,fine\r\n"


def test_rows_iterator_that_raises_gives_earlier_rows_then_the_error():
    def source():
        yield [1, 2]
        yield [3, 4]
        raise RuntimeError("db went away")

    it = writer().chunks(source())
    assert next(it) == b"1,2\r\n3,4\r\n"
    with pytest.raises(RuntimeError, match="db went away"):
        next(it)
    with pytest.raises(StopIteration):
        next(it)


def test_keyboard_interrupt_from_the_rows_propagates_at_once_and_loses_no_row():
    # it used to be held back behind the buffered rows, and close() then dropped it
    def source():
        yield [1, 2]
        raise KeyboardInterrupt

    it = writer().chunks(source())
    with pytest.raises(KeyboardInterrupt):
        next(it)
    assert list(it) == [stdlib_rows([[1, 2]], {})[0][1].encode()]

    it = writer().chunks(source())
    with pytest.raises(KeyboardInterrupt):
        next(it)
    it.close()


def test_lone_surrogate_is_accepted_by_writerow_like_csv():
    row = ["ok", "bad\ud800", "\udfff"]
    assert djfast_rows([row], {}) == stdlib_rows([row], {})


def test_lone_surrogate_in_chunks_is_a_unicode_encode_error_after_the_good_rows():
    body, error = chunks_until_error(writer(), [["fine"], ["x\ud800y"]])
    assert body == b"fine\r\n"
    assert error is not None and error[0] is UnicodeEncodeError
    assert "surrogates not allowed" in error[1]


def test_surrogate_in_the_dialect_is_a_unicode_encode_error_in_chunks():
    w = writer(lineterminator="\ud800")
    assert w.writerow(["a"]) == "a\ud800"
    with pytest.raises(UnicodeEncodeError):
        list(w.chunks([["a"]]))


@pytest.mark.parametrize("row", [[1, 2], [None], [2.5, True], []])
def test_surrogate_in_the_dialect_with_non_str_values_is_an_error_not_lost_rows(row):
    # values formatted in C (int, None, float...) and the row end used to fail without an
    # exception: the chunk iterator then simply stopped, dropping the rows
    w = writer(delimiter="\ud800")
    if len(row) > 1:  # the delimiter is written: the row cannot be UTF-8
        with pytest.raises(UnicodeEncodeError):
            list(w.chunks([row]))
    with pytest.raises(UnicodeEncodeError):
        list(writer(lineterminator="\udc00").chunks([["ok"], row]))


def test_str_subclass_that_is_a_number_is_unquoted_under_nonnumeric_like_csv():
    class NumericStr(str):
        def __float__(self):
            return 1.0

    class IndexStr(str):
        def __index__(self):
            return 1

    rows = [[NumericStr("x"), IndexStr("y"), "z", "w"]]
    fmtparams = {"quoting": csv.QUOTE_NONNUMERIC}
    assert djfast_rows(rows, fmtparams) == stdlib_rows(rows, fmtparams)


def test_reentrant_writerow_from_str_gives_what_csv_gives():
    w = writer()

    class Nested:
        def __init__(self, row_text):
            self.row_text = row_text

        def __str__(self):
            return self.row_text("inner", 1)

    def djfast_text(*row):
        return w.writerow(list(row))

    def stdlib_text(*row):
        return stdlib_rows([list(row)], {})[0][1]

    assert (
        w.writerow([Nested(djfast_text), "x"])
        == stdlib_rows([[Nested(stdlib_text), "x"]], {})[0][1]
    )
    assert w.writerow(["after"]) == "after\r\n"


def test_writer_shared_by_threads_writes_while_another_row_is_being_written():
    # One writer used by two threads: a writerow() that starts while another thread's row is
    # in progress (here blocked in a value's __str__; in real use a long field formatted
    # without the GIL) used to fail with "already writing a row".
    w = writer()
    inside = threading.Event()
    release = threading.Event()
    results = {}

    class Blocking:
        def __str__(self):
            inside.set()
            release.wait()
            return "slow"

    def first():
        results["first"] = outcome(w.writerow, [Blocking(), "a,b"])

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(timeout=60)
        results["second"] = outcome(w.writerow, ["x", 1, None])
    finally:
        release.set()
        thread.join()
    assert results["second"] == stdlib_rows([["x", 1, None]], {})[0]
    assert results["first"] == stdlib_rows([["slow", "a,b"]], {})[0]


def test_list_mutated_by_str_during_the_row_matches_csv():
    def make():
        row = [1, 2, 3]

        class Shrink:
            def __str__(self):
                row.clear()
                return "s"

        row.insert(1, Shrink())
        return row

    assert djfast_rows([make()], {}) == stdlib_rows([make()], {})


def test_chunk_sizes_are_about_chunk_size():
    rows = [[i, "x" * 50] for i in range(2000)]
    parts = list(writer(chunk_size=1000).chunks(rows))
    assert all(1000 <= len(p) < 1100 for p in parts[:-1])
    assert b"".join(parts) == "".join(writer().writerow(r) for r in rows).encode()


def test_chunks_header_prefix_feed_flush_and_close():
    w = writer(chunk_size=10)
    c = w.chunks(None, header=["h1", "h,2"], prefix=b"\xef\xbb\xbf")
    assert c.feed(["a"]) == b'\xef\xbb\xbfh1,"h,2"\r\na\r\n'
    assert c.feed(["b"]) is None
    assert c.flush() == b"b\r\n"
    assert c.flush() == b""
    c.close()
    assert list(c) == []


def test_close_closes_the_source_generator():
    closed = []

    def source():
        try:
            for i in range(10**6):
                yield [i]
        finally:
            closed.append(True)

    it = writer(chunk_size=100).chunks(source())
    next(it)
    it.close()
    assert closed == [True]
    assert list(it) == []


def test_escape_formulas_guards_text_cells_only():
    w = writer(escape_formulas=True)
    row = ["=SUM(A1)", "+A1", "-x", "@cmd", "\tx", "\rx", "safe", -5, -1.5, Decimal("-2"), ""]
    expected_row = ["'=SUM(A1)", "'+A1", "'-x", "'@cmd", "'\tx", "'\rx", "safe", -5, -1.5]
    expected_row += [Decimal("-2"), ""]
    assert w.writerow(row) == stdlib_rows([expected_row], {})[0][1]
    assert writer(escape_formulas=True, quotechar="'").writerow(["=1"]) == "'''=1'\r\n"


@pytest.mark.slow
def test_fifty_megabyte_field():
    big = "a,b" + "x" * (50 * 1024 * 1024) + '"end'
    assert djfast_rows([[big, 1]], {}) == stdlib_rows([[big, 1]], {})
    body = b"".join(writer().chunks([[big, 1]]))
    assert body == stdlib_rows([[big, 1]], {})[0][1].encode()


def test_types_are_exported():
    assert isinstance(writer(), _djfast.CSVWriter)
    assert isinstance(writer().chunks([]), _djfast.CSVChunks)
    with pytest.raises(TypeError):
        _djfast.CSVChunks()


def test_fast_paths_match_str_for_tricky_values():
    class OddTZ(timezone.__base__):
        def utcoffset(self, dt):
            return timedelta(hours=30)

        def tzname(self, dt):
            return "odd"

    row = [
        datetime(1, 1, 1),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(-timedelta(microseconds=1))),
        time(0, 0, tzinfo=timezone(timedelta(seconds=59))),
        uuid.UUID(int=0),
        uuid.UUID(int=2**128 - 1),
        2**63,
        -(2**63),
        2**63 - 1,
        5e-324,
        float("-inf"),
    ]
    assert djfast_rows([row], {}) == stdlib_rows([row], {})
    bad = [datetime(2020, 1, 1, tzinfo=OddTZ())]
    assert djfast_rows([bad], {}) == stdlib_rows([bad], {})


def test_compat_probe_matches_the_running_csv_module():
    from djfast.csv import COMPAT

    def out(row, **fmtparams):
        return stdlib_rows([row], fmtparams)[0]

    crlf = out(["a\nb"], lineterminator="X") != ("ok", "a\nbX")
    assert bool(COMPAT & _djfast.CSV_COMPAT_CRLF_SPECIAL) == crlf
    space = out(["", "a"], delimiter=" ", skipinitialspace=True) != ("ok", " a\r\n")
    assert bool(COMPAT & _djfast.CSV_COMPAT_QUOTE_EMPTY) == space
    for row, params in [
        (["a\nb", "c\rd"], {"lineterminator": "X"}),
        (["", "a", None], {"delimiter": " ", "skipinitialspace": True}),
        ([None], {"quoting": getattr(csv, "QUOTE_NOTNULL", csv.QUOTE_MINIMAL)}),
    ]:
        assert djfast_rows([row], params) == stdlib_rows([row], params)


def test_compat_flags_switch_on_the_newer_rules():
    dialect = csv.writer(io.StringIO(), lineterminator="X").dialect
    old = _djfast.CSVWriter(dialect)
    new = _djfast.CSVWriter(dialect, compat=_djfast.CSV_COMPAT_CRLF_SPECIAL)
    assert old.writerow(["a\nb"]) == "a\nbX"
    assert new.writerow(["a\nb"]) == '"a\nb"X'
    spaced = csv.writer(io.StringIO(), delimiter=" ", skipinitialspace=True).dialect
    quoting_empty = _djfast.CSVWriter(spaced, compat=_djfast.CSV_COMPAT_QUOTE_EMPTY)
    assert quoting_empty.writerow(["", "a"]) == '"" a\r\n'
    none_dialect = csv.writer(
        io.StringIO(), delimiter=" ", skipinitialspace=True, quoting=csv.QUOTE_NONE, escapechar="\\"
    ).dialect
    with pytest.raises(csv.Error, match="empty field must be quoted if delimiter is a space"):
        _djfast.CSVWriter(none_dialect, compat=_djfast.CSV_COMPAT_QUOTE_EMPTY).writerow(["", "a"])
    with pytest.raises(ValueError, match="compat"):
        _djfast.CSVWriter(dialect, compat=64)


def test_floats_are_written_as_repr_across_magnitudes_and_digit_counts():
    """The short-form float path (<= 15 digits) and the dtoa fallback both give repr()."""
    import random
    import struct

    rnd = random.Random(20240229)
    values = [0.1, 0.2, 0.3, 1e-4, 9.999999999999999e-05, 1e15, 999999999999999.9, 1e14, 0.001]
    values += [1 / 3, 2 / 3, 123456789012345.0, 12345678901234.5, 5e-324, -0.0, 0.0, 1e16]
    for _ in range(20000):
        values.append(round(rnd.uniform(-1e6, 1e6), rnd.randint(0, 9)))
        values.append(rnd.random() * 10 ** rnd.randint(-6, 17))
        values.append(struct.unpack("d", struct.pack("Q", rnd.getrandbits(64)))[0])
        values.append(rnd.randint(-(10**15), 10**15) / 10 ** rnd.randint(0, 19))
    w = writer(lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
    got = [w.writerow([v])[:-1] for v in values]
    assert got == [repr(v) for v in values]
