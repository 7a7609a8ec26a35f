"""Leak checks for the compression kernels, run in a subprocess so the measurement sees only
this loop (multidict's isolated-leak style). A leaked zlib or zstd state is hundreds of KB, so
thousands of iterations make any leak show far above allocator noise."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import resource
    from djfast import _djfast

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20

    data = b"".join(b"row %d of something\\n" % i for i in range(3000))

    def once():
        # dropped without close/finish: dealloc must free the native state
        s = _djfast.CompressStream("gzip", 6, name_len=5)
        s.compress(data)
        z = _djfast.CompressStream("zstd", 3, chunk_size=10)
        z.compress(data)
        # finished normally
        g = _djfast.CompressStream("gzip", 6)
        g.compress(data)
        g.finish()
        # errors on the way
        try:
            g.compress(data)
        except ValueError:
            pass
        _djfast.gzip_compress(data, 6, 3, 3)
        _djfast.zstd_compress(data, 3)
        # the other engines: ISA-L (pooled compressors) and brotli
        i = _djfast.CompressStream("gzip", 3, engine="isal", name_len=4)
        i.compress(data)
        b = _djfast.CompressStream("br", 5, chunk_size=10)
        b.compress(data)
        f = _djfast.CompressStream("br", 4, flush_each=True)
        f.compress(data)
        f.finish()
        _djfast.isal_compress(data, 2, 3, 3)
        _djfast.brotli_compress(data, 4)

    for _ in range(300):
        once()
    before = rss_mb()
    for _ in range(3000):
        once()
    print(rss_mb() - before)
    """
)


@pytest.mark.slow
def test_streams_and_whole_bodies_do_not_leak() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=300
    )
    growth_mb = float(out.stdout.strip())
    # one leaked zlib state per iteration would be ~800 MB here
    assert growth_mb < 40, f"RSS grew by {growth_mb:.1f} MB"
