"""One load step: SIPp citizens at a fixed call rate for a bounded time, then what each side measured.

A step has zero failed calls when every call it placed completed (answered by Asterisk, connected to a call
taker, ended by the taker's BYE) at (at least 90 % of) the rate asked and, with ec112 in the path, every call
got exactly one ticket. It is sustained when, in addition, every ticket came from the AGI intake: none from
the fail-open AMI path, which means the dialplan had to go around a slow or failing ec112.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .daemon import BenchDaemon
from .marginal import Baseline, marginal_ms_per_call, settle
from .observers import Observer, probe_summary, sse_counts
from .procstat import Sampler
from .sipp import Sipp, SippResult, free_udp_port, read_result, scenario
from .stack import EMERGENCY_EXTEN, BenchAsterisk
from .stats import Histogram, percentile

INTAKE_METRIC = "ec112_intake_seconds"


@dataclass(frozen=True)
class Load:
    """Calls placed by one SIPp UAC: ``calls`` at ``rate`` calls/s to ``exten``; a call not ended by the taker
    within ``bye_timeout_ms`` after Asterisk answered fails (SIPp then hangs it up)."""

    exten: str
    rate: float
    calls: int
    caller_prefix: str
    answer_timeout_ms: int = 10_000
    bye_timeout_ms: int = 60_000


def start_calls(asterisk: BenchAsterisk, load: Load, workdir: Path) -> Sipp:
    script = scenario("uac_112", workdir, {"caller_prefix": load.caller_prefix,
                                           "answer_timeout_ms": str(load.answer_timeout_ms),
                                           "bye_timeout_ms": str(load.bye_timeout_ms)})
    return Sipp("citizens", [
        f"127.0.0.1:{asterisk.sip_port}", "-sf", str(script), "-s", load.exten,
        "-r", f"{load.rate:g}", "-rp", "1000", "-m", str(load.calls), "-l", str(max(load.calls, 1)),
        "-p", str(free_udp_port()), "-mp", str(free_udp_port(span=4)), "-max_socket", "4096",
    ], workdir, stats=True)


def finish_calls(citizens: Sipp, timeout: float) -> SippResult:
    """Wait for SIPp to end by itself (all calls done); past ``timeout`` it is stopped: its unfinished calls
    count as failed."""
    try:
        citizens.wait(timeout=timeout)
    except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired: the step's time bound is reached
        citizens.stop()
    return read_result(citizens)


def wait_drained(asterisk: BenchAsterisk, timeout: float = 20.0) -> int:
    """Until Asterisk has no channel left; returns what is left after ``timeout`` (0 = clean)."""
    deadline = time.monotonic() + timeout
    while (left := asterisk.active_calls()) != 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def warm_up(asterisk: BenchAsterisk, calls: int, workdir: Path) -> None:
    """A few 112 calls through a freshly started ec112, not measured: a call centre's ec112 is warm."""
    if calls > 0:
        load = Load(exten=EMERGENCY_EXTEN, rate=2, calls=calls, caller_prefix="+62899")
        finish_calls(start_calls(asterisk, load, workdir), timeout=60)
        wait_drained(asterisk)


def call_figures(load: Load, result: SippResult) -> dict[str, Any]:
    """Calls attempted/completed/failed, the rate achieved, INVITE->200 and answer->end percentiles (ms)."""
    invite_200 = result.rtt_ms.get(1, [])
    answered_to_end = result.rtt_ms.get(2, [])
    # When each INVITE went out: the 200's timestamp minus its response time.
    starts = [at - rtt for at, rtt in zip(result.rtt_at_ms.get(1, []), invite_200, strict=True)]
    span = (max(starts) - min(starts)) / 1000 if len(starts) > 2 else 0.0
    achieved = (len(starts) - 1) / span if span > 0 else None
    return {
        "target_calls": load.calls,
        "attempted": result.created,
        "completed": result.successful,
        "failed": result.failed + max(0, load.calls - result.successful - result.failed),
        "failure_reasons": result.failure_reasons,
        "retransmissions": result.retransmissions,
        "achieved_rate": None if achieved is None else round(achieved, 1),
        "invite_200_ms": _pcts(invite_200),
        "answer_to_end_ms": _pcts(answered_to_end),
    }


def ticket_figures(tickets: list[dict[str, Any]], caller_prefix: str, calls: int) -> dict[str, Any]:
    """Tickets of this load's calls (matched by caller number): how many, via which intake, lost, doubled."""
    raw = [t.get("caller_number_raw") or t.get("caller_number") or "" for t in tickets]
    mine = [(number, t) for number, t in zip(raw, tickets, strict=True) if number.startswith(caller_prefix)]
    per_caller = Counter(number for number, _ in mine)
    expected = {f"{caller_prefix}{n}" for n in range(1, calls + 1)}
    return {
        "created": len(mine),
        "via": dict(Counter(t["intake"] for _, t in mine)),
        "lost": len(expected - set(per_caller)),
        "duplicated": sum(1 for n in per_caller.values() if n > 1),
        "answered_by_taker": sum(1 for _, t in mine if t.get("answered_by")),
    }


class Ec112Probe:
    """ec112's side of a step: intake histogram, tickets, SSE events and API latency between two marks."""

    def __init__(self, daemon: BenchDaemon, sse: Observer | None, probe: Observer | None) -> None:
        self.daemon = daemon
        self.sse = sse
        self.probe = probe
        self._histogram = Histogram({}, 0, 0)
        self._since = datetime.now(UTC)
        self._sse_before: list[int] = []
        self._wall = time.time()
        self._lag: float | None = None
        self._caught_up = False

    def mark(self) -> None:
        self._histogram = Histogram.parse(self.daemon.metrics(), INTAKE_METRIC)
        self._since = datetime.now(UTC)
        self._wall = time.time()
        self._sse_before = sse_counts(self.sse.read()) if self.sse else []
        self._caught_up = False

    def catch_up(self) -> None:
        """Call after Asterisk has drained: waits (bounded) until ec112's live view has no call left either."""
        self._lag = self.daemon.catch_up()
        self._caught_up = True

    def figures(self, load: Load) -> dict[str, Any]:
        if not self._caught_up:
            self.catch_up()
        lag = self._lag
        intake = Histogram.parse(self.daemon.metrics(), INTAKE_METRIC).minus(self._histogram)
        tickets = ticket_figures(self.daemon.tickets_since(self._since), load.caller_prefix, load.calls)
        out: dict[str, Any] = {
            "tickets": tickets,
            "presence_lag_s": lag,
            "intake_ms": {"count": int(intake.count), "p50": _ms(intake.quantile(0.5)),
                          "p99": _ms(intake.quantile(0.99)), "mean": _ms(intake.mean())},
        }
        if self.sse is not None:
            after = sse_counts(self.sse.read())
            out["sse_events_per_client"] = [a - b for a, b in zip(after, self._sse_before + [0] * len(after),
                                                                   strict=False)]
        if self.probe is not None:
            out["api_queues"] = probe_summary(self.probe.read().get("samples", []), self._wall, time.time())
        return out


def run_step(asterisk: BenchAsterisk, load: Load, workdir: Path, sampler: Sampler, *, time_bound: float,
             baseline: Baseline, settle_seconds: float, ec112: Ec112Probe | None = None) -> dict[str, Any]:
    """Place the calls, wait (at most ``time_bound`` s), and gather every figure of the step.

    ``cpu_pct`` and RSS cover the calls (first INVITE until SIPp ended); the marginal CPU per call covers the
    window until everything settled again (marginal.py), against ``baseline``, the idle rate just before."""
    if ec112 is not None:
        ec112.mark()
    first = sampler.sample()
    started = time.monotonic()
    result = finish_calls(start_calls(asterisk, load, workdir), timeout=time_bound)
    calls_end = sampler.sample()
    seconds = time.monotonic() - started
    left = wait_drained(asterisk)
    if ec112 is not None:
        ec112.catch_up()
    watched = [name for name in ("asterisk", "ec112") if name in baseline.rate]
    settled = settle(sampler, baseline, watched, settle_seconds)
    usage = sampler.usage(first, calls_end)
    figures = call_figures(load, result)
    step: dict[str, Any] = {
        "rate": load.rate,
        "exten": load.exten,
        **figures,
        "seconds": round(seconds, 1),
        "channels_left": left,
        "cpu_pct": usage.cpu_pct,
        "cpu_ms_per_call": {name: round(pct / 100 * seconds * 1000 / max(load.calls, 1), 2)
                            for name, pct in usage.cpu_pct.items()},
        "rss_peak_mib": usage.rss_peak_mib,
        "machine_busy_pct": usage.machine_busy_pct,
        "idle": baseline.as_dict(),
        "cpu_window_seconds": round(settled.at - first.at, 1),
        "marginal_cpu_ms_per_call": marginal_ms_per_call(sampler, first, settled, baseline, load.calls),
    }
    if ec112 is not None:
        step.update(ec112.figures(load))
    step["zero_failed"] = zero_failed(step, load)
    step["sustained"] = sustained(step, load)
    return step


def zero_failed(step: dict[str, Any], load: Load) -> bool:
    """Every call placed at (at least 90 % of) the asked rate, answered, connected and ended, none failed; with
    ec112, every call has exactly one ticket (from the intake or from the fail-open AMI path)."""
    ok = (step["failed"] == 0 and step["completed"] == load.calls and step["channels_left"] == 0
          and (step["achieved_rate"] is None or step["achieved_rate"] >= 0.9 * load.rate))
    if "tickets" in step:
        ok = ok and step["tickets"]["lost"] == 0 and step["tickets"]["duplicated"] == 0
    return bool(ok)


def sustained(step: dict[str, Any], load: Load) -> bool:
    """zero_failed, and with ec112 every ticket came from the AGI intake: ec112 kept up, the dialplan never
    had to fail open around it."""
    if not step["zero_failed"]:
        return False
    return "tickets" not in step or step["tickets"]["via"].get("agi", 0) == load.calls


def _pcts(values: list[float]) -> dict[str, float | None]:
    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
    return {"p50": None if p50 is None else round(p50, 1), "p99": None if p99 is None else round(p99, 1)}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)
