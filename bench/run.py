"""A whole benchmark run: the rate ramp, then the surge, then the goals and the report files."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ec112.lab.asterisk import AsteriskFlavor

from . import report as reports
from .engines import databases
from .freshness import staleness, warning
from .goals import goals
from .plan import Plan
from .ramp import run_ramp
from .surge import run_surge

log = logging.getLogger("bench")
RESULTS = Path(__file__).resolve().parent / "results"  # the full run: latest.json, latest.md
SMOKE_RESULTS = Path(__file__).resolve().parents[1] / "artifacts" / "bench"  # the CI smoke run


def run_benchmark(plan: Plan, flavor: AsteriskFlavor, workdir: Path, *, out_dir: Path, stem: str,
                  ramp: bool = True, surge: bool = True,
                  progress: Callable[[str], None] = log.info) -> dict[str, Any]:
    """Run, write ``<out_dir>/<stem>.json`` and ``.md``, and return the report."""
    flavor.ensure_installed()
    report = reports.new_report(plan.name, flavor.name)
    engines = [*(plan.engines if ramp else ()), *([plan.surge_engine] if surge else [])]
    report["engines"] = list(dict.fromkeys(engines))
    with databases(engines) as dbs:
        if ramp:
            report["ramp"] = run_ramp(plan, flavor, workdir / "ramp", dbs, progress)
            report["ramp"]["sse_clients"] = plan.sse_clients
            report["asterisk_version"] = " ".join(report["ramp"].pop("asterisk_version", "").split()[:2])
        if surge:
            report["surge"] = run_surge(plan, flavor, workdir / "surge", dbs, progress)
    report["goals"] = goals(report, plan)
    report["verdict"] = {row["goal"]: row["met"] for row in report["goals"]}
    if out_dir != RESULTS:  # any other run says whether the committed report is still the current code's
        report["committed_report"] = state = staleness()
        if note := warning(state):
            progress(note)
    json_path, md_path = reports.write(report, out_dir, stem)
    for row in report["goals"]:
        progress(f"goal {'met    ' if row['met'] else 'NOT MET'}: {row['goal']}: {row['value']} ({row['limit']})")
    progress(f"report: {json_path} and {md_path}")
    return report
