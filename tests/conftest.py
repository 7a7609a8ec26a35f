"""Shared fixtures: service detection (skip only when a server is truly absent)."""

from __future__ import annotations

import os
import socket

import pytest
from hypothesis import HealthCheck, settings

# No property test may fail for being slow: CI machines are shared and timings prove nothing
# here (speed is the benchmarks' job). Tests may still set their own max_examples.
settings.register_profile(
    "djfast", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
# `make test-asan` runs every test 5-10x slower: fewer examples per property test there (tests
# that set their own max_examples keep it). The normal suite keeps hypothesis's default.
settings.register_profile("djfast-asan", parent=settings.get_profile("djfast"), max_examples=25)
settings.load_profile("djfast-asan" if os.environ.get("DJFAST_ASAN_PKG") else "djfast")

SERVICES = {
    "postgresql": ("127.0.0.1", 5432, "PostgreSQL"),
    "mysql": ("127.0.0.1", 3306, "MariaDB/MySQL"),
    "redis": ("127.0.0.1", 6379, "Redis"),
    "memcached": ("127.0.0.1", 11211, "memcached"),
}

_reachable: dict[str, bool] = {}


def service_reachable(name: str) -> bool:
    if name not in _reachable:
        host, port, _ = SERVICES[name]
        try:
            with socket.create_connection((host, port), timeout=1.0):
                _reachable[name] = True
        except OSError:
            _reachable[name] = False
    return _reachable[name]


@pytest.fixture(autouse=True, scope="session")
def _restore_close_old_connections():
    """Django's own receiver is connected again when the session ends."""
    yield
    from django.core import signals
    from django.db import close_old_connections

    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _responses_do_not_touch_connections(_restore_close_old_connections):
    """Closing a response sends request_finished, whose close_old_connections handler would touch
    a database connection left open by an earlier test (in a test without database access,
    pytest-django's "Database access not allowed"). Django's test client disconnects that
    handler while it handles a request; tests that close responses by hand get the same.

    Before every test, not once per session: Django's test client connects the handler again
    after each request it serves (and some fixtures here reconnect it on teardown), so a
    session-wide disconnect held only until the first test that used the client, and whether a
    later test met the handler depended on which files ran before it."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_finished.disconnect(close_old_connections)
    yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for name, (host, port, label) in SERVICES.items():
            if item.get_closest_marker(name) and not service_reachable(name):
                item.add_marker(pytest.mark.skip(reason=f"{label} is not running on {host}:{port}"))


def pytest_sessionstart(session: pytest.Session) -> None:
    # `make test-asan` must test the sanitized build, not the in-place one next to the sources.
    pkg = os.environ.get("DJFAST_ASAN_PKG")
    if pkg:
        from djfast import _djfast

        assert os.path.abspath(_djfast.__file__).startswith(pkg), _djfast.__file__


def pytest_report_header(config: pytest.Config) -> str:
    import django

    from djfast import _djfast

    return f"django {django.get_version()}; djfast extension {_djfast.__file__}"
