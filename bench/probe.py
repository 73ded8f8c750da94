"""`python -m bench.probe`: poll ``GET /api/queues`` and time every answer (a separate process, so that
the benchmark's own threads cannot delay the measurement).

Writes ``--out`` (JSON, replaced atomically every second and at SIGTERM): one sample per request,
``[wall time sent, latency ms, HTTP status, callers waiting in the answer]`` (status 0: no answer).
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx


def _write(out: Path, samples: list[list[float]]) -> None:
    temp = out.with_suffix(".tmp")
    temp.write_text(json.dumps({"samples": samples}))
    temp.replace(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("token_file", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--path", default="/api/queues")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    samples: list[list[float]] = []
    last_write = time.monotonic()
    token = args.token_file.read_text().strip()
    with httpx.Client(base_url=args.base_url, timeout=5) as client:
        while not stop.is_set():
            sent_at, started = time.time(), time.perf_counter()
            status, waiting = 0, -1
            try:
                response = client.get(args.path, headers={"Authorization": f"Bearer {token}"})
                status = response.status_code
                if status == 200:
                    body: list[dict[str, Any]] = response.json()
                    waiting = sum(len(queue.get("waiting", [])) for queue in body)
                elif status == 401:
                    token = args.token_file.read_text().strip()  # the daemon restarted: a fresh token
            except (httpx.HTTPError, ValueError, OSError):
                status = 0
            latency = (time.perf_counter() - started) * 1000
            samples.append([sent_at, round(latency, 3), status, waiting])
            if time.monotonic() - last_write >= 1.0:
                _write(args.out, samples)
                last_write = time.monotonic()
            stop.wait(max(0.0, args.interval - latency / 1000))
    _write(args.out, samples)


if __name__ == "__main__":
    main()
