"""The C kernels behind compression: whole bodies, streams (one member / one frame), their
errors, thread safety and clean-up; property-tested against the stdlib and zstandard."""

from __future__ import annotations

import gzip
import random
import threading
import zlib
from typing import Any

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from djfast import _djfast

MAX_WINDOW = 8 * 1024 * 1024


def one_gzip_member(data: bytes) -> bytes:
    payload = gzip.decompress(data)
    assert zlib.decompress(data, 16 + zlib.MAX_WBITS) == payload
    d = zlib.decompressobj(31)
    assert d.decompress(data) == payload
    assert d.eof and d.unused_data == b""
    return payload


def one_zstd_frame(data: bytes) -> bytes:
    params = zstandard.get_frame_parameters(data)
    assert params.window_size <= MAX_WINDOW
    d = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW).decompressobj()
    out = d.decompress(data)
    assert d.eof and d.unused_data == b""
    return out


def decode(encoding: str, data: bytes) -> bytes:
    return one_gzip_member(data) if encoding == "gzip" else one_zstd_frame(data)


def run_stream(
    encoding: str, chunks: list[bytes], level: int | None = None, **kwargs: Any
) -> bytes:
    if level is None:
        level = 6 if encoding == "gzip" else 3
    s = _djfast.CompressStream(encoding, level, **kwargs)
    out = [s.compress(c) for c in chunks]
    out.append(s.finish())
    assert s.closed
    return b"".join(out)


@settings(deadline=None)
@given(data=st.binary(max_size=3000), name_len=st.integers(-1, 300), level=st.integers(1, 12))
def test_gzip_compress_round_trips_with_the_right_header(
    data: bytes, name_len: int, level: int
) -> None:
    out = _djfast.gzip_compress(data, level, name_len, 3)
    assert one_gzip_member(out) == data
    assert out[:3] == b"\x1f\x8b\x08"
    assert out[4:8] == b"\x00\x00\x00\x00"  # mtime 0
    assert out[9] == 3
    if name_len < 0:
        assert out[3] == 0
    else:
        assert out[3] == gzip.FNAME
        assert out[10 : 11 + name_len] == b"a" * name_len + b"\x00"


@settings(deadline=None)
@given(data=st.binary(max_size=3000), level=st.integers(-5, 22))
def test_zstd_compress_round_trips(data: bytes, level: int) -> None:
    assert one_zstd_frame(_djfast.zstd_compress(data, level)) == data


@pytest.mark.parametrize("level", [3, 19, 22])
def test_zstd_window_capped_at_8mb_whatever_the_level(level: int) -> None:
    data = bytes(range(256)) * 40000  # 10 MB
    assert _djfast.ZSTD_MAX_WINDOW_LOG == 23
    whole = _djfast.zstd_compress(data, level)
    assert one_zstd_frame(whole) == data
    mb = 1 << 20
    streamed = run_stream("zstd", [data[i : i + mb] for i in range(0, len(data), mb)], level)
    assert one_zstd_frame(streamed) == data


@settings(max_examples=60, deadline=None)
@given(
    encoding=st.sampled_from(["gzip", "zstd"]),
    chunks=st.lists(st.binary(max_size=2000) | st.text(max_size=50).map(str.encode), max_size=40),
    chunk_size=st.integers(1, 5000),
    flush_each=st.booleans(),
    name_len=st.integers(-1, 120),
)
def test_streams_round_trip_as_one_member_or_frame(
    encoding: str, chunks: list[bytes], chunk_size: int, flush_each: bool, name_len: int
) -> None:
    kwargs: dict[str, Any] = {"chunk_size": chunk_size, "flush_each": flush_each}
    if encoding == "gzip":
        kwargs["name_len"] = name_len
    out = run_stream(encoding, chunks, **kwargs)
    assert decode(encoding, out) == b"".join(chunks)


@settings(max_examples=30, deadline=None)
@given(chunks=st.lists(st.binary(min_size=1, max_size=500), min_size=1, max_size=20))
def test_flush_each_makes_every_chunk_decodable_at_once(chunks: list[bytes]) -> None:
    for encoding in ("gzip", "zstd"):
        s = _djfast.CompressStream(encoding, 3, flush_each=True)
        seen = b""
        dz = zlib.decompressobj(31) if encoding == "gzip" else None
        dzs = zstandard.ZstdDecompressor().decompressobj() if encoding == "zstd" else None
        for chunk in chunks:
            part = s.compress(chunk)
            seen += dz.decompress(part) if dz else dzs.decompress(part)  # type: ignore[union-attr]
            assert seen.endswith(chunk)
        s.close()


def test_stream_output_equals_zlib_without_flush() -> None:
    """Coalescing does not change the deflate stream: same bytes as one zlib compressobj."""
    rows = [b"%d,row,%d\n" % (i, i * 7) for i in range(20000)]
    out = run_stream("gzip", rows, chunk_size=1000)
    c = zlib.compressobj(6, zlib.DEFLATED, -15, 8, 0)
    body = b"".join(c.compress(r) for r in rows) + c.flush()
    assert out[10:-8] == body


def test_flush_method_syncs() -> None:
    s = _djfast.CompressStream("gzip", 6)
    assert s.compress(b"hello") == b""  # coalesced
    part = s.flush()
    assert zlib.decompressobj(31).decompress(part) == b"hello"
    s.close()


def test_use_after_finish_or_close_raises() -> None:
    s = _djfast.CompressStream("gzip", 6)
    s.finish()
    with pytest.raises(ValueError, match="finished"):
        s.compress(b"x")
    with pytest.raises(ValueError, match="finished"):
        s.finish()
    s.close()
    s.close()
    z = _djfast.CompressStream("zstd", 3)
    z.close()
    with pytest.raises(ValueError, match="closed"):
        z.compress(b"x")


@pytest.mark.parametrize(
    ("args", "kwargs", "exc"),
    [
        (("brotli", 6), {}, ValueError),
        ((), {"encoding": "br", "level": 12}, ValueError),
        (("br", -1), {}, ValueError),
        (("gzip", 4), {"engine": "isal"}, ValueError),
        (("gzip", -1), {"engine": "isal"}, ValueError),
        (("gzip", 1), {"engine": "igzip"}, ValueError),
        (("gzip", 1), {"engine": None}, TypeError),
        (("gzip", 0), {}, ValueError),
        (("gzip", 10), {}, ValueError),
        (("zstd", 99), {}, ValueError),
        (("gzip", 6), {"chunk_size": 0}, ValueError),
        (("gzip", 6), {"name_len": -2}, ValueError),
        (("gzip", "6"), {}, TypeError),
    ],
)
def test_bad_stream_arguments_raise(args: tuple, kwargs: dict, exc: type) -> None:
    with pytest.raises(exc):
        _djfast.CompressStream(*args, **kwargs)


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(TypeError, match="bytes-like"):
        _djfast.gzip_compress("text", 6, -1, 3)
    with pytest.raises(TypeError, match="bytes-like"):
        _djfast.zstd_compress(123, 3)
    with pytest.raises(ValueError, match="level"):
        _djfast.gzip_compress(b"x", 0, -1, 3)
    with pytest.raises(ValueError, match="os"):
        _djfast.gzip_compress(b"x", 6, -1, 256)
    with pytest.raises(TypeError):
        _djfast.gzip_compress(b"x", 6)
    s = _djfast.CompressStream("gzip", 6)
    with pytest.raises(TypeError, match="str"):
        s.compress("text")
    s.close()


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_stream_that_failed_to_return_output_is_closed(encoding: str) -> None:
    # The compressed bytes of a chunk whose result could not be allocated used to be dropped
    # while the stream stayed open: the next chunks made a member/frame with a hole in it.
    testcapi = pytest.importorskip("_testcapi")
    data = random.Random(1).randbytes(100_000)
    s = _djfast.CompressStream(encoding, 3, flush_each=True)
    s.begin()
    compress = s.compress  # bound before the allocator starts failing
    failed = False
    testcapi.set_nomemory(0, 1)  # the next allocation (the result bytes) fails
    try:
        compress(data)
    except MemoryError:
        failed = True
    finally:
        testcapi.remove_mem_hooks()
    assert failed
    assert s.closed
    with pytest.raises(ValueError, match="closed"):
        s.compress(data)


def test_non_contiguous_memoryview_raises_buffererror_as_zlib_does() -> None:
    # It used to be reported as "data must be a bytes-like object, not memoryview".
    strided = memoryview(b"abcdef")[::2]
    with pytest.raises(BufferError) as expected:
        gzip.compress(strided)
    with pytest.raises(BufferError, match=str(expected.value)):
        _djfast.gzip_compress(strided, 6, -1, 3)
    with pytest.raises(BufferError, match=str(expected.value)):
        _djfast.zstd_compress(strided, 3)
    s = _djfast.CompressStream("gzip", 6)
    with pytest.raises(BufferError, match=str(expected.value)):
        s.compress(strided)
    s.close()


def test_memoryview_and_bytearray_inputs() -> None:
    data = bytearray(b"abc" * 1000)
    assert gzip.decompress(_djfast.gzip_compress(memoryview(data), 6, -1, 3)) == data
    assert one_zstd_frame(_djfast.zstd_compress(data, 3)) == data


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_one_stream_shared_by_two_threads_does_not_crash(encoding: str) -> None:
    s = _djfast.CompressStream(encoding, 1, chunk_size=1)
    chunk_a, chunk_b = b"A" * 40000, b"B" * 40000
    errors: list[BaseException] = []

    def feed(chunk: bytes, out: list[bytes]) -> None:
        try:
            for _ in range(50):
                out.append(s.compress(chunk))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    outs: list[list[bytes]] = [[], []]
    threads = [
        threading.Thread(target=feed, args=(chunk_a, outs[0])),
        threading.Thread(target=feed, args=(chunk_b, outs[1])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(map(len, outs)) == 100
    tail = s.finish()
    if encoding == "gzip":
        # every byte fed by both threads was counted once: ISIZE in the trailer
        assert int.from_bytes(tail[-4:], "little") == 100 * 40000
    else:
        assert tail


def test_whole_body_compress_from_two_threads() -> None:
    data = b"".join(b"line %d of a body\n" % i for i in range(100000))
    results: list[bytes] = []

    def work() -> None:
        for _ in range(3):
            results.append(_djfast.gzip_compress(data, 6, -1, 3))
            results.append(_djfast.zstd_compress(data, 3))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 18
    for r in results:
        assert (one_gzip_member(r) if r[:2] == b"\x1f\x8b" else one_zstd_frame(r)) == data
