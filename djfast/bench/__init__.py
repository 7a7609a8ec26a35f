"""djfast's bundled benchmarks: ``python -m djfast.bench``.

A benchmark group is a module ``djfast.bench.<group>`` (keys, gzip, csv, bulk) with a function
``cases(opts: Options) -> Iterable[Case]``. A Case holds the variants timed side by side in one
run (stock Django, djfast, the raw floor...); the runner interleaves them repeat by repeat,
takes medians and prints ratios against the case's baseline (stock Django).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

GROUPS = ("keys", "gzip", "csv", "bulk")


@dataclass
class Options:
    quick: bool = False
    db: str = "sqlite"
    repeats: int = 7
    min_time: float = 0.2  # seconds per timed repeat of a fast operation


@dataclass
class Variant:
    """One way to do the case's work.

    ``fn`` is called ``number`` times per timed repeat (auto-calibrated when the case's
    ``number`` is None). ``setup`` runs before each timed repeat, untimed (fresh tables...).
    ``info`` is a short text shown in the table (bytes out...); ``check`` runs once before
    timing and may raise if the variant's output is wrong. ``unavailable`` (a reason) marks a
    variant this build cannot run: it is listed as n/a with the reason, never timed.
    """

    label: str
    fn: Callable[[], Any]
    setup: Callable[[], Any] | None = None
    info: str = ""
    check: Callable[[], Any] | None = None
    unavailable: str = ""


@dataclass
class Case:
    group: str
    name: str
    variants: list[Variant]
    baseline: str = "django"  # label of the variant the ratios are measured against
    unit: str = "op"  # "op" (time per call), "MB" (throughput), "rows" (throughput)
    work: float = 1.0  # MB or rows processed by one call (for throughput units)
    number: int | None = None  # calls per timed repeat; None = calibrate
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
