"""What a benchmark run does: the full run of `make bench`, and the bounded smoke run CI does in `make test`."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    name: str
    # Rate ramp: variant (a) bare Asterisk and (b) Asterisk + ec112, interleaved step by step.
    rates: tuple[float, ...]
    step_seconds: float
    ramp_ring_ms: int = 100
    ramp_talk_ms: int = 1000
    drain_seconds: float = 30.0  # after the last call is placed, at most this long for the rest to end
    warmup_calls: int = 3  # through ec112 after each (re)start, not counted: a call centre's ec112 is warm
    sse_clients: int = 3
    probe_interval: float = 0.1  # GET /api/queues every 100 ms while ec112 runs
    # Surge: this many callers at once in the 112 queue with `surge_takers` call takers logged in via ec112.
    surge_callers: int = 500
    surge_takers: int = 17
    surge_rate: float = 50.0
    surge_ring_ms: int = 300
    surge_talk_ms: int = 2000
    api_p99_limit_ms: float = 100.0

    @property
    def ramp_takers(self) -> int:
        """Call takers for the ramp: twice the calls a taker holds at the top rate, so they never limit it."""
        per_call = (self.ramp_ring_ms + self.ramp_talk_ms) / 1000
        return max(5, math.ceil(max(self.rates) * per_call * 2) + 5)

    def calls_per_step(self, rate: float) -> int:
        return max(1, round(rate * self.step_seconds))

    def surge_time_bound(self) -> float:
        """Generous: placing every call, then the takers working through the queue three times over."""
        cycle = (self.surge_ring_ms + self.surge_talk_ms) / 1000 + 1.5
        return self.surge_callers / self.surge_rate + 3 * cycle * self.surge_callers / self.surge_takers + 60


FULL = Plan(name="full", rates=(5, 20, 50, 100, 150), step_seconds=10)
SMOKE = Plan(name="smoke", rates=(2, 5), step_seconds=3, ramp_ring_ms=50, ramp_talk_ms=500, drain_seconds=15,
             warmup_calls=2, surge_callers=30, surge_takers=3, surge_rate=10, surge_ring_ms=50, surge_talk_ms=500)
PLANS = {"full": FULL, "smoke": SMOKE}
