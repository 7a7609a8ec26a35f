"""Smoke test of an installed djfast wheel (run by ``make wheel-check``, never from the checkout).

``make wheel-check`` copies this file into a directory away from the checkout, installs the
repaired wheel into a fresh venv there and runs ``pytest -v smoke_wheel.py``. It proves that

- djfast is imported from the venv's site-packages, not from a source tree;
- every library the wheel bundles (``DJFAST_WHEEL_LIBS``) is loaded from ``djfast.libs/`` inside
  the installed wheel, and no dependency of the extension resolves to /usr/lib or /lib;
- every feature works end to end through Django's test client, compared with Django's or the
  stdlib's own output on the same input.

It configures Django itself (no pytest-django, no test settings from the checkout).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import subprocess
import sys
import sysconfig
from decimal import Decimal
from pathlib import Path

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="djfast-wheel-smoke-not-secret",
    ALLOWED_HOSTS=["*"],
    USE_TZ=True,
    ROOT_URLCONF=__name__,
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    INSTALLED_APPS=["djfast", "djfast.bench"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    CACHES={
        "default": {
            "BACKEND": "djfast.cache.backends.LocMemCache",
            "KEY_FUNCTION": "djfast.cache.make_key",
        }
    },
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    MIDDLEWARE=[],
)
django.setup()

import pytest  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse, StreamingHttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

import djfast  # noqa: E402
from djfast import _djfast  # noqa: E402
from djfast.bench.models import BenchRow, recreate_table  # noqa: E402
from djfast.bulk import BulkInserter  # noqa: E402
from djfast.csv import StreamingCSV  # noqa: E402
from djfast.decorators import gzip_page  # noqa: E402

BODY = ("<p>djfast wheel smoke test: the same text again and again.</p>\n" * 400).encode()
CSV_ROWS = [["id", "name", "price"], [1, 'quote "me", please', Decimal("9.99")], [2, None, 1.5]]


def page(request):
    return HttpResponse(BODY, content_type="text/html")


def stream(request):
    return StreamingHttpResponse(iter([BODY[:5000], BODY[5000:]]), content_type="text/html")


def export(request):
    return StreamingCSV(iter(CSV_ROWS[1:]), header=CSV_ROWS[0], filename="report.csv")


urlpatterns = [
    path("page", page),
    path("stream", stream),
    path("decorated", gzip_page(page)),
    path("export", export),
]

SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"]).resolve()
LIBS_DIR = SITE_PACKAGES / "djfast.libs"
EXTENSION = Path(_djfast.__file__).resolve()
# Libraries a manylinux host provides (glibc and the loader); everything else must be bundled.
HOST_LIBS = re.compile(r"^(linux-vdso|linux-gate|ld-linux|libc|libm|libdl|libpthread|librt)\b")


def _ldd() -> dict[str, str]:
    """Map each NEEDED soname of the installed extension to the file ldd resolves it to."""
    out = subprocess.run(["ldd", str(EXTENSION)], check=True, capture_output=True, text=True)
    resolved = {}
    for line in out.stdout.splitlines():
        name, _, rest = line.strip().partition(" => ")
        if rest:
            resolved[name] = rest.split(" (")[0]
        else:
            resolved[name.split(" (")[0]] = name.split(" (")[0]
    return resolved


def _loaded_objects() -> list[str]:
    """Paths of the shared objects mapped into this process (djfast is imported)."""
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps if ".so" in line.split()[-1]})


def test_djfast_is_imported_from_the_installed_wheel():
    assert Path(djfast.__file__).resolve().is_relative_to(SITE_PACKAGES), djfast.__file__
    assert EXTENSION.is_relative_to(SITE_PACKAGES)
    assert not (Path.cwd() / "djfast").exists(), "run from a directory away from the checkout"


@pytest.mark.parametrize(
    "stem", os.environ.get("DJFAST_WHEEL_LIBS", "").split() or ["<DJFAST_WHEEL_LIBS is not set>"]
)
def test_bundled_library_resolves_inside_the_wheel(stem):
    in_wheel = sorted(p.name for p in LIBS_DIR.glob(f"{stem}-*.so*"))
    assert in_wheel, f"{stem} is not bundled in {LIBS_DIR}"
    resolved = _ldd()
    [(soname, target)] = [(n, t) for n, t in resolved.items() if n.startswith(f"{stem}-")]
    assert Path(target).resolve().parent == LIBS_DIR.resolve(), (soname, target)
    mapped = [p for p in _loaded_objects() if Path(p).name.startswith(f"{stem}-")]
    assert mapped and all(Path(p).resolve().parent == LIBS_DIR.resolve() for p in mapped), mapped


def test_no_dependency_of_the_extension_resolves_outside_the_wheel():
    assert os.environ.get("DJFAST_WHEEL_LIBS"), "make wheel-check passes the bundled library list"
    outside = {
        name: target
        for name, target in _ldd().items()
        if not HOST_LIBS.match(Path(name).name)
        and not Path(target).resolve().is_relative_to(LIBS_DIR)
    }
    assert outside == {}


def test_version_is_the_package_metadata_version():
    from importlib.metadata import version

    assert djfast.__version__ == version("djfast")


def test_python_m_djfast_reports_the_bundled_libraries():
    import json

    run = [sys.executable, "-m", "djfast"]
    out = subprocess.run(run, check=True, capture_output=True, text=True).stdout
    assert out.startswith(f"djfast {djfast.__version__}\n")
    r = json.loads(subprocess.run([*run, "--json"], check=True, capture_output=True).stdout)
    assert r["build"].startswith("wheel")
    shared = [lib for lib in r["libraries"] if lib["linked"] == "shared"]
    assert shared
    for lib in shared:
        assert Path(lib["loaded_from"]).resolve().parent == LIBS_DIR.resolve(), lib


def test_gzip_middleware_compresses_a_page():
    with override_settings(MIDDLEWARE=["djfast.middleware.GZipMiddleware"]):
        response = Client().get("/page", headers={"accept-encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == BODY


def test_gzip_middleware_compresses_a_stream_as_one_member():
    with override_settings(MIDDLEWARE=["djfast.middleware.GZipMiddleware"]):
        response = Client().get("/stream", headers={"accept-encoding": "gzip"})
    data = b"".join(response.streaming_content)
    assert gzip.decompress(data) == BODY


def test_gzip_page_decorator():
    response = Client().get("/decorated", headers={"accept-encoding": "gzip"})
    assert gzip.decompress(response.content) == BODY


def test_compression_middleware_negotiates_zstd():
    zstandard = pytest.importorskip("zstandard")
    with override_settings(MIDDLEWARE=["djfast.middleware.CompressionMiddleware"]):
        response = Client().get("/page", headers={"accept-encoding": "gzip, zstd"})
    assert response["Content-Encoding"] == "zstd"
    assert zstandard.ZstdDecompressor().decompressobj().decompress(response.content) == BODY


def test_streaming_csv_matches_the_csv_module():
    response = Client().get("/export")
    expected = io.StringIO()
    csv.writer(expected).writerows(CSV_ROWS)
    assert b"".join(response.streaming_content).decode() == expected.getvalue()
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'


@pytest.fixture
def bench_table():
    recreate_table(BenchRow)
    yield BenchRow
    BenchRow.objects.all().delete()


def test_bulk_inserter_writes_the_rows_bulk_create_writes(bench_table):
    import datetime as dt

    fields = ["number", "title", "ratio", "price", "day", "stamp", "note", "active"]
    stamp = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    rows = [
        (i, f"row {i}", i / 3, Decimal(f"{i}.25"), dt.date(2024, 1, 1 + i), stamp, None, i % 2 == 0)
        for i in range(20)
    ]
    with BulkInserter(BenchRow, fields=fields, batch_size=7) as ins:
        for row in rows:
            ins.add(row)
    ours = list(BenchRow.objects.order_by("number").values_list(*fields))
    BenchRow.objects.all().delete()
    BenchRow.objects.bulk_create([BenchRow(**dict(zip(fields, row))) for row in rows])
    theirs = list(BenchRow.objects.order_by("number").values_list(*fields))
    assert ins.count == 20
    assert ours == theirs


def test_cache_make_key_keeps_short_keys_and_hashes_long_ones():
    from django.core.cache.backends.base import default_key_func

    from djfast.cache import make_key

    assert make_key("short", "", 1) == default_key_func("short", "", 1)
    assert re.fullmatch(r":1:h:[0-9a-f]{32}", make_key("x" * 300, "", 1))
    cache.set("x" * 300, "value")
    assert cache.get("x" * 300) == "value"


def test_cache_template_tag_and_fragment_invalidation():
    from djfast.cache import make_template_fragment_key

    template = engines["django"].from_string(
        "{% load djfast_cache %}{% cache 60 box who %}hello {{ who }}{% endcache %}"
    )
    assert template.render({"who": "a"}) == "hello a"
    assert cache.get(make_template_fragment_key("box", ["a"])) == "hello a"
    cache.delete(make_template_fragment_key("box", ["a"]))
    assert cache.get(make_template_fragment_key("box", ["a"])) is None


def test_conditional_get_middleware_etag_and_304():
    with override_settings(MIDDLEWARE=["djfast.middleware.ConditionalGetMiddleware"]):
        first = Client().get("/page")
        again = Client().get("/page", headers={"if-none-match": first["ETag"]})
    assert re.fullmatch(r'"[0-9a-f]{32}"', first["ETag"])
    assert again.status_code == 304


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")
