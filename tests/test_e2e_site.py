"""The bench-e2e site (benchmarks/site) in Django's test client, so it cannot rot.

Every endpoint is requested in both configurations (stock Django, djfast) by gzip, zstd and
identity clients; each body is decoded and must equal the stock configuration's identity body.
The CSV export is also compared with csv.writer over the loaded rows, and the bulk POST with the
rows bulk_create writes. The drivers' pure parts (body decoding, table, SVG chart) are checked too.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import re
import sys
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
import zstandard
from django.core.cache import cache
from django.test import Client, override_settings

SITE = Path(__file__).resolve().parents[1] / "benchmarks" / "site"
if str(SITE) not in sys.path:
    sys.path.insert(0, str(SITE))

import bench_e2e  # noqa: E402
import chart  # noqa: E402
import harness  # noqa: E402
import perreq  # noqa: E402

ROWS = 600  # orders loaded (the page shows 385 of them)
BROWSER = "gzip, deflate, br, zstd"
CLIENTS = {"gzip": "gzip", "zstd": BROWSER, "identity": "identity"}
ENDPOINTS = [
    "/cached/",
    "/unique/",
    "/api/big/",
    "/api/small/",
    "/export.csv",
    "/export.csv?rows=7",
]
REQUEST_ID = re.compile(rb'<meta name="request-id" content="[^"]*">')


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """The site's tables in the test database, with ROWS orders loaded."""
    from django.db import connection
    from e2esite import data, views
    from e2esite.models import FIELDS, Order, Upload

    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            editor.create_model(Order)
            editor.create_model(Upload)
        Order.objects.bulk_create(Order(**dict(zip(FIELDS, r))) for r in data.make_rows(ROWS))
        views._page_parts.cache_clear()
        yield
        views._page_parts.cache_clear()
        with connection.schema_editor() as editor:
            editor.delete_model(Upload)
            editor.delete_model(Order)


def configured(config: str):
    from e2esite import settings as site_settings

    return override_settings(
        ROOT_URLCONF="e2esite.urls",
        MIDDLEWARE=site_settings.MIDDLEWARE_BY_CONFIG[config, "compression"],
        E2E_CONFIG=config,
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(SITE / "e2esite" / "templates")],
            }
        ],
    )


def get(config: str, path: str, accept_encoding: str):
    cache.clear()
    with configured(config):
        response = Client().get(path, HTTP_ACCEPT_ENCODING=accept_encoding)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def decoded(response, body: bytes) -> bytes:
    encoding = response.get("Content-Encoding", "")
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "zstd":
        return (
            zstandard.ZstdDecompressor()
            .stream_reader(io.BytesIO(body), read_across_frames=True)
            .read()
        )
    assert encoding == "", encoding
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_decodes_to_the_stock_identity_body_in_both_configs(site, path):
    ref_response, ref = get("django", path, "identity")
    assert ref_response.status_code == 200
    ref = REQUEST_ID.sub(b"", ref)
    for config in ("django", "djfast"):
        for client, accept in CLIENTS.items():
            response, body = get(config, path, accept)
            assert response.status_code == 200, (config, client)
            assert REQUEST_ID.sub(b"", decoded(response, body)) == ref, (config, client)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("config", "accept", "expected"),
    [
        ("django", "gzip", "gzip"),
        ("django", BROWSER, "gzip"),
        ("django", "identity", None),
        ("djfast", "gzip", "gzip"),
        ("djfast", BROWSER, "zstd"),
        ("djfast", "identity", None),
    ],
)
def test_each_config_negotiates_its_own_coding(site, config, accept, expected):
    for path in ("/cached/", "/unique/", "/api/big/", "/api/small/", "/export.csv"):
        response, _ = get(config, path, accept)
        assert response.get("Content-Encoding") == expected, path


@pytest.mark.django_db
def test_bodies_have_the_sizes_the_benchmark_names(site):
    sizes = {path: len(get("django", path, "identity")[1]) for path in ENDPOINTS[:4]}
    assert 110_000 <= sizes["/cached/"] <= 118_000  # "112 KB"
    assert abs(sizes["/unique/"] - sizes["/cached/"]) < 100
    assert 990_000 <= sizes["/api/big/"] <= 1_010_000  # "1 MB"
    assert 1_700 <= sizes["/api/small/"] <= 2_300  # "2 KB"


@pytest.mark.django_db
def test_unique_page_differs_on_every_request_only_in_its_request_id(site):
    bodies = [get(config, "/unique/", "identity")[1] for config in ("django", "djfast", "djfast")]
    assert len(set(bodies)) == 3
    assert len({REQUEST_ID.sub(b"", b) for b in bodies}) == 1
    cached = get("django", "/cached/", "identity")[1]
    assert REQUEST_ID.sub(b"", cached) == REQUEST_ID.sub(b"", bodies[0])


@pytest.mark.django_db
@pytest.mark.parametrize("config", ["django", "djfast"])
def test_csv_export_is_csv_writer_of_the_rows(site, config):
    from e2esite import data
    from e2esite.models import FIELDS

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(FIELDS)
    w.writerows(data.make_rows(ROWS))
    response, body = get(config, "/export.csv", "identity")
    assert body == buf.getvalue().encode()
    assert response["Content-Disposition"] == 'attachment; filename="orders.csv"'
    assert response["Content-Type"].startswith("text/csv")


@pytest.mark.django_db
def test_bulk_post_writes_the_rows_bulk_create_writes(site):
    from e2esite import data
    from e2esite.models import FIELDS, Upload

    rows = data.make_rows(40, seed=5)
    payload = data.bulk_payload(rows)
    tables = {}
    for config in ("django", "djfast"):
        Upload.objects.all().delete()
        with configured(config):
            response = Client().post("/bulk/", payload, content_type="application/json")
        assert response.status_code == 200
        assert json.loads(response.content) == {"inserted": len(rows)}
        tables[config] = list(Upload.objects.order_by("id").values_list(*FIELDS))
    assert tables["djfast"] == tables["django"]
    assert tables["django"] == [tuple(r) for r in rows]


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [b"not json", b'{"rows": [[1, 2]]}', b'{"other": []}'])
def test_bulk_post_refuses_a_bad_payload(site, payload):
    from e2esite.models import Upload

    for config in ("django", "djfast"):
        with configured(config):
            response = Client().post("/bulk/", payload, content_type="application/json")
        assert response.status_code == 400
    assert not Upload.objects.exists()


def test_driver_decode_checks_one_gzip_member_and_zstd():
    body = b"<p>hello</p>" * 100
    assert harness.decode(gzip.compress(body), "gzip") == body
    assert harness.decode(zstandard.ZstdCompressor().compress(body), "zstd") == body
    assert harness.decode(body, "") == body
    with pytest.raises(ValueError, match="one complete member"):
        harness.decode(gzip.compress(body) + gzip.compress(body), "gzip")
    with pytest.raises(ValueError, match="one complete member"):
        harness.decode(gzip.compress(body)[:-8], "gzip")
    with pytest.raises(ValueError, match="unknown"):
        harness.decode(zlib.compress(body), "deflate")


def fake_records():
    records = []
    for ep, scale in (("cached", 1.0), ("csv", 0.1)):
        for config, rps in (
            ("django", 400.0 * scale),
            ("djfast", 1700.0 * scale),
            ("isal", 2500.0 * scale),
        ):
            records.append(
                {
                    "server": "gthread",
                    "endpoint": ep,
                    "label": bench_e2e.ENDPOINTS[ep][1],
                    "client": "gzip",
                    "config": config,
                    "encoding": "gzip",
                    "bytes": 15862,
                    "rps": rps,
                    "ratio": rps / (400.0 * scale),
                    "p50_ms": 2.5,
                    "p99_ms": 9.0,
                    "errors": 0 if config != "isal" else 3,
                }
            )
    return records


def test_driver_table_and_svg_chart_render():
    records = fake_records()
    table = bench_e2e.format_table(records)
    assert "4.25x" in table and "6.25x" in table
    meta = {
        "seconds_per_run": 5,
        "repeats": 3,
        "started_utc": "x",
        "loadavg_before": (1.0,),
        "cpus": 2,
    }
    svg = chart.svg(records, meta)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag.endswith("svg")
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert "4.25x" in texts and "3 errors" in texts and "isal / Django req/s" in texts
    # each bar names its own case's Django rate
    assert texts.count("(Django 400 req/s") == 2 and texts.count("(Django 40 req/s") == 2


class Truncate:
    """A middleware that drops the body's last byte (perreq.check must catch it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.content = response.content[:-1]
        return response


@contextlib.contextmanager
def wsgi_requests_in_a_test():
    """A WSGIHandler in a test transaction: keep request_started from closing the test's
    connection, as django.test.Client does."""
    from django.core.signals import request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)


@pytest.mark.django_db
def test_perreq_checks_and_times_every_stack_and_client(site):
    cache.clear()
    with configured("djfast"), wsgi_requests_in_a_test():
        handlers = perreq.handlers_for(perreq.STACKS)
        perreq.check(handlers, "/cached/")
        encoding, body = perreq.request(handlers["djfast"], "/cached/", BROWSER)
        samples = perreq.measure(handlers, "/cached/", repeats=2, number=2)
    assert encoding == "zstd" and REQUEST_ID.search(decoded_zstd(body))
    assert set(samples) == {(n, c) for n in perreq.STACKS for c in perreq.CLIENTS}
    assert all(len(v) == 2 and all(us >= 0 for us in v) for v in samples.values())


@pytest.mark.django_db
def test_perreq_check_catches_a_stack_that_changes_the_body(site):
    cache.clear()
    with configured("djfast"), wsgi_requests_in_a_test():
        handlers = perreq.handlers_for({"none": [], "bad": [f"{__name__}.Truncate"]})
        with pytest.raises(AssertionError, match="bad to a gzip client"):
            perreq.check(handlers, "/cached/")


def decoded_zstd(body: bytes) -> bytes:
    return (
        zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body), read_across_frames=True).read()
    )
