"""``auditwheel repair`` that also grafts zlib into the wheel (run by ``make wheel``).

manylinux policies list ``libz.so.1`` among the libraries every host provides, so plain
``auditwheel repair`` leaves djfast's stream engine on whatever zlib the host has. Some
distributions ship zlib-ng's compat build as ``libz.so.1``: different compressed bytes, different
speed than the engine djfast was tested and measured with. This wrapper removes zlib from the
policies' allow-lists for the run, so it is copied into ``djfast.libs/`` (under a hashed name, as
auditwheel does for every grafted library) with the other engines.

Usage: ``python tools/repair_wheel.py -w dist build/wheel/raw/djfast-*.whl`` (auditwheel's own
``repair`` options).
"""

from __future__ import annotations

import sys

from auditwheel import policy
from auditwheel.main import main

# Host libraries the policies allow that djfast nevertheless carries itself.
GRAFT_ANYWAY = frozenset({"libz.so.1"})


def _install_policy_hook() -> None:
    original = getattr(policy, "_fixup_musl_libc_soname", None)
    if original is None:
        sys.exit(
            "tools/repair_wheel.py: this auditwheel has no policy._fixup_musl_libc_soname; "
            "pin auditwheel>=6,<7 in the Makefile's tools venv or update this hook."
        )

    def allow_list(libc, arch, whitelist):  # type: ignore[no-untyped-def]
        return original(libc, arch, [soname for soname in whitelist if soname not in GRAFT_ANYWAY])

    policy._fixup_musl_libc_soname = allow_list


if __name__ == "__main__":
    _install_policy_hook()
    sys.argv = ["auditwheel", "repair", *sys.argv[1:]]
    sys.exit(main())
