"""escape_formulas: the conservative rule, checked against an oracle written from the rule.

A cell is guarded (a ``'`` is put in front of its text) when, after any leading whitespace
(``str.isspace``) or invisible format characters (Unicode Zs and Cf), it starts with a trigger:
``= + - @``, TAB, CR, or the fullwidth/small forms of ``= + - @``. The rule judges the text that
is written, whatever the value's type; text that is a plain decimal number is never guarded.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from djfast.csv import writer

TRIGGERS = set("=+-@\t\r") | set("\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b")
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def skipped(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Zs", "Cf")


def guarded(text: str) -> bool:
    for ch in text:
        if ch in TRIGGERS:
            return PLAIN_NUMBER.match(text) is None
        if not skipped(ch):
            return False
    return False


def expected(values: list, **fmt) -> str:
    out = io.StringIO()
    texts = ["" if v is None else str(v) for v in values]
    cells = ["'" + t if guarded(t) else v for t, v in zip(texts, values)]
    csv.writer(out, **fmt).writerow(cells)
    return out.getvalue()


def guard(values: list, **fmt) -> str:
    return writer(escape_formulas=True, **fmt).writerow(values)


class FloatLike(float):
    def __str__(self) -> str:
        return "=1+1"


class Indexish:
    def __index__(self) -> int:
        return 3

    def __str__(self) -> str:
        return "@SUM(A1)"


PROBE_CASES = [
    " =1+1",
    "\xa0=1+1",
    "\ufeff=1+1",
    "\u200b=1+1",
    "\uff1d1+1",
    "\uff0b1",
    "\uff0dx",
    "\uff20cmd",
    "\ufe661+1",
    "\n=1+1",
    "\r\n=1+1",
    " \t x",
]


@pytest.mark.parametrize("text", PROBE_CASES)
def test_each_case_the_probe_found_is_guarded(text):
    assert guard([text]) == expected(["'" + text])


@pytest.mark.parametrize("value", [FloatLike(2.0), Indexish()])
def test_non_str_values_whose_text_is_a_formula_are_guarded(value):
    assert guard([value]) == expected(["'" + str(value)])


@pytest.mark.parametrize(
    "value",
    [-5, "-5", -1.5, "-1.5e3", "+3", Decimal("-2"), Decimal("-1E+3"), ".5", "-0", 1e16, -1e-7],
)
def test_plain_numbers_are_never_guarded_whatever_their_type(value):
    assert guard([value]) == expected([value]) == csv_line([value])


@pytest.mark.parametrize("value", [float("-inf"), Decimal("-Infinity"), "-1e", "-.", "--5", "-5 "])
def test_text_that_only_claims_to_be_a_number_is_guarded(value):
    assert guard([value]) == expected(["'" + str(value)])


def csv_line(values: list) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


def test_every_code_point_before_a_trigger_follows_the_rule():
    # Every assigned code point, as the leading character of "<ch>=1": guarded exactly when the
    # rule skips it (or it is itself a trigger); the C table is checked against unicodedata.
    w = writer(escape_formulas=True)
    wrong = []
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if unicodedata.category(ch) in ("Cn", "Cs", "Co"):
            continue
        text = ch + "=1"
        want = guarded(text)
        got = w.writerow([text]) != csv_line([text])
        if got != want:
            wrong.append(hex(cp))
    assert wrong == []


@given(st.lists(st.one_of(st.text(max_size=8), st.integers(), st.floats()), max_size=6))
@settings(max_examples=500)
def test_random_rows_match_the_oracle(values):
    for fmt in ({}, {"quoting": csv.QUOTE_ALL}, {"delimiter": ";"}):
        assert guard(values, **fmt) == expected(values, **fmt)


def test_header_of_streaming_csv_is_guarded_too():
    from djfast.csv import StreamingCSV

    response = StreamingCSV([[" =1"]], header=["\uff1dx"], escape_formulas=True)
    assert (
        b"".join(response.streaming_content)
        == expected(["'\uff1dx"]).encode() + expected(["' =1"]).encode()
    )
