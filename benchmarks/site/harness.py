"""Shared machinery of make bench-e2e and make soak: gunicorn servers, wrk runs, body checks.

Servers run in their own process group and die with this process (PR_SET_PDEATHSIG), and
``Server.stop`` (called from ``finally`` blocks and on SIGTERM/SIGINT) ends the group, so no
gunicorn outlives a run, however it ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import gzip
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUILD = REPO / "build" / "e2e"
VENV_BIN = Path(sys.executable).parent

# Accept-Encoding of each client. "zstd" is a browser that accepts zstd (Chrome/Firefox send
# this): stock Django serves it gzip, djfast's CompressionMiddleware zstd.
CLIENTS = {
    "gzip": "gzip",
    "zstd": "gzip, deflate, br, zstd",
    "identity": "identity",
}
SERVERS = {
    # name: gunicorn worker arguments, wrk connections
    "gthread": (["--workers", "2", "--worker-class", "gthread", "--threads", "4"], 8),
    "sync": (["--workers", "1", "--worker-class", "sync"], 2),
}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    return [v.strip() for v in value.split(",") if v.strip()] if value.strip() else default


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child before exec
    os.setsid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def site_env(config: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["E2E_CONFIG"] = config
    env["DJANGO_SETTINGS_MODULE"] = "e2esite.settings"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def load_database(rows: int, reset_uploads: bool = False) -> None:
    """Create the site's tables and load ``rows`` orders (skipped when already there)."""
    cmd = [sys.executable, "-m", "e2esite.load", "--rows", str(rows)]
    if reset_uploads:
        cmd.append("--reset-uploads")
    subprocess.run(cmd, env=site_env("djfast"), cwd=HERE, check=True)


@dataclass
class Server:
    """A gunicorn serving the site in one configuration."""

    name: str  # label, e.g. "django"
    config: str  # E2E_CONFIG
    worker_args: list[str]
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        BUILD.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        log = BUILD / f"gunicorn-{self.name}.log"
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "--bind", f"127.0.0.1:{self.port}",
            *self.worker_args,
            "--timeout", "300",
            "--graceful-timeout", "5",
            "--backlog", "256",
            "--error-logfile", str(log),
            "e2esite.wsgi:application",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd,
            cwd=HERE,
            env=site_env(self.config, self.extra_env),
            preexec_fn=_die_with_parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.name}) exited early; see {log}")
            try:
                with urllib.request.urlopen(self.url + "/api/small/", timeout=5) as r:
                    if r.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn ({self.name}) did not answer within 60 s; see {log}")

    @property
    def workers(self) -> int:
        return int(self.worker_args[self.worker_args.index("--workers") + 1])

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return sorted(int(p) for p in text.split())

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the group this server leads (setsid)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_on_signals(servers: list[Server]) -> None:
    """SIGTERM/SIGINT stop the servers, then exit (the ``trap`` of this driver)."""

    def handler(signum: int, frame: Any) -> None:
        for s in servers:
            s.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    headers: dict[str, str] | None = None,
    script: Path = HERE / "lua" / "report.lua",
    script_args: list[str] | None = None,
) -> dict[str, Any]:
    """One bounded wrk run; returns its E2E-JSON line (requests, bytes, errors, latencies)."""
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s"]
    cmd += ["--timeout", "120s", "-s", str(script)]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 300)
    for line in out.stdout.splitlines():
        if line.startswith("E2E-JSON "):
            result = json.loads(line[len("E2E-JSON ") :])
            result["errors"] = sum(
                result[k] for k in ("connect", "read", "write", "status", "timeout")
            )
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            result["output"] = out.stdout
            return result
    raise RuntimeError(f"wrk gave no report (exit {out.returncode}):\n{out.stdout}\n{out.stderr}")


def fetch(url: str, accept_encoding: str) -> tuple[int, str, bytes]:
    """GET ``url``; returns (status, Content-Encoding or "", the body as sent)."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": accept_encoding})
    with urllib.request.urlopen(req, timeout=300) as r:
        return r.status, r.headers.get("Content-Encoding", ""), r.read()


def decode(body: bytes, encoding: str) -> bytes:
    """The body with its content coding removed; gzip must be exactly one member."""
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(body) + d.flush()
        if not d.eof or d.unused_data:
            raise ValueError("gzip body is not exactly one complete member")
        if out != gzip.decompress(body):
            raise ValueError("gzip body decodes differently with gzip.decompress")
        return out
    if encoding == "zstd":
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(
            io.BytesIO(body), read_across_frames=True
        )
        return reader.read()
    if encoding == "br":
        import brotli  # only when a djfast build negotiates br

        return brotli.decompress(body)
    raise ValueError(f"unknown Content-Encoding {encoding!r}")
