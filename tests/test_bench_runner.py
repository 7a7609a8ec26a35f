"""The benchmark runner: side-by-side medians, ratios against the baseline, table and JSON."""

from __future__ import annotations

import json

import pytest

from djfast.bench import Case, Options, Variant, runner
from djfast.bench.__main__ import parse_args
from djfast.bench.runner import format_table, run_case


class FakeClock:
    """A perf_counter that only moves when a variant 'works': timings are exact, not measured."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def cost(self, seconds: float):
        def fn():
            self.now += seconds

        return fn


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(runner.time, "perf_counter", fake)
    return fake


def test_ratio_is_baseline_time_over_variant_time(clock):
    case = Case(
        "t",
        "spin",
        [Variant("django", clock.cost(0.002)), Variant("djfast", clock.cost(0.0005))],
        number=3,
    )
    rec = run_case(case, Options(repeats=3))
    rows = {r["variant"]: r for r in rec["variants"]}
    assert rows["django"]["speedup_vs_baseline"] == pytest.approx(1.0)
    assert rows["djfast"]["speedup_vs_baseline"] == pytest.approx(4.0)
    assert rows["djfast"]["seconds_per_call"] == pytest.approx(0.0005)
    assert all(r["repeats"] == 3 for r in rec["variants"])


def test_setup_runs_untimed_before_every_repeat_and_check_runs_once():
    calls = {"setup": 0, "check": 0}

    def setup():
        calls["setup"] += 1

    def check():
        calls["check"] += 1

    case = Case("t", "c", [Variant("django", lambda: None, setup=setup, check=check)], number=1)
    run_case(case, Options(repeats=4))
    assert calls == {"setup": 4, "check": 1}


def test_check_failure_stops_the_case():
    def bad():
        raise AssertionError("djfast output differs")

    case = Case("t", "c", [Variant("django", lambda: None, check=bad)], number=1)
    with pytest.raises(AssertionError, match="differs"):
        run_case(case, Options(repeats=1))


def test_calibration_reaches_the_minimum_time(clock):
    case = Case("t", "c", [Variant("django", clock.cost(1e-6))])
    rec = run_case(case, Options(repeats=1, min_time=0.2))
    assert rec["variants"][0]["calls_per_repeat"] * 1e-6 >= 0.2 * 0.9


def test_throughput_units_and_table(clock):
    case = Case(
        "gzip",
        "body",
        [Variant("django", clock.cost(0.5), info="100 B"), Variant("djfast", clock.cost(0.25))],
        unit="MB",
        work=1.0,
        number=2,
    )
    rec = run_case(case, Options(repeats=1))
    assert rec["variants"][0]["MB_per_s"] == pytest.approx(2.0)
    assert rec["variants"][1]["MB_per_s"] == pytest.approx(4.0)
    table = format_table([rec])
    assert "gzip: body" in table and "MB/s" in table and "django *" in table and "100 B" in table
    json.dumps(rec)  # serialisable as written by --json


def test_cli_rejects_unknown_groups(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--only", "gzip,nope"])
    assert "nope" in capsys.readouterr().err
    assert parse_args(["--only", "keys, csv"]).groups == ["keys", "csv"]
