"""Marginal CPU per call: what a step's calls cost a process beyond what it burns with no call at all.

Before a step's calls, with everything the step has connected (for ec112: the SSE clients and the API probe,
after the warm-up), the benchmark measures each process' CPU over ``idle_seconds`` with no call: its idle
rate. The step's window runs from just before the first call until the calls ended, Asterisk has no channel
left, ec112's live view is empty and every watched process burns no more than 3 % of a core above its idle
rate again over a second (so work deferred past the last call is counted, not left outside the window). Then

    marginal ms/call = (CPU seconds in the window - idle rate x window seconds) / calls x 1000.

Limits: /proc counts CPU in clock ticks (10 ms), coarse for the smoke run's few calls; work that trickles on
below the 3 % margin after the window escapes it; and waiting for ec112's live view to empty polls its API
(GET /api/calls every 100 ms, charged to the calls) — nothing when ec112 keeps up, a little when it lags.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .procstat import Sample, Sampler

QUIET_MARGIN = 0.03  # CPU seconds per second (3 % of a core) above the idle rate that still counts as quiet


@dataclass(frozen=True)
class Baseline:
    seconds: float
    rate: dict[str, float]  # CPU seconds per wall second, per process name

    def as_dict(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 1), "cpu_pct": {k: round(v * 100, 1) for k, v in self.rate.items()}}


def measure_idle(sampler: Sampler, seconds: float) -> Baseline:
    first = sampler.sample()
    time.sleep(seconds)
    last = sampler.sample()
    span = max(last.at - first.at, 1e-6)
    return Baseline(span, {name: used / span for name, used in sampler.cpu_seconds(first, last).items()})


def settle(sampler: Sampler, baseline: Baseline, names: Sequence[str], timeout: float,
           interval: float = 1.0) -> Sample:
    """Sample every ``interval`` until each of ``names`` burned at most its idle rate + 3 % of a core over the
    last interval (or ``timeout`` passed); returns the last sample: the end of the step's CPU window."""
    deadline = time.monotonic() + timeout
    previous = sampler.sample()
    while True:
        time.sleep(interval)
        current = sampler.sample()
        used = sampler.cpu_seconds(previous, current)
        span = max(current.at - previous.at, 1e-6)
        if time.monotonic() >= deadline or all(
                used.get(name, 0.0) / span <= baseline.rate.get(name, 0.0) + QUIET_MARGIN for name in names):
            return current
        previous = current


def marginal_ms_per_call(sampler: Sampler, first: Sample, last: Sample, baseline: Baseline,
                         calls: int) -> dict[str, float]:
    """Per process measured in the baseline: (CPU in the window - idle rate x window) / calls, in ms."""
    span = last.at - first.at
    used = sampler.cpu_seconds(first, last)
    return {name: round((used.get(name, 0.0) - rate * span) * 1000 / max(calls, 1), 2)
            for name, rate in baseline.rate.items()}
