"""Is the committed report (bench/results/latest.json) a report of the current code?

A report names the commit it measured (``versions.git_commit``; ``git_dirty`` when the measured tree had
uncommitted changes to the code). It cannot name the commit that adds it, so the commits after the measured
one may legitimately change the report itself and the prose around it (bench/results/, README.md). The
report is STALE when anything that decides what is measured changed after that commit: src/ (ec112),
asterisk-conf/ (the dialplan, queues, AMI) or bench/ outside bench/results/ (the load, the scenarios, the
bare context, how figures are computed). A stale report is a warning, not a failure: CI cannot rerun the
7-minute benchmark, but nobody should quote a stale figure as the current code's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "bench" / "results" / "latest.json"
CODE_PATHS = ("src", "asterisk-conf", "bench")
NOT_CODE = ("bench/results/",)


def _git(*args: str) -> tuple[int, str]:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout.strip()


def dirty() -> bool:
    """Uncommitted changes to the measured code in this checkout (the report then says so)."""
    code, out = _git("status", "--porcelain", "--", *CODE_PATHS)
    return code == 0 and any(not line[3:].startswith(NOT_CODE) for line in out.splitlines())


def staleness(report_path: Path = COMMITTED) -> dict[str, Any]:
    """What the committed report measured and which code files changed in the commits after it."""
    try:
        versions = json.loads(report_path.read_text())["versions"]
    except (OSError, ValueError, KeyError) as exc:
        return {"report": str(report_path), "measured": None, "stale": True, "reason": f"unreadable: {exc}"}
    measured = versions.get("git_commit") or ""
    code, full = _git("rev-parse", "--verify", "--quiet", f"{measured}^{{commit}}")
    if not measured or code != 0:
        return {"report": str(report_path), "measured": measured, "stale": True,
                "reason": "the measured commit is not in this repository's history"}
    _, head = _git("rev-parse", "HEAD")
    _, last_code = _git("log", "-1", "--format=%h", "--", *CODE_PATHS, *(f":!{p}" for p in NOT_CODE))
    _, names = _git("diff", "--name-only", f"{full}..HEAD", "--", *CODE_PATHS, *(f":!{p}" for p in NOT_CODE))
    changed = [name for name in names.splitlines() if name]
    on_history = subprocess.run(["git", "merge-base", "--is-ancestor", full, "HEAD"], cwd=REPO,
                                check=False).returncode == 0
    out: dict[str, Any] = {"report": str(report_path.relative_to(REPO)) if report_path.is_relative_to(REPO)
                           else str(report_path), "measured": measured, "head": head[:10],
                           "last_code_commit": last_code, "changed_since": changed[:20],
                           "changed_count": len(changed), "measured_dirty": bool(versions.get("git_dirty"))}
    out["stale"] = bool(changed) or not on_history or out["measured_dirty"]
    out["reason"] = ("" if not out["stale"] else
                     "the measured commit is not an ancestor of HEAD" if not on_history else
                     "measured with uncommitted code changes" if out["measured_dirty"] and not changed else
                     f"{len(changed)} code file(s) changed after the measured commit (last: {last_code})")
    return out


def warning(state: dict[str, Any]) -> str | None:
    if not state.get("stale"):
        return None
    shown = ", ".join(state.get("changed_since", [])[:6])
    more = f" (+{state['changed_count'] - 6} more)" if state.get("changed_count", 0) > 6 else ""
    return (f"WARNING: {state['report']} measured ec112 at {state.get('measured')} and is OLDER than the code it "
            f"describes: {state['reason']}{': ' + shown + more if shown else ''}. Run `make bench` on the current "
            "code before quoting its figures.")
