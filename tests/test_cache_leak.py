"""The C cache functions do not leak: many calls in a subprocess keep RSS bounded."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import django
    from django.conf import settings
    settings.configure(SECRET_KEY="leak-test", CACHES={})
    django.setup()
    import warnings
    from djfast import _djfast
    from djfast.cache import etag, make_key, make_template_fragment_key
    from djfast.cache.backends import LocMemCache

    cache = LocMemCache("leak", {})
    cache_hashing = LocMemCache("leak2", {"KEY_FUNCTION": make_key})
    big = b"x" * 200_000
    warnings.simplefilter("ignore")

    def rss_kb():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])

    def work(n):
        for i in range(n):
            make_key("user:%d" % i, "p", i)
            make_key("k" * 300, "p", 1)
            make_key("é \\ud800" * 40, "p", 2**70)
            make_template_fragment_key("frag", [i, "x", None])
            etag(big)
            etag("text")
            cache.make_and_validate_key("a b %d" % i, version=i)
            cache_hashing.make_and_validate_key("long " * 80)
            _djfast.memcache_key_problems("x" * 300)
            try:
                make_key(1, 2)
            except TypeError:
                pass

    work(20_000)
    before = rss_kb()
    work(100_000)
    after = rss_kb()
    print(before, after)
    assert after - before < 4096, (before, after)
    """
)


@pytest.mark.slow
def test_many_calls_keep_rss_bounded():
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
