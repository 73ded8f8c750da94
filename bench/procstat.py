"""CPU and memory of the processes under test, read from /proc (Linux), sampled in a background thread.

CPU is utime+stime (own threads; children are separate processes and measured separately) over wall
time, in % of ONE core (so 2 cores = 200 %). RSS is VmRSS. The machine's total busy share (/proc/stat)
is recorded too: other people's load on a shared machine shows in it, and a noisy step can be told apart.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int | None:
    """utime + stime of a process, in clock ticks (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), after "pid (comm)"


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


@dataclass(frozen=True)
class Sample:
    at: float
    ticks: Mapping[str, int]
    rss: Mapping[str, int]
    machine: tuple[int, int]


@dataclass(frozen=True)
class Usage:
    """One window: CPU % of one core per process, peak and last RSS (MiB), the machine's busy % (all cores)."""

    cpu_pct: dict[str, float]
    rss_peak_mib: dict[str, float]
    rss_end_mib: dict[str, float]
    machine_busy_pct: float


class Sampler:
    """Samples the named processes every ``interval`` s; ``pids()`` is re-read each time (a restarted
    ec112 worker gets a new pid)."""

    def __init__(self, pids: Callable[[], Mapping[str, int]], interval: float = 0.5) -> None:
        self._pids = pids
        self._interval = interval
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def sample(self) -> Sample:
        ticks: dict[str, int] = {}
        rss: dict[str, int] = {}
        for name, pid in self._pids().items():
            t, r = cpu_ticks(pid), rss_kib(pid)
            if t is not None:
                ticks[f"{name}:{pid}"] = t
            if r is not None:
                rss[name] = r
        taken = Sample(time.monotonic(), ticks, rss, machine_ticks())
        with self._lock:
            self._samples.append(taken)
        return taken

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.sample()
            except (OSError, ValueError, RuntimeError):
                continue  # a process between restarts: the next sample will do

    @staticmethod
    def cpu_seconds(first: Sample, last: Sample) -> dict[str, float]:
        """CPU seconds per process name between two samples (a process started in between counts from 0)."""
        out: dict[str, float] = {}
        for key, end in last.ticks.items():
            name = key.split(":", 1)[0]
            out[name] = out.get(name, 0.0) + (end - first.ticks.get(key, 0)) / CLK_TCK
        return out

    def usage(self, first: Sample, last: Sample) -> Usage:
        """Usage between two samples (take them with ``sample()`` at the window's edges)."""
        with self._lock:
            window = [s for s in self._samples if first.at <= s.at <= last.at]
        seconds = max(last.at - first.at, 1e-6)
        cpu = {name: used / seconds * 100 for name, used in self.cpu_seconds(first, last).items()}
        peak: dict[str, float] = {}
        for s in window:
            for name, kib in s.rss.items():
                peak[name] = max(peak.get(name, 0.0), kib / 1024)
        busy = (last.machine[0] - first.machine[0]) / max(last.machine[1] - first.machine[1], 1) * 100
        return Usage({k: round(v, 1) for k, v in cpu.items()}, {k: round(v, 1) for k, v in peak.items()},
                     {k: round(v / 1024, 1) for k, v in last.rss.items()}, round(busy, 1))

