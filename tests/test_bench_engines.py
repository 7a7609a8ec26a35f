"""The engine cases of the bundled runner build, switch engines per variant, and put the
settings back (speed itself is the runner's job, not a test's)."""

from __future__ import annotations

from django.conf import settings

from djfast.bench import gzip_engines


def test_engine_cases_switch_settings_per_variant_and_restore_them() -> None:
    before = getattr(settings, "DJFAST", None)
    body = b"<p>some html that compresses</p>\n" * 100
    rows = [b"%d,row,of,csv\r\n" % i for i in range(500)]
    cases = gzip_engines.cases(body, rows)
    assert getattr(settings, "DJFAST", None) == before
    seen = set()
    for case in cases:
        for variant in case.variants:
            variant.fn()
            seen.add(variant.label)
            djfast = getattr(settings, "DJFAST", None) or {}
            engine = djfast.get("COMPRESSION", {}).get("GZIP_ENGINE", "libdeflate")
            assert (engine == "isal") == (variant.label == "djfast isal"), variant.label
    assert {"django", "djfast", "djfast isal", "djfast br", "after isal"} <= seen
    gzip_engines.use_settings(None)
    assert getattr(settings, "DJFAST", None) == before
