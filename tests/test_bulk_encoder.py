"""The C encoder behind BulkInserter (djfast._djfast.BulkEncoder), without a database:
argument checking, defaults, COPY text escaping, error notes, and no leaks."""

from __future__ import annotations

import datetime
import subprocess
import sys
import textwrap
import uuid
from decimal import Decimal

import pytest

from djfast import _djfast
from djfast.bulk import (
    K_BOOL,
    K_BYTES,
    K_DATE,
    K_DATETIME,
    K_DECIMAL,
    K_FLOAT,
    K_INT,
    K_OTHER,
    K_STR,
    K_TIME,
    K_UUID,
    MISSING,
)

PG, SQLITE, MYSQL = 0, 1, 2


def encoder(backend, kinds, *, src=None, dcall=None, defaults=None, fallbacks=None, nuser=None):
    n = len(kinds)
    return _djfast.BulkEncoder(
        backend,
        tuple(kinds),
        tuple(src if src is not None else range(n)),
        tuple(dcall or [0] * n),
        tuple(defaults or [None] * n),
        tuple(fallbacks or [repr] * n),
        tuple(f"f{i}" for i in range(n)),
        MISSING,
        n if nuser is None else nuser,
        True,
        True,
    )


def copy_escape(s: str) -> str:
    """PostgreSQL's documented COPY text escaping (the oracle for these tests)."""
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def test_constructor_refuses_inconsistent_descriptions():
    with pytest.raises(ValueError):
        encoder(7, [K_INT])
    with pytest.raises(ValueError):
        encoder(PG, [K_INT], src=[5])
    with pytest.raises(ValueError):
        encoder(PG, [99])
    with pytest.raises(TypeError):
        encoder(PG, [K_INT], fallbacks=[None])
    with pytest.raises(TypeError):
        encoder(PG, [K_INT], dcall=[1], defaults=[42])
    with pytest.raises(ValueError):
        _djfast.BulkEncoder(PG, (), (), (), (), (), (), MISSING, 0, True, True)


@pytest.mark.parametrize("s", ["", "a\tb", "x\ny\r", "\\N", "\\", "ü日🎉", "'\"", "\x01\x7f"])
def test_pg_copy_escapes_text_as_postgresql_documents(s):
    enc = encoder(PG, [K_STR, K_INT])
    out = enc.pg_copy([(s, 1)], 0, bytes)
    assert out == (copy_escape(s) + "\t1\n").encode()


def test_pg_copy_formats_fast_values():
    enc = encoder(
        PG, [K_INT, K_FLOAT, K_DECIMAL, K_BOOL, K_DATE, K_DATETIME, K_TIME, K_UUID, K_BYTES]
    )
    u = uuid.UUID(int=0x0123456789ABCDEF0123456789ABCDEF)
    paris = datetime.timezone(datetime.timedelta(hours=2))
    row = (
        -(2**63),
        0.1,
        Decimal("-1.50"),
        True,
        datetime.date(7, 1, 2),
        datetime.datetime(2024, 1, 1, 1, 0, 0, 5, tzinfo=paris),
        datetime.time(1, 2, 3),
        u,
        b"\x00\\",
    )
    out = enc.pg_copy([row, (None,) * 9], 0, bytes)
    want = [
        str(-(2**63)),
        repr(0.1),
        "-1.50",
        "t",
        "0007-01-02",
        "2023-12-31 23:00:00.000005+00",
        "01:02:03",
        str(u),
        "\\\\x005c",
    ]
    assert out == ("\t".join(want) + "\n" + "\t".join(["\\N"] * 9) + "\n").encode()


def test_sqlite_params_are_what_django_passes():
    enc = encoder(SQLITE, [K_INT, K_STR, K_DATE, K_DATETIME, K_TIME, K_UUID, K_DECIMAL, K_BOOL])
    u = uuid.uuid4()
    d = Decimal("3.14")
    dt = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    row = (5, "s", datetime.date(2024, 1, 2), dt, datetime.time(4, 5, 6, 7), u, d, False)
    (params,) = enc.sqlite_params([row], 0)
    # Django hands sqlite3 the Decimal and the adapter it registers binds str(value)
    assert params == (
        5,
        "s",
        "2024-01-02",
        "2024-05-06 07:08:09",
        "04:05:06.000007",
        u.hex,
        str(d),
        False,
    )


def test_mysql_statements_split_and_use_driver_literals():
    enc = encoder(MYSQL, [K_INT, K_STR, K_FLOAT, K_DECIMAL, K_TIME])
    lits = []

    def string_literal(s):
        lits.append(s)
        return b"'" + s.encode().replace(b"'", b"''") + b"'"

    rows = [(i, f"it's {i}", 1.5, Decimal("1E+2"), datetime.time(1, 2)) for i in range(10)]
    out = enc.mysql_statements(rows, 0, b"INSERT INTO t VALUES ", 120, string_literal, repr)
    assert len(out) > 1
    assert all(s.startswith(b"INSERT INTO t VALUES (") for s in out)
    assert b"(0,'it''s 0',1.5e0,100,'01:02:00.000000')" in out[0]
    assert lits == [f"it's {i}" for i in range(10)]


def test_defaults_missing_values_and_tail_columns():
    calls = []

    def make():
        calls.append(1)
        return len(calls)

    enc = encoder(
        SQLITE,
        [K_INT, K_STR, K_INT],
        src=[0, 1, -1],
        dcall=[0, 0, 1],
        defaults=[None, "dflt", make],
        nuser=2,
    )
    params = enc.sqlite_params([(1, "x"), (2, MISSING), [3, "full", 99]], 0)
    assert params == [(1, "x", 1), (2, "dflt", 2), (3, "full", 99)]
    assert len(calls) == 2  # the list row (an instance's values) takes no defaults


def test_fallback_is_used_for_other_types_and_errors_get_a_note():
    def prep(value):
        if value == "bad":
            raise ValueError("no good")
        return f"<{value}>"

    enc = encoder(SQLITE, [K_OTHER, K_INT], fallbacks=[prep, prep])
    assert enc.sqlite_params([(1.5, "7")], 0) == [("<1.5>", "<7>")]
    with pytest.raises(ValueError, match="no good") as info:
        enc.sqlite_params([(1, 2), (3, "bad")], 40)
    assert info.value.__notes__ == ["djfast.bulk: row 41 (counting from 0), field 'f1'"]


def test_pg_copy_refuses_nul_naming_row_and_field():
    enc = encoder(PG, [K_INT, K_STR])
    with pytest.raises(ValueError, match=r"row 12 \(counting from 0\), field 'f1'.*NUL"):
        enc.pg_copy([(1, "ok"), (2, "a\x00b")], 11, bytes)
    with pytest.raises(ValueError, match="NUL"):
        encoder(PG, [K_OTHER]).pg_copy([("x",)], 0, lambda v: b"a\x00")


def test_bad_rows_are_refused_by_shape():
    enc = encoder(PG, [K_INT, K_INT])
    with pytest.raises(ValueError, match=r"row 3 .* has 1 value; expected 2"):
        enc.pg_copy([(1, 2), (1,)], 2, bytes)
    with pytest.raises(ValueError, match=r"row 0 .* has 3 values; expected 2"):
        enc.pg_copy([(1, 2, 3)], 0, bytes)
    with pytest.raises(TypeError, match="is a dict, not a tuple or list"):
        enc.sqlite_params([{"a": 1}], 0)
    # a list with one value per column is accepted; the message for a wrong one names its length
    assert enc.pg_copy([[1, 2]], 0, bytes) == enc.pg_copy([(1, 2)], 0, bytes)
    with pytest.raises(ValueError, match=r"row 0 .* is a list of 1 value; expected 2"):
        enc.pg_copy([[1]], 0, bytes)
    with pytest.raises(ValueError, match=r"row 0 .* is a list of 3 values; expected 2"):
        enc.pg_copy([[1, 2, 3]], 0, bytes)
    with pytest.raises(TypeError):
        enc.pg_copy("not a list", 0, bytes)


@pytest.mark.slow
def test_encoders_do_not_leak():
    script = textwrap.dedent(
        """
        import datetime, resource, uuid
        from decimal import Decimal
        from djfast import _djfast
        from djfast.bulk import MISSING
        kinds = tuple(range(11))
        def make(backend):
            return _djfast.BulkEncoder(backend, kinds, tuple(range(11)), (0,) * 11, (None,) * 11,
                                       (str,) * 11, tuple("abcdefghijk"), MISSING, 11, True, True)
        tz = datetime.timezone(datetime.timedelta(hours=3))
        row = ([1], 5, 1.5, Decimal("2.5"), True, "t\\tx", datetime.date(2020, 1, 1),
               datetime.datetime(2020, 1, 1, tzinfo=tz), datetime.time(1), uuid.uuid4(), b"x")
        bad = (object(),) * 10 + ("a\\x00",)
        rows = [row] * 200
        # column 0 (a list value) has no binary type: use text there (code 7 = TEXT via str)
        types = (7, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
        def run():
            for backend in (0, 1, 2):
                e = make(backend)
                if backend == 0:
                    e.pg_copy(rows, 0, lambda v: str(v).encode())
                elif backend == 1:
                    e.sqlite_params(rows, 0)
                else:
                    e.mysql_statements(rows, 0, b"I ", 1000, lambda s: b"'x'", lambda v: b"1")
                try:
                    e.pg_copy([bad], 0, lambda v: str(v).encode())
                except ValueError:
                    pass
            # binary COPY: whole batch, a stop at a value without binary form, an error
            b = make(0)
            odd = list(row)
            odd[8] = datetime.time(1, tzinfo=tz)
            b.pg_copy_binary(rows, 0, types)
            b.pg_copy_binary(rows[:5] + [tuple(odd)] + rows[:5], 0, types)
            try:
                b.pg_copy_binary([row[:5] + ("a\\x00",) + row[6:]], 0, types)
            except ValueError:
                pass
        for _ in range(200):
            run()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for _ in range(2000):
            run()
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(grown)
        assert grown < 20000, grown
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=600)
