"""``python -m djfast.bench [--quick] [--only gzip,csv,bulk,keys] [--db sqlite|postgresql|mysql]
[--case TEXT] [--json FILE]``: djfast vs stock Django (and the raw floor), side by side in one run."""

from __future__ import annotations

import argparse
import sys

from djfast.bench import GROUPS, Options


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m djfast.bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="fewer repeats and smaller inputs")
    p.add_argument("--only", default=",".join(GROUPS), help=f"comma-separated groups: {GROUPS}")
    p.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql", "mysql"])
    p.add_argument("--repeats", type=int, default=None, help="timed repeats per variant")
    p.add_argument(
        "--case", metavar="TEXT", help="only the cases whose name contains TEXT (e.g. upsert)"
    )
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = p.parse_args(argv)
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        p.error(f"unknown group(s) {unknown}; choose from {', '.join(GROUPS)}")
    args.groups = groups
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    opts = Options(quick=args.quick, db=args.db)
    if args.quick:
        opts.repeats, opts.min_time = 3, 0.05
    if args.repeats:
        opts.repeats = args.repeats
    from djfast.bench.setup import configure

    configure(opts)
    from djfast.bench.runner import run

    run(args.groups, opts, json_path=args.json, match=args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
