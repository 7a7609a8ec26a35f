"""Build the djfast._djfast extension against the system's compression and hashing libraries.

Every library is found with pkg-config. A missing one stops the build with a message that
names the package to install, instead of a compiler error about a missing header.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from glob import glob

from setuptools import Extension, setup

# pkg-config name -> (Debian package, Homebrew formula, header that must exist)
LIBRARIES = {
    "zlib": ("zlib1g-dev", "zlib", "zlib.h"),
    "libdeflate": ("libdeflate-dev", "libdeflate", "libdeflate.h"),
    "libzstd": ("libzstd-dev", "zstd", "zstd.h"),
    "libxxhash": ("libxxhash-dev", "xxhash", "xxhash.h"),
    "libisal": ("libisal-dev", "isa-l", "isa-l.h"),
    "libbrotlienc": ("libbrotli-dev", "brotli", "brotli/encode.h"),
}

# The shared-library stem (lib<name>.so.N) of each pkg-config name, where the two differ. A
# repaired wheel must carry every one of them in djfast.libs/ (checked by `make wheel-check`).
_SONAME_STEMS = {"zlib": "libz"}
# Libraries used from their headers only: XXH3 is compiled inline (keys.c), nothing is linked.
_HEADER_ONLY = {"libxxhash"}


def wheel_libraries() -> list[str]:
    """Return the shared-library stems a binary wheel bundles, e.g. ``["libz", "libdeflate"]``."""
    return [_SONAME_STEMS.get(name, name) for name in LIBRARIES if name not in _HEADER_ONLY]


def have_macros() -> list[tuple[str, str]]:
    """Return ``DJF_HAVE_<NAME>`` for each library compiled in (``build_info()`` lists them)."""
    return [
        ("DJF_HAVE_" + "".join(c if c.isalnum() else "_" for c in name).upper(), "1")
        for name in LIBRARIES
    ]


class MissingLibrary(SystemExit):
    pass


def _pkg_config(*args: str) -> list[str]:
    out = subprocess.run(["pkg-config", *args], check=True, capture_output=True, text=True)
    return shlex.split(out.stdout)


def find_libraries() -> tuple[list[str], list[str]]:
    """Return (compile flags, link flags) for every library, or stop the build naming the missing."""
    if shutil.which("pkg-config") is None:
        raise MissingLibrary(
            "djfast: pkg-config is needed to find zlib, libdeflate, libzstd, libxxhash, ISA-L and "
            "brotli.\n"
            "  Debian/Ubuntu: sudo apt-get install pkg-config\n"
            "  macOS:         brew install pkg-config"
        )
    cflags: list[str] = []
    libs: list[str] = []
    missing: list[str] = []
    for name, (deb, brew, _header) in LIBRARIES.items():
        try:
            cflags += _pkg_config("--cflags", name)
            libs += _pkg_config("--libs", name)
        except subprocess.CalledProcessError:
            missing.append(f"{name} (Debian/Ubuntu: {deb}; Homebrew: {brew})")
    if missing:
        debs = " ".join(LIBRARIES[m.split()[0]][0] for m in missing)
        brews = " ".join(LIBRARIES[m.split()[0]][1] for m in missing)
        raise MissingLibrary(
            "djfast: these C libraries were not found by pkg-config:\n  - "
            + "\n  - ".join(missing)
            + f"\nInstall them:\n  Debian/Ubuntu: sudo apt-get install {debs}\n"
            f"  macOS:         brew install {brews}"
        )
    return cflags, libs


def extension() -> Extension:
    cflags, libs = find_libraries()
    sources = sorted(glob("csrc/core/*.c")) + sorted(glob("csrc/py/*.c"))
    extra_compile = [
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
        "-Wno-missing-field-initializers",
        "-fvisibility=hidden",
    ]
    if os.environ.get("DJFAST_DEBUG"):
        extra_compile = [
            "-O0",
            "-g3",
            "-Wall",
            "-Wextra",
            "-Wno-unused-parameter",
            "-Wno-missing-field-initializers",
        ]
    if os.environ.get("DJFAST_WERROR"):
        extra_compile.append("-Werror")
    return Extension(
        "djfast._djfast",
        sources=sources,
        include_dirs=["csrc/core", "csrc/py"] + [f[2:] for f in cflags if f.startswith("-I")],
        extra_compile_args=extra_compile + [f for f in cflags if not f.startswith("-I")],
        extra_link_args=libs,
        define_macros=have_macros(),
        depends=sorted(glob("csrc/core/*.h")) + sorted(glob("csrc/py/*.h")),
    )


if __name__ == "__main__":
    setup(ext_modules=[extension()])
