"""The API probe and the SSE clients as child processes (bench/probe.py, bench/sse.py), read from their files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from .stats import percentile

REPO = Path(__file__).resolve().parents[1]


class Observer:
    """``python -m bench.<module> ...`` in its own process; ``read()`` gives its latest JSON file."""

    def __init__(self, module: str, args: list[str], out: Path, extra_env: dict[str, str] | None = None) -> None:
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, **(extra_env or {}), "PYTHONPATH": path}
        self._log = out.with_suffix(".log").open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", f"bench.{module}", *args, str(out)], env=env,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def read(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.out.read_text())
            return data
        except (FileNotFoundError, ValueError):
            return {}


def api_probe(base_url: str, token_file: Path, out: Path, interval: float = 0.1) -> Observer:
    return Observer("probe", [base_url, str(token_file), "--interval", str(interval)], out)


def sse_clients(base_url: str, token_file: Path, out: Path, count: int, track: str | None = None) -> Observer:
    return Observer("sse", [base_url, str(token_file), "--clients", str(count),
                            *(["--track", track] if track else [])], out)


def ami_watch(port: int, user: str, secret: str, out: Path, track: str) -> Observer:
    return Observer("amiwatch", [str(port), user, "--track", track], out, {"EC112_BENCH_AMI_SECRET": secret})


def probe_summary(samples: list[list[float]], since: float, until: float) -> dict[str, Any]:
    """Latency percentiles (ms) of the probe's requests sent within [since, until] (wall time)."""
    window = [s for s in samples if since <= s[0] <= until]
    ok = [s[1] for s in window if s[2] == 200]
    return {
        "requests": len(window),
        "errors": len(window) - len(ok),
        "p50_ms": _round(percentile(ok, 0.50)),
        "p99_ms": _round(percentile(ok, 0.99)),
        "max_ms": _round(max(ok) if ok else None),
        "peak_waiting": max((int(s[3]) for s in window), default=0),
    }


def sse_counts(snapshot: dict[str, Any]) -> list[int]:
    """Events received so far by each SSE client."""
    return [sum(client["events"].values()) for client in snapshot.get("clients", [])]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
