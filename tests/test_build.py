"""The build finds the system libraries with pkg-config and names the package when one is missing."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load_setup_module():
    spec = importlib.util.spec_from_file_location("djfast_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # setup() only runs under __main__
    return module


def test_all_libraries_are_found_here():
    setup = _load_setup_module()
    _cflags, libs = setup.find_libraries()
    for lib in ("-lz", "-ldeflate", "-lzstd", "-lxxhash"):
        assert lib in libs


def test_missing_library_names_the_debian_and_homebrew_packages(monkeypatch, tmp_path):
    setup = _load_setup_module()
    # An empty pkg-config search path: nothing is found, as on a machine without the -dev packages.
    monkeypatch.setenv("PKG_CONFIG_LIBDIR", str(tmp_path))
    monkeypatch.delenv("PKG_CONFIG_PATH", raising=False)
    with pytest.raises(SystemExit) as info:
        setup.find_libraries()
    message = str(info.value)
    for deb in ("zlib1g-dev", "libdeflate-dev", "libzstd-dev", "libxxhash-dev"):
        assert deb in message
    assert "apt-get install" in message and "brew install" in message


def test_only_the_missing_library_is_named(monkeypatch, tmp_path):
    setup = _load_setup_module()
    real = setup._pkg_config

    def fake(*args):
        if args[-1] == "libdeflate":
            raise setup.subprocess.CalledProcessError(1, "pkg-config")
        return real(*args)

    monkeypatch.setattr(setup, "_pkg_config", fake)
    with pytest.raises(SystemExit) as info:
        setup.find_libraries()
    message = str(info.value)
    assert "libdeflate-dev" in message
    assert "libzstd-dev" not in message


def test_the_core_never_includes_python_h():
    for path in (ROOT / "csrc" / "core").glob("*.[ch]"):
        text = path.read_text()
        assert not re.search(r'#\s*include\s*[<"]Python\.h[>"]', text), path
    assert os.path.isdir(ROOT / "csrc" / "py")
