"""The rate ramp: (a) bare Asterisk and Asterisk + ec112 on (b) SQLite and (c) PostgreSQL, on the same private
Asterisk, in the same run.

For each rate, (a) runs with ec112 stopped (its AMI link would otherwise track, and open tickets for, the
bare calls), then for each engine ec112 is started on a fresh database (engines.py; SSE clients connected,
the API polled), warmed up with a few calls, its idle CPU measured (marginal.py), and the step runs; then
ec112 stops again. Interleaving the variants step by step gives them the same background load on a shared
machine. A variant stops climbing at its first step with failed calls (or lost tickets); see load.py for
"zero failed" and "sustained".
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ec112.lab.asterisk import AsteriskFlavor

from .daemon import BenchDaemon
from .engines import Databases
from .load import Ec112Probe, Load, run_step, warm_up
from .marginal import measure_idle
from .observers import api_probe, sse_clients, sse_counts
from .plan import Plan
from .procstat import Sampler
from .stack import BARE_EXTEN, EMERGENCY_EXTEN, BenchAsterisk, TakerDesks

log = logging.getLogger("bench")


def run_ramp(plan: Plan, flavor: AsteriskFlavor, workdir: Path, dbs: Databases,
             progress: Callable[[str], None] = log.info) -> dict[str, Any]:
    variants = ("bare", *plan.engines)
    asterisk = BenchAsterisk(flavor, workdir / "lab", bench_takers=plan.ramp_takers, wrapup_seconds=0)
    pids: dict[str, int] = {}
    sampler = Sampler(lambda: dict(pids))
    steps: dict[str, list[dict[str, Any]]] = {variant: [] for variant in variants}
    with contextlib.ExitStack() as cleanup:  # every process is stopped by PID, whatever fails
        asterisk.start()
        cleanup.callback(asterisk.stop)
        pids["asterisk"] = asterisk.pid
        version = asterisk.rx("core show version").strip()
        desks = [_desks(plan, asterisk, workdir / "takers", pids)]
        cleanup.callback(lambda: desks[-1].stop())
        progress(f"ramp: Asterisk {flavor.name} with {len(asterisk.bench_takers)} call takers ready")
        sampler.start()
        cleanup.callback(sampler.stop)
        for index, rate in enumerate(plan.rates, start=1):
            for variant in variants:
                if steps[variant] and not steps[variant][-1]["zero_failed"]:
                    continue  # this variant broke at the previous rate
                step_dir = workdir / f"step{index:02d}-{variant}"
                load = Load(exten=BARE_EXTEN if variant == "bare" else EMERGENCY_EXTEN, rate=rate,
                            calls=plan.calls_per_step(rate), caller_prefix=f"+628{index:02d}{variants.index(variant)}",
                            bye_timeout_ms=int((plan.step_seconds + plan.drain_seconds) * 1000))
                bound = plan.step_seconds + plan.drain_seconds + 15
                if not desks[-1].uas.running():  # the one SIPp answering every taker died in an overload
                    progress("ramp: the call takers' SIPp had died: restarted and registered again")
                    desks.append(_desks(plan, asterisk, workdir / f"takers{len(desks) + 1}", pids))
                if variant == "bare":
                    baseline = measure_idle(sampler, plan.idle_seconds)
                    step = run_step(asterisk, load, step_dir, sampler, time_bound=bound, baseline=baseline,
                                    settle_seconds=plan.settle_seconds)
                else:
                    step = _ec112_step(plan, asterisk, dbs, variant, load, step_dir, sampler, pids, bound)
                # Failures while the takers' SIPp was dead are the bench's, not the variant's: said so in the report.
                step["takers_sipp_died"] = not desks[-1].uas.running()
                steps[variant].append(step)
                progress(_line(variant, step))
    return {"asterisk_version": version, "takers": len(asterisk.bench_takers), "ring_ms": plan.ramp_ring_ms,
            "talk_ms": plan.ramp_talk_ms, "step_seconds": plan.step_seconds, "engines": list(plan.engines),
            "steps": steps, **summary(steps, plan.engines)}


def _desks(plan: Plan, asterisk: BenchAsterisk, workdir: Path, pids: dict[str, int]) -> TakerDesks:
    desks = TakerDesks(asterisk, asterisk.bench_takers, workdir, ring_ms=plan.ramp_ring_ms, talk_ms=plan.ramp_talk_ms)
    pids["sipp_takers"] = desks.uas.pid
    try:
        desks.register()
    except Exception:  # not left running when its takers cannot register
        desks.stop()
        raise
    return desks


def _ec112_step(plan: Plan, asterisk: BenchAsterisk, dbs: Databases, engine: str, load: Load, step_dir: Path,
                sampler: Sampler, pids: dict[str, int], bound: float) -> dict[str, Any]:
    with contextlib.ExitStack() as cleanup:  # LIFO: the daemon stops before its database is dropped
        url = cleanup.enter_context(dbs.fresh(engine))
        daemon = BenchDaemon(asterisk.config, step_dir / "ec112", records=False, database_url=url)
        cleanup.callback(_forget, pids)
        cleanup.callback(daemon.stop)
        daemon.start()
        token = daemon.var_dir / "cli-token"
        sse = sse_clients(daemon.base_url, token, step_dir / "sse.json", plan.sse_clients)
        cleanup.callback(sse.stop)
        probe = api_probe(daemon.base_url, token, step_dir / "probe.json", plan.probe_interval)
        cleanup.callback(probe.stop)
        pids.update(ec112=daemon.worker_pid(), ec112_supervisor=daemon.supervisor_pid, sse_clients=sse.pid,
                    api_probe=probe.pid)
        _wait_sse_connected(sse.read, plan.sse_clients)
        warm_up(asterisk, plan.warmup_calls, step_dir / "warmup")
        time.sleep(1.0)  # the warm-up's aftermath (its tickets, presence) out of the idle baseline
        baseline = measure_idle(sampler, plan.idle_seconds)
        step = run_step(asterisk, load, step_dir, sampler, time_bound=bound, baseline=baseline,
                        settle_seconds=plan.settle_seconds, ec112=Ec112Probe(daemon, sse, probe))
        step["engine"] = engine
        return step


def _forget(pids: dict[str, int]) -> None:
    for name in ("ec112", "ec112_supervisor", "sse_clients", "api_probe"):
        pids.pop(name, None)


def _wait_sse_connected(sse_counts_reader: Callable[[], dict[str, Any]], clients: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshot = sse_counts_reader()
        states = snapshot.get("clients", [])
        if len(states) == clients and all(state["connects"] >= 1 for state in states) and all(
                count >= 1 for count in sse_counts(snapshot)):
            return
        time.sleep(0.1)
    raise RuntimeError(f"SSE clients not connected after {timeout} s: {sse_counts_reader()}")


def summary(steps: dict[str, list[dict[str, Any]]], engines: tuple[str, ...]) -> dict[str, Any]:
    """Per variant the highest rate sustained (and the highest with zero failed calls), and per engine the
    ratios ec112/bare."""
    out: dict[str, Any] = {}
    for key, flag in (("max_sustained_rate", "sustained"), ("max_zero_failed_rate", "zero_failed")):
        best = {variant: _highest(variant_steps, flag) for variant, variant_steps in steps.items()}
        out[key] = best
        out[f"ratio_{flag}"] = {engine: round(best[engine] / best["bare"], 3) if best["bare"] else None
                                for engine in engines}
    out["ratio_ec112_to_bare"] = out["ratio_sustained"]
    out["limited_by_ramp_top"] = {variant: bool(variant_steps) and variant_steps[-1]["sustained"]
                                  and len(variant_steps) == max(len(s) for s in steps.values())
                                  for variant, variant_steps in steps.items()}
    return out


def _highest(steps: list[dict[str, Any]], flag: str) -> float:
    """The highest rate of the unbroken run of steps from the bottom of the ramp that all have ``flag``."""
    best = 0.0
    for step in steps:
        if not step[flag]:
            break
        best = step["rate"]
    return best


def _line(variant: str, step: dict[str, Any]) -> str:
    extra = ""
    if "intake_ms" in step:
        extra = (f" tickets={step['tickets']['created']} via={step['tickets']['via']} "
                 f"intake p50/p99={step['intake_ms']['p50']}/{step['intake_ms']['p99']} ms")
    marginal = step["marginal_cpu_ms_per_call"]
    extra += " marginal CPU ms/call " + ", ".join(f"{k}={v}" for k, v in marginal.items())
    if step.get("takers_sipp_died"):
        extra += " [the call takers' SIPp DIED during this step: its failures are the bench's]"
    return (f"ramp {variant:10} {step['rate']:>5g}/s: {step['completed']}/{step['target_calls']} completed, "
            f"{step['failed']} failed, INVITE->200 p99={step['invite_200_ms']['p99']} ms, cpu={step['cpu_pct']}"
            f"{extra} -> {'sustained' if step['sustained'] else 'NOT sustained'}"
            f"{'' if step['zero_failed'] else ' (calls failed or tickets lost)'}")
