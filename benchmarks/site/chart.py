"""The SVG chart of a bench-e2e run, in plain Python: djfast req/s over stock Django's, per case."""

from __future__ import annotations

from html import escape
from typing import Any

COLOURS = ["#2f6fb0", "#d9822b", "#3c9a5f", "#9b59b6", "#c0392b"]
LEFT, BAR_W, ROW_H, TOP = 300, 430, 18, 60


def rate(rps: float) -> str:
    return f"{rps:,.0f}" if rps >= 10 else f"{rps:.2g}"


def svg(records: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    configs = [c for c in dict.fromkeys(r["config"] for r in records) if c != "django"]
    # (server, label, stock Django's record, the other configs' records)
    rows: list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]] = []
    for r in records:
        if r["config"] == "django":
            rows.append((r["server"], f"{r['label']} · {r['client']}", r, []))
        elif rows:
            rows[-1][3].append(r)
    scale_max = max([2.0] + [r["ratio"] or 0 for r in records]) * 1.05
    parts: list[str] = []
    y = TOP
    server = None
    for srv, label, base, recs in rows:
        if srv != server:
            server = srv
            y += 8
            parts.append(
                f'<text x="10" y="{y + 12}" font-weight="bold">{escape(srv)} workers</text>'
            )
            y += 22
        parts.append(f'<text x="{LEFT - 8}" y="{y + 12}" text-anchor="end">{escape(label)}</text>')
        for rec in recs:
            ratio = rec["ratio"] or 0
            colour = COLOURS[configs.index(rec["config"]) % len(COLOURS)]
            w = BAR_W * ratio / scale_max
            parts.append(
                f'<rect x="{LEFT}" y="{y + 2}" width="{w:.1f}" height="{ROW_H - 4}" fill="{colour}">'
                f"<title>{escape(rec['config'])}: {rec['rps']:,.1f} req/s</title></rect>"
            )
            note = (
                f"{ratio:.2f}x  {rate(rec['rps'])} req/s, {rec['encoding']} {rec['bytes']:,} B "
                f"(Django {rate(base.get('rps', 0))} req/s, {base.get('encoding', '?')} "
                f"{base.get('bytes', 0):,} B)"
            )
            if rec["errors"]:
                note += f", {rec['errors']} errors"
            parts.append(f'<text x="{LEFT + w + 4:.1f}" y="{y + 12}">{escape(note)}</text>')
            y += ROW_H
        if not recs:
            y += ROW_H
        y += 4
    height = y + 30
    one = LEFT + BAR_W / scale_max
    grid = [
        f'<line x1="{one:.1f}" y1="{TOP}" x2="{one:.1f}" y2="{y}" stroke="#444" stroke-dasharray="4 3"/>',
        f'<text x="{one:.1f}" y="{TOP - 4}" text-anchor="middle">Django = 1x</text>',
    ]
    for t in range(2, int(scale_max) + 1):
        x = LEFT + BAR_W * t / scale_max
        grid.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{y}" stroke="#ddd"/>')
        grid.append(f'<text x="{x:.1f}" y="{TOP - 4}" text-anchor="middle">{t}x</text>')
    legend = []
    for i, c in enumerate(configs):
        x = 10 + 140 * i
        legend.append(
            f'<rect x="{x}" y="{height - 20}" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>'
        )
        legend.append(f'<text x="{x + 16}" y="{height - 10}">{escape(c)} / Django req/s</text>')
    title = (
        f"make bench-e2e: req/s relative to stock Django (gunicorn + wrk on 127.0.0.1, "
        f"{meta['seconds_per_run']:g} s x {meta['repeats']} runs, median)"
    )
    width = LEFT + BAR_W + 480
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="sans-serif" font-size="11">',
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="10" y="20" font-size="13" font-weight="bold">{escape(title)}</text>',
            f'<text x="10" y="36">{escape("started " + meta["started_utc"] + ", load average " + format(meta["loadavg_before"][0], ".1f") + " on " + str(meta["cpus"]) + " CPUs")}</text>',
            *grid,
            *parts,
            *legend,
            "</svg>\n",
        ]
    )
