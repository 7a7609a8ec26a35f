"""The LeakSanitizer suppressions used by `make test-asan` cannot hide a leak made by djfast.

LSan drops a leak report when a suppression pattern matches any frame of the allocation stack
(function, source file or module). A leak made by _djfast always has a djfast frame, a CPython
API frame it called (PyBytes_FromStringAndSize, ...) or a libc/compression library allocator
below it, and the interpreter above it; so no pattern may match any of those names.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUPP = ROOT / "tests" / "asan" / "lsan.supp"


def _patterns() -> list[str]:
    out = []
    for line in SUPP.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            kind, _, pattern = line.partition(":")
            assert kind == "leak", line
            out.append(pattern)
    return out


def _as_regex(pattern: str) -> re.Pattern[str]:
    # LSan's TemplateMatch: substring match, '*' any run, '^'/'$' anchors.
    head = "^" if pattern.startswith("^") else ""
    tail = "$" if pattern.endswith("$") else ""
    core = pattern.strip("^$")
    return re.compile(head + ".*".join(re.escape(p) for p in core.split("*")) + tail)


def _djfast_frames() -> set[str]:
    names: set[str] = set()
    for src in sorted((ROOT / "csrc").rglob("*.[ch]")):
        names.add(str(src))
        names.add(src.name)
        # every function defined or called there: djfast's own, CPython's API, libc, the codecs
        names.update(re.findall(r"\b([A-Za-z_]\w*)\s*\(", src.read_text()))
    ext = sysconfig.get_config_var("EXT_SUFFIX")
    names.update({"_djfast" + ext, str(ROOT / "djfast" / ("_djfast" + ext))})
    names.update(
        {os.path.realpath(sys.executable), "python3", sysconfig.get_config_var("LDLIBRARY")}
    )
    names.update({"malloc", "calloc", "realloc", "PyMem_RawMalloc", "_PyObject_Malloc"})
    keywords = {"if", "for", "while", "switch", "return", "sizeof", "defined"}
    return names - keywords


def test_no_suppression_matches_a_djfast_frame() -> None:
    frames = _djfast_frames()
    assert len(frames) > 200  # the scan found the sources
    for pattern in _patterns():
        hits = sorted(f for f in frames if _as_regex(pattern).search(f))
        assert not hits, f"suppression {pattern!r} would hide leaks through {hits[:5]}"


def test_the_matcher_would_catch_a_broad_pattern() -> None:
    frames = _djfast_frames()
    for broad in ("python", "Py*_New", "djf_", "malloc", "deflate", "*"):
        assert any(_as_regex(broad).search(f) for f in frames), broad


@pytest.mark.skipif(
    not os.environ.get("DJFAST_ASAN_PKG") or os.environ.get("DJFAST_ASAN_LEAKS") == "0",
    reason="runs under make test-asan (make test's test-asan-ci runs without leak detection)",
)
def test_leak_detection_is_live_under_make_test_asan() -> None:
    # With the same environment (libasan preloaded, the suppressions file), a block lost by
    # the interpreter process is reported and fails the process.
    code = (
        "import ctypes; libc = ctypes.CDLL(None); libc.malloc.restype = ctypes.c_void_p;"
        "libc.malloc(4242); import djfast._djfast"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0, proc.stderr
    assert "Direct leak of 4242 byte(s)" in proc.stderr, proc.stderr
