"""The disaster surge: hundreds of 112 callers waiting in the queue at once for a handful of call takers.

A fresh private Asterisk rendered from the production templates (taker01..taker17), ec112 in the path, the
takers logged in through ec112's API, SSE clients connected and ``GET /api/queues`` polled throughout.
Nobody may be lost: every call is answered by a taker and ends normally, every call has exactly one ticket,
and once the queue is empty again ec112's presence says so too. Measured besides: GET /api/queues latency,
the SSE lag behind Asterisk (lag.py; Asterisk's moments from a separate AMI listener, amiwatch.py), and
ec112's peak RSS with Asterisk's peak count of calls up at once (the RSS goal's "300 concurrent calls").
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ec112.lab.asterisk import AsteriskFlavor
from ec112.lab.render import AMI_USERNAME, TAKER_NAMES

from .daemon import BenchDaemon
from .engines import Databases
from .lag import sse_lag
from .load import Ec112Probe, Load, call_figures, finish_calls, start_calls, wait_drained, warm_up
from .observers import ami_watch, api_probe, sse_clients
from .plan import Plan
from .procstat import Sampler
from .stack import EMERGENCY_EXTEN, BenchAsterisk, TakerDesks

log = logging.getLogger("bench")
_QUEUE_CALLS = re.compile(r"has (\d+) calls?")
_ACTIVE_CALLS = re.compile(r"(\d+) active calls?")
CALLER_PREFIX = "+62877"


def run_surge(plan: Plan, flavor: AsteriskFlavor, workdir: Path, dbs: Databases,
              progress: Callable[[str], None] = log.info) -> dict[str, Any]:
    asterisk = BenchAsterisk(flavor, workdir / "lab", wrapup_seconds=0)
    takers = list(TAKER_NAMES[:plan.surge_takers])
    track = "".join(ch for ch in CALLER_PREFIX if ch.isdigit())
    with contextlib.ExitStack() as cleanup:  # every process is stopped by PID, whatever fails
        url = cleanup.enter_context(dbs.fresh(plan.surge_engine))  # entered first: dropped last
        daemon = BenchDaemon(asterisk.config, workdir / "ec112", database_url=url)
        asterisk.start()
        cleanup.callback(asterisk.stop)
        desks = TakerDesks(asterisk, takers, workdir / "takers", ring_ms=plan.surge_ring_ms,
                           talk_ms=plan.surge_talk_ms)
        cleanup.callback(desks.stop)
        desks.register()
        cleanup.callback(daemon.stop)
        daemon.start()
        _log_in(daemon, takers)
        token = daemon.var_dir / "cli-token"
        sse = sse_clients(daemon.base_url, token, workdir / "sse.json", plan.sse_clients, track=track)
        cleanup.callback(sse.stop)
        probe = api_probe(daemon.base_url, token, workdir / "probe.json", plan.probe_interval)
        cleanup.callback(probe.stop)
        ami = ami_watch(asterisk.config.ports.ami, AMI_USERNAME, asterisk.config.ami_secret, workdir / "ami.json",
                        track=track)
        cleanup.callback(ami.stop)
        pids = {"asterisk": asterisk.pid, "ec112": daemon.worker_pid(), "ec112_supervisor": daemon.supervisor_pid,
                "sipp_takers": desks.uas.pid, "sse_clients": sse.pid, "api_probe": probe.pid, "ami_watch": ami.pid}
        sampler = Sampler(lambda: pids)
        sampler.start()
        cleanup.callback(sampler.stop)
        warm_up(asterisk, plan.warmup_calls, workdir / "warmup")
        progress(f"surge: {plan.surge_callers} callers at {plan.surge_rate:g}/s for {len(takers)} call takers")
        surge = _surge(plan, asterisk, daemon, Ec112Probe(daemon, sse, probe), sampler, workdir, len(takers), progress)
        sse.stop()
        ami.stop()  # both write their final file at SIGTERM
        surge["engine"] = daemon.engine
        surge["sse_lag"] = lag = sse_lag(ami.read(), sse.read())
        progress(f"surge: SSE lag behind Asterisk p50/p99/max {lag['p50_ms']}/{lag['p99_ms']}/{lag['max_ms']} ms "
                 f"({lag['samples']} samples, {lag['unseen']} unseen); ec112 RSS peak "
                 f"{surge['rss_peak_mib'].get('ec112')} MiB with {surge['peak_calls_asterisk']} calls up at once")
        return surge


def _surge(plan: Plan, asterisk: BenchAsterisk, daemon: BenchDaemon, ec112: Ec112Probe, sampler: Sampler,
           workdir: Path, takers: int, progress: Callable[[str], None]) -> dict[str, Any]:
    load = Load(exten=EMERGENCY_EXTEN, rate=plan.surge_rate, calls=plan.surge_callers, caller_prefix=CALLER_PREFIX,
                bye_timeout_ms=int(plan.surge_time_bound() * 1000))
    ec112.mark()
    first = sampler.sample()
    started = time.monotonic()
    citizens = start_calls(asterisk, load, workdir / "citizens")
    peak_asterisk, peak_calls = _watch_queue(asterisk, citizens.running, plan.surge_time_bound())
    result = finish_calls(citizens, timeout=plan.surge_time_bound())
    last = sampler.sample()
    seconds = time.monotonic() - started
    left = wait_drained(asterisk)
    ec112_figures = ec112.figures(load)  # first: it measures how long ec112's live view lags behind
    presence = _presence_after(daemon)
    usage = sampler.usage(first, last)
    surge: dict[str, Any] = {
        "callers": plan.surge_callers, "takers": takers, "rate": plan.surge_rate,
        "ring_ms": plan.surge_ring_ms, "talk_ms": plan.surge_talk_ms,
        **call_figures(load, result), **ec112_figures,
        "seconds": round(seconds, 1), "channels_left": left, "peak_waiting_asterisk": peak_asterisk,
        "peak_calls_asterisk": peak_calls,
        "presence_after": presence, "cpu_pct": usage.cpu_pct, "rss_peak_mib": usage.rss_peak_mib,
        "machine_busy_pct": usage.machine_busy_pct, "api_p99_limit_ms": plan.api_p99_limit_ms,
    }
    surge["none_lost"] = none_lost(surge)
    api = surge["api_queues"]
    surge["api_responsive"] = api["errors"] == 0 and api["p99_ms"] is not None and api["p99_ms"] < plan.api_p99_limit_ms
    progress(f"surge: {surge['completed']}/{plan.surge_callers} answered, {surge['failed']} failed, "
             f"peak waiting {peak_asterisk} (Asterisk) / {api['peak_waiting']} (ec112), "
             f"tickets {surge['tickets']}, GET /api/queues p99 {api['p99_ms']} ms")
    return surge


def none_lost(surge: dict[str, Any]) -> bool:
    tickets = surge["tickets"]
    callers = surge["callers"]
    return bool(surge["completed"] == callers and surge["failed"] == 0 and tickets["created"] == callers
                and tickets["lost"] == 0 and tickets["duplicated"] == 0 and tickets["answered_by_taker"] == callers
                and surge["channels_left"] == 0 and surge["presence_after"]["waiting"] == 0
                and surge["presence_after"]["calls"] == 0)


def _log_in(daemon: BenchDaemon, takers: list[str], timeout: float = 15.0) -> None:
    """Each taker joins the 112 queue through ec112 (as at the console), then shows as available."""
    with daemon.client() as client:
        for name in takers:
            client.post(f"/api/agents/{name}/login").raise_for_status()
        deadline = time.monotonic() + timeout
        while True:
            agents = {a["endpoint"]: a["state"] for a in client.get("/api/agents").json()}
            if all(agents.get(name) == "available" for name in takers):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"call takers not available in ec112 after {timeout} s: {agents}")
            time.sleep(0.2)


def _watch_queue(asterisk: BenchAsterisk, running: Callable[[], bool], timeout: float) -> tuple[int, int]:
    """Asterisk's own counts of waiting callers and of calls up (waiting or talking), polled until the
    citizens' SIPp ends; returns both peaks."""
    peak = peak_calls = 0
    deadline = time.monotonic() + timeout
    while running() and time.monotonic() < deadline:
        time.sleep(1.0)
        try:
            shown = asterisk.rx(f"queue show {asterisk.config.queue}")
            calls = asterisk.rx("core show channels count")
        except RuntimeError:
            continue
        found, active = _QUEUE_CALLS.search(shown), _ACTIVE_CALLS.search(calls)
        if found:
            peak = max(peak, int(found.group(1)))
        if active:
            peak_calls = max(peak_calls, int(active.group(1)))
    return peak, peak_calls


def _presence_after(daemon: BenchDaemon, timeout: float = 15.0) -> dict[str, int]:
    """ec112's view once Asterisk is empty: nobody waiting, no call in progress (it may lag a moment)."""
    deadline = time.monotonic() + timeout
    with daemon.client() as client:
        while True:
            waiting = sum(len(q["waiting"]) for q in client.get("/api/queues").json())
            calls = len(client.get("/api/calls").json())
            if (waiting == 0 and calls == 0) or time.monotonic() > deadline:
                return {"waiting": waiting, "calls": calls}
            time.sleep(0.2)
