"""``python -m djfast [--json]``: what to paste into a bug report.

Prints the djfast version and build, each engine with its library version (compiled against and
loaded at run time) and where the library was loaded from (the wheel's ``djfast.libs/`` or the
system), the CPU features in use, and, when run inside a project (``DJANGO_SETTINGS_MODULE`` set),
the effective ``DJFAST`` settings: the defaults merged with the project's, or the problems the
system check would report. ``python -m djfast.bench`` runs the benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import djfast
from djfast import _djfast

# The file name a library is loaded under starts with this (auditwheel adds "-<hash>").
_FILE_STEMS = {"zlib": "libz"}
# Settings whose value a bug report must not show.
_SECRETS = ("CACHE_KEY_SECRET",)


def _loaded_objects() -> list[str]:
    """Paths of the shared objects mapped into this process (Linux; empty elsewhere)."""
    try:
        with open("/proc/self/maps") as maps:
            return sorted({line.split()[-1] for line in maps if ".so" in line.rsplit("/", 1)[-1]})
    except OSError:
        return []


def _loaded_from(name: str, objects: list[str]) -> str | None:
    stem = _FILE_STEMS.get(name, name)
    for path in objects:
        base = os.path.basename(path)
        if base.startswith((f"{stem}.so", f"{stem}-")):
            return path
    return None


def _settings_report() -> dict[str, Any]:
    module = os.environ.get("DJANGO_SETTINGS_MODULE")
    if not module:
        return {"module": None}
    try:
        from django.conf import settings

        user = getattr(settings, "DJFAST", None)
    except Exception as exc:  # the project's settings failed to import: report, don't crash
        return {"module": module, "error": f"{type(exc).__name__}: {exc}"}
    from djfast import conf

    problems = conf.validate(user)
    if problems:
        return {"module": module, "problems": problems}
    effective = conf.merged(user)
    for key in _SECRETS:
        if effective.get(key) is not None:
            effective[key] = f"<set: {len(effective[key])} characters, not shown>"
    return {"module": module, "djfast": effective, "user_set": sorted(user or {})}


def report() -> dict[str, Any]:
    """Everything ``python -m djfast`` prints, as a JSON-serialisable dict."""
    import django

    info = _djfast.build_info()
    objects = _loaded_objects()
    libs_dir = Path(_djfast.__file__).resolve().parent.parent / "djfast.libs"
    libraries = []
    for row in info["libraries"]:
        row = dict(row)
        row["loaded_from"] = (
            _loaded_from(row["name"], objects) if row["linked"] == "shared" else "compiled in"
        )
        libraries.append(row)
    return {
        "djfast": djfast.__version__,
        "django": django.get_version(),
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "platform": f"{platform.system()} {platform.machine()} {' '.join(platform.libc_ver())}",
        "extension": _djfast.__file__,
        "build": "wheel (bundled libraries in djfast.libs/)"
        if libs_dir.is_dir()
        else "source (system libraries)",
        "compiler": info["compiler"],
        "optimized": info["optimized"],
        "python_headers": info["python_headers"],
        "libraries": libraries,
        "cpu": info["cpu"],
        "key_hash": info["key_hash"],
        "settings": _settings_report(),
    }


def format_report(r: dict[str, Any]) -> str:
    lines = [
        f"djfast {r['djfast']}",
        f"  django     {r['django']}",
        f"  python     {r['python']} on {r['platform']}",
        f"  extension  {r['extension']}",
        f"  build      {r['build']}; {r['compiler']}, "
        f"{'optimized' if r['optimized'] else 'NOT optimized (debug build)'}, "
        f"Python {r['python_headers']} headers",
        "engines",
    ]
    for lib in r["libraries"]:
        version = lib["compiled"] or lib["runtime"] or "?"
        if lib["runtime"] and lib["compiled"] and lib["runtime"] != lib["compiled"]:
            version = f"{lib['compiled']} (run time {lib['runtime']})"
        loaded = lib["loaded_from"] or "not loaded"
        lines.append(f"  {lib['name']:<13} {version:<10} {lib['used_for']:<32} {loaded}")
    lines.append("cpu")
    for feature, present in r["cpu"].items():
        lines.append(f"  {feature}: {'yes' if present else 'no'}")
    lines.append(f"  cache keys: {r['key_hash']}")
    s = r["settings"]
    lines.append("settings")
    if s["module"] is None:
        lines.append(
            "  DJANGO_SETTINGS_MODULE is not set: run inside a project to see the effective "
            "DJFAST settings."
        )
    elif "error" in s:
        lines.append(f"  {s['module']}: could not be loaded: {s['error']}")
    elif "problems" in s:
        lines.append(f"  {s['module']}: DJFAST has problems (djfast.E001):")
        lines += [f"    - {p}" for p in s["problems"]]
    else:
        lines.append(
            f"  {s['module']}: DJFAST (defaults, with {', '.join(s['user_set']) or 'nothing'} "
            "set by the project)"
        )
        lines += [f"    {key} = {value!r}" for key, value in s["djfast"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m djfast", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    r = report()
    print(json.dumps(r, indent=2, default=str) if args.json else format_report(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
