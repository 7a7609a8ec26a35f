"""``python -m djfast``: the bug-report summary (version, build, engines, CPU, settings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import djfast
from djfast import _djfast
from djfast.__main__ import format_report, report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import setup  # noqa: E402  (the build's library list)

sys.path.remove(str(ROOT))


def _run(*args: str, settings: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = settings
    return subprocess.run(
        [sys.executable, "-m", "djfast", *args], capture_output=True, text=True, env=env, check=True
    )


def test_build_info_has_a_row_for_every_library_the_build_links():
    rows = {row["name"] for row in _djfast.build_info()["libraries"]}
    # brotli's decoder and common parts come with its encoder's row
    expected = {n for n in setup.LIBRARIES if n not in ("libbrotlidec", "libbrotlicommon")}
    assert expected <= rows


def test_zlib_row_is_the_zlib_python_loaded():
    [row] = [r for r in _djfast.build_info()["libraries"] if r["name"] == "zlib"]
    assert row["runtime"] == zlib.ZLIB_RUNTIME_VERSION
    assert row["compiled"] == zlib.ZLIB_VERSION


def test_every_shared_library_is_reported_with_where_it_was_loaded_from():
    for lib in report()["libraries"]:
        if lib["linked"] == "shared":
            assert lib["loaded_from"] and Path(lib["loaded_from"]).exists(), lib


def test_cpu_avx2_agrees_with_the_kernel():
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else None
    if flags is None:
        pytest.skip("no /proc/cpuinfo")
    assert _djfast.build_info()["cpu"]["avx2"] == (" avx2" in flags)


def test_report_outside_a_project_says_how_to_see_settings():
    out = _run().stdout
    assert out.startswith(f"djfast {djfast.__version__}\n")
    assert "DJANGO_SETTINGS_MODULE is not set" in out
    for row in _djfast.build_info()["libraries"]:
        assert row["name"] in out


def test_report_inside_a_project_shows_the_effective_settings_without_secrets(tmp_path):
    (tmp_path / "proj_settings.py").write_text(
        "SECRET_KEY = 'x'\n"
        "DJFAST = {'COMPRESSION': {'GZIP_LEVEL': 9}, 'CACHE_KEY_SECRET': 'hunter2-secret'}\n"
    )
    env_path = f"{tmp_path}{os.pathsep}{ROOT}"
    env = dict(os.environ)
    env.update(PYTHONPATH=env_path, DJANGO_SETTINGS_MODULE="proj_settings")
    out = subprocess.run(
        [sys.executable, "-m", "djfast", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    settings = json.loads(out)["settings"]
    assert settings["djfast"]["COMPRESSION"]["GZIP_LEVEL"] == 9
    assert settings["djfast"]["CSV"] == djfast.conf.DEFAULTS["CSV"]
    assert "hunter2" not in out
    assert settings["user_set"] == ["CACHE_KEY_SECRET", "COMPRESSION"]


def test_report_lists_setting_problems_instead_of_crashing(tmp_path):
    (tmp_path / "bad_settings.py").write_text("DJFAST = {'COMPRESSION': {'GZIP_LEVEL': 99}}\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}")
    env["DJANGO_SETTINGS_MODULE"] = "bad_settings"
    out = subprocess.run(
        [sys.executable, "-m", "djfast"], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "GZIP_LEVEL" in out and "between 1 and 9" in out


def test_format_report_marks_a_debug_build():
    r = report()
    r["optimized"] = False
    assert "NOT optimized" in format_report(r)
