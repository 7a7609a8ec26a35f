"""One home per database: everything djfast knows about a vendor lives in ``djfast.db.<vendor>``.

As Django keeps ``django/db/backends/<vendor>/``, each module here holds the write path (how the
bulk API gets rows into a table) and the read path (how an export gets rows out) for one
database. The user-facing APIs (``djfast.bulk``, ``djfast.csv``) ask :func:`backend` for the
module of a connection and never branch on the vendor themselves.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["SUPPORTED", "backend", "supports"]

SUPPORTED = ("postgresql", "sqlite", "mysql")


def supports(connection: Any) -> bool:
    """True when djfast has a vendor module for this connection's database."""
    return connection.vendor in SUPPORTED


def backend(connection: Any) -> ModuleType:
    """The ``djfast.db.<vendor>`` module for ``connection``.

    Raises NotImplementedError for a database djfast has no module for.
    """
    vendor = connection.vendor
    if vendor not in SUPPORTED:
        raise NotImplementedError(f"djfast does not support the {vendor!r} database backend.")
    return importlib.import_module(f"djfast.db.{vendor}")
