"""SIPp for the benchmark: scenario files, processes stopped by PID, and what they measured.

Why not the integration harness' SippProcess: it traces every SIP message (`-trace_msg`), which at 100+
calls/s costs more than what it measures. Here each SIPp writes only its statistics (`-trace_stat`:
cumulative counters, read once at the end) and its response times (`-trace_rtt -rtt_freq 1`: one line per
measured timer, i.e. raw samples for the percentiles), plus errors.
"""

from __future__ import annotations

import csv
import re
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SIPP_DIR = Path(__file__).resolve().parent / "sipp"
_TOKEN = re.compile(r"\{\{(\w+)\}\}")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace {{name}} tokens; an unknown token is an error (SIPp's own [x] stay)."""
    return _TOKEN.sub(lambda match: values[match.group(1)], template)


def scenario(name: str, workdir: Path, values: dict[str, str]) -> Path:
    """bench/sipp/<name>.xml filled with ``values``, written into ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / f"{name}.xml"
    target.write_text(fill((SIPP_DIR / f"{name}.xml").read_text(), values))
    return target


def free_udp_port(span: int = 1) -> int:
    """A free UDP port p such that p .. p+span-1 are free too (SIPp media uses p and p+2)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as first:
            first.bind(("127.0.0.1", 0))
            port: int = first.getsockname()[1]
            if port + span >= 65535:
                continue
            try:
                for extra in range(1, span):
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
                        other.bind(("127.0.0.1", port + extra))
            except OSError:
                continue
            return port
    raise RuntimeError("no free UDP port range found")


class Sipp:
    """One SIPp process running in ``workdir`` (its statistics, rtt and error files land there)."""

    def __init__(self, name: str, args: list[str], workdir: Path, *, stats: bool = False) -> None:
        self.name = name
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.error_file = workdir / f"{name}.errors.log"
        self.stat_file = workdir / f"{name}.stat.csv"
        self.screen_file = workdir / f"{name}.screen.log"
        self.argv = ["sipp", *args, "-nostdin", "-i", "127.0.0.1", "-trace_err", "-error_file", str(self.error_file)]
        if stats:
            self.argv += ["-trace_stat", "-stf", str(self.stat_file), "-fd", "1", "-trace_rtt", "-rtt_freq", "1"]
        with self.screen_file.open("wb") as screen:
            self.process = subprocess.Popen(self.argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=screen,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout: float) -> int:
        """SIPp's exit code: 0 all calls succeeded, 1 some failed, 97/99 other endings, <0 fatal."""
        return self.process.wait(timeout=timeout)

    def stop(self, timeout: float = 5.0) -> int:
        """End it by PID: SIGUSR1 first (SIPp then dumps its final statistics), SIGTERM, then SIGKILL."""
        for signum in (signal.SIGUSR1, signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                continue
        return self.process.returncode

    def diagnostics(self, size: int = 2500) -> str:
        parts = [f"{self.name}: {' '.join(self.argv)}"]
        for path in (self.error_file, self.screen_file):
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-size:]}")
        return "\n".join(parts)


@dataclass
class SippResult:
    """What one load SIPp saw: final counters, failure reasons and raw response times (ms) per timer."""

    created: int = 0
    successful: int = 0
    failed: int = 0
    failure_reasons: dict[str, int] = field(default_factory=dict)
    rtt_ms: dict[int, list[float]] = field(default_factory=dict)
    rtt_at_ms: dict[int, list[float]] = field(default_factory=dict)  # when each sample was taken (epoch ms)
    retransmissions: int = 0


def read_result(sipp: Sipp) -> SippResult:
    result = SippResult()
    rows = _stat_rows(sipp.stat_file)
    if rows:
        last = rows[-1]
        result.created = _int(last.get("TotalCallCreated"))
        result.successful = _int(last.get("SuccessfulCall(C)"))
        result.failed = _int(last.get("FailedCall(C)"))
        result.retransmissions = _int(last.get("Retransmissions(C)"))
        result.failure_reasons = {key.removesuffix("(C)"): _int(value) for key, value in last.items()
                                  if key.startswith("Failed") and key.endswith("(C)") and key != "FailedCall(C)"
                                  and _int(value)}
    for rtt_file in sorted(sipp.workdir.glob("*_rtt.csv")):
        for line in rtt_file.read_text(errors="replace").splitlines():
            parts = line.split(";")
            if len(parts) < 3 or not parts[2].strip().isdigit():
                continue  # the header line
            timer = int(parts[2])
            result.rtt_ms.setdefault(timer, []).append(float(parts[1]))
            result.rtt_at_ms.setdefault(timer, []).append(float(parts[0]))
    return result


def _stat_rows(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return []
    return list(csv.DictReader(text.splitlines(), delimiter=";"))


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0
