"""Only the runner's engine cases (djfast/bench/gzip_engines.py), with more repeats: the unique
112 KB and 2 KB bodies, one-row-chunk streaming and "plain Python after", side by side with
Django's GZipMiddleware as in ``python -m djfast.bench --only gzip``.

    .venv/bin/python benchmarks/engine_cases.py [--repeats N] [--rows-mb MB] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--rows-mb", type=float, default=10.0, help="size of the CSV stream")
    p.add_argument("--json", metavar="FILE")
    args = p.parse_args(argv)

    from djfast.bench import Options
    from djfast.bench.setup import configure

    opts = Options(repeats=args.repeats)
    configure(opts)
    from djfast.bench import gzip as gzip_group
    from djfast.bench import gzip_engines
    from djfast.bench.runner import format_table, run_case

    html = gzip_group._html_page(330)
    rows = gzip_group._csv_rows(int(args.rows_mb * 1e6))
    records = []
    for case in gzip_engines.cases(html, rows):
        print(f"{case.group}: {case.name}", file=sys.stderr, flush=True)
        records.append(run_case(case, opts))
    print(format_table(records))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(records, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
