"""The benchmark's report: one JSON document (everything measured) and a short Markdown table."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ec112 import __version__

from . import goals
from .engines import ENGINE_LABELS
from .freshness import dirty, warning

LETTERS = "abcdefgh"


def machine() -> dict[str, Any]:
    model, mem_kib = "", 0
    with contextlib.suppress(OSError, StopIteration):
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])  # MemTotal
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": round(mem_kib / 1024 / 1024, 1),
            "kernel": platform.release(), "python": platform.python_version(), "loadavg_at_start": os.getloadavg()}


def versions() -> dict[str, Any]:
    sipp = subprocess.run(["sipp", "-v"], capture_output=True, text=True, check=False).stdout
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
                            cwd=Path(__file__).resolve().parent).stdout.strip()
    return {"ec112": __version__, "git_commit": commit, "git_dirty": dirty(),
            "sipp": next((line.strip() for line in sipp.splitlines() if "SIPp" in line), "")}


def write(report: dict[str, Any], out_dir: Path, stem: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    md_path.write_text(markdown(report))
    return json_path, md_path


def new_report(plan_name: str, flavor: str) -> dict[str, Any]:
    return {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "plan": plan_name,
            "asterisk_flavor": flavor, "machine": machine(), "versions": versions()}


def _pair(d: dict[str, Any] | None, a: str = "p50", b: str = "p99") -> str:
    if not d or (d.get(a) is None and d.get(b) is None):
        return "–"
    return f"{_num(d.get(a))} / {_num(d.get(b))}"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if value < 100 else f"{value:.0f}"
    return str(value)


def variant_label(variant: str, variants: list[str]) -> str:
    letter = LETTERS[variants.index(variant)]
    return f"({letter}) bare" if variant == "bare" else f"({letter}) ec112 {ENGINE_LABELS.get(variant, variant)}"


def _ramp_rows(ramp: dict[str, Any]) -> list[str]:
    rows = ["| variant | calls/s | attempted | completed | failed | tickets (AGI) | INVITE→200 p50 / p99 ms "
            "| intake p50 / p99 ms | CPU Asterisk % | CPU ec112 % | marginal CPU ms/call Asterisk / ec112 "
            "| ec112 RSS MiB | GET /api/queues p99 ms | ec112 live view lag s | machine busy % | sustained |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|"]
    variants = list(ramp["steps"])
    for rate in sorted({s["rate"] for steps in ramp["steps"].values() for s in steps}):
        for variant in variants:
            step = next((s for s in ramp["steps"][variant] if s["rate"] == rate), None)
            if step is None:
                continue
            tickets = step.get("tickets")
            ticket_cell = f"{tickets['created']} ({tickets['via'].get('agi', 0)})" if tickets else "–"
            marginal = step.get("marginal_cpu_ms_per_call", {})
            rows.append(
                f"| {variant_label(variant, variants)} | {rate:g} | {step['attempted']} "
                f"| {step['completed']} | {step['failed']} | {ticket_cell} | {_pair(step['invite_200_ms'])} "
                f"| {_pair(step.get('intake_ms'))} | {_num(step['cpu_pct'].get('asterisk'))} "
                f"| {_num(_ec112_cpu(step))} | {_pair(marginal, 'asterisk', 'ec112')} "
                f"| {_num(step['rss_peak_mib'].get('ec112'))} "
                f"| {_num((step.get('api_queues') or {}).get('p99_ms'))} | {_num(step.get('presence_lag_s'))} "
                f"| {_num(step['machine_busy_pct'])} "
                f"| {_verdict(step)} |")
    return rows


def _verdict(step: dict[str, Any]) -> str:
    if step.get("takers_sipp_died"):
        return "**no: the takers' SIPp died (bench)**"
    if step["sustained"]:
        return "yes"
    return "no (fail-open)" if step["zero_failed"] else "**no**"


def _ec112_cpu(step: dict[str, Any]) -> float | None:
    cpu = step["cpu_pct"]
    if "ec112" not in cpu:
        return None
    return round(float(cpu["ec112"]) + float(cpu.get("ec112_supervisor", 0.0)), 1)


def markdown(report: dict[str, Any]) -> str:
    m, v = report["machine"], report["versions"]
    engines = ", ".join(ENGINE_LABELS[e] for e in report.get("engines", ["sqlite"]))
    lines = [f"# ec112 benchmark ({report['plan']}, {report['generated_at']})", "",
             f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, Linux {m['kernel']}; "
             f"load average at start {', '.join(f'{x:.2f}' for x in m['loadavg_at_start'])} (shared machine). "
             f"{report.get('asterisk_version', 'Asterisk ' + report['asterisk_flavor'])}, {v['sipp']}, "
             f"ec112 {v['ec112']} ({v['git_commit']}{' + uncommitted changes' if v.get('git_dirty') else ''}), "
             f"{engines}.", ""]
    if "goals" in report:
        met = all(row["met"] for row in report["goals"])
        lines += ["## Goals", "", *goals.markdown(report["goals"]), "",
                  f"**{'All goals met.' if met else 'Not every goal is met.'}**", ""]
    ramp = report.get("ramp")
    if ramp:
        lines += _ramp_section(ramp)
    surge = report.get("surge")
    if surge:
        lines += _surge_section(surge)
    committed = report.get("committed_report")
    if committed:
        note = warning(committed)
        lines += ["## The committed report", "",
                  note or f"{committed['report']} measured {committed['measured']}; no code changed after it.", ""]
    return "\n".join(lines)


def _ramp_section(ramp: dict[str, Any]) -> list[str]:
    best, loose = ramp["max_sustained_rate"], ramp["max_zero_failed_rate"]
    variants = list(ramp["steps"])
    top = [variant_label(variant, variants) for variant, hit in ramp["limited_by_ramp_top"].items() if hit]
    top_note = f" ({' and '.join(top)} sustained the top of the ramp: its limit is higher)" if top else ""
    headline = ", ".join(f"{variant_label(variant, variants)} {best[variant]:g}/s" for variant in variants)
    ratios = ", ".join(f"{ENGINE_LABELS[e]} {_ratio(ramp['ratio_sustained'][e])}" for e in ramp["engines"])
    loose_ratios = ", ".join(f"{ENGINE_LABELS[e]} {loose[e]:g}/s → {_ratio(ramp['ratio_zero_failed'][e])}"
                             for e in ramp["engines"])
    return ["## Rate ramp: bare Asterisk vs Asterisk + ec112 (SQLite, PostgreSQL)", "",
            f"{ramp['step_seconds']:g} s of calls per step, {ramp['takers']} call takers (ring {ramp['ring_ms']} ms, "
            f"talk {ramp['talk_ms']} ms), {ramp.get('sse_clients', 3)} SSE clients and GET /api/queues every 100 ms "
            "while ec112 runs, each ec112 start on a fresh database. CPU in % of one core while the calls are "
            "placed; marginal CPU per call = (CPU until the step settled − the idle rate measured just before "
            "× that time) / calls.", "",
            *_ramp_rows(ramp), "",
            f"**Highest rate sustained with 0 failed calls: {headline} → ratio ec112/bare: {ratios}**{top_note}. "
            "Sustained: every call answered, connected to a taker and ended, none failed, the rate reached; with "
            "ec112 also exactly one ticket per call, every one from ec112's intake (none from the dialplan's "
            "fail-open path).", "",
            f"Counting fail-open calls as success (0 failed calls, one ticket each, some opened by ec112's AMI "
            f"path): {loose_ratios}.", ""]


def _surge_section(surge: dict[str, Any]) -> list[str]:
    api, t, lag = surge["api_queues"], surge["tickets"], surge.get("sse_lag", {})
    return ["## Surge: callers waiting at once", "",
            "| callers | takers | answered | failed | peak waiting (Asterisk / ec112) | peak calls up "
            "| tickets (one each) | intake p50 / p99 ms | GET /api/queues p50 / p99 / max ms "
            "| SSE lag p50 / p99 / max ms | CPU Asterisk / ec112 % | ec112 RSS MiB | none lost |",
            "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|",
            f"| {surge['callers']} | {surge['takers']} | {surge['completed']} | {surge['failed']} "
            f"| {surge['peak_waiting_asterisk']} / {api['peak_waiting']} | {surge.get('peak_calls_asterisk', '–')} "
            f"| {t['created']} (lost {t['lost']}, doubled {t['duplicated']}) | {_pair(surge['intake_ms'])} "
            f"| {_num(api['p50_ms'])} / {_num(api['p99_ms'])} / {_num(api['max_ms'])} "
            f"| {_num(lag.get('p50_ms'))} / {_num(lag.get('p99_ms'))} / {_num(lag.get('max_ms'))} "
            f"| {_num(surge['cpu_pct'].get('asterisk'))} / {_num(_ec112_cpu(surge))} "
            f"| {_num(surge['rss_peak_mib'].get('ec112'))} | {'yes' if surge['none_lost'] else '**NO**'} |", "",
            f"ec112 on {ENGINE_LABELS.get(surge.get('engine', 'sqlite'), '')}; {surge['rate']:g} calls/s placed, "
            f"ring {surge['ring_ms']} ms, talk {surge['talk_ms']} ms, queue drained in {surge['seconds']:g} s. "
            f"SSE lag: {lag.get('samples', 0)} samples (join: p99 {_num(lag.get('joined', {}).get('p99_ms'))} ms, "
            f"answer: p99 {_num(lag.get('answered', {}).get('p99_ms'))} ms), {lag.get('unseen', 0)} moments never "
            f"shown, {lag.get('join_not_shown_waiting', 0)} joins answered before ec112 showed them waiting.", ""]
