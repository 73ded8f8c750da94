"""A whole benchmark run: the rate ramp, then the surge, then the report files."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ec112.lab.asterisk import AsteriskFlavor

from . import report as reports
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
    if ramp:
        report["ramp"] = run_ramp(plan, flavor, workdir / "ramp", progress)
        report["ramp"]["sse_clients"] = plan.sse_clients
        report["asterisk_version"] = " ".join(report["ramp"].pop("asterisk_version", "").split()[:2])
    if surge:
        report["surge"] = run_surge(plan, flavor, workdir / "surge", progress)
    report["verdict"] = verdict(report)
    json_path, md_path = reports.write(report, out_dir, stem)
    progress(f"report: {json_path} and {md_path}")
    return report


def verdict(report: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "ramp" in report:
        out["ratio_ec112_to_bare"] = report["ramp"]["ratio_ec112_to_bare"]
        out["max_sustained_rate"] = report["ramp"]["max_sustained_rate"]
    if "surge" in report:
        out["surge_none_lost"] = report["surge"]["none_lost"]
        out["surge_api_responsive"] = report["surge"]["api_responsive"]
    return out
