"""Every test here is a fuzz target (marker ``fuzz``); at the end, the cases each ran go to
artifacts/fuzz/fuzz-cases.json and one summary line per target to the terminal."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from .budget import CASES, EXAMPLES, GAPS

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "artifacts" / "fuzz"
_STARTED = time.monotonic()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.fuzz)
            # A long run (EC112_FUZZ_EXAMPLES) needs more than the suite's 120 s per test.
            item.add_marker(pytest.mark.timeout(max(120, EXAMPLES // 5)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not CASES:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = {
        "examples_budget": EXAMPLES,
        "randomized": bool(os.environ.get("EC112_FUZZ_EXAMPLES", "").strip()),
        "seconds": round(time.monotonic() - _STARTED, 1),
        "exit_status": int(exitstatus),
        "cases": dict(sorted(CASES.items())),
        "total_cases": sum(CASES.values()),
        "undeclared_status": dict(sorted(GAPS.items())),
    }
    (ARTIFACTS / "fuzz-cases.json").write_text(json.dumps(report, indent=2) + "\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CASES:
        return
    terminalreporter.section("fuzz cases per target")
    width = max(len(target) for target in CASES)
    for target, count in sorted(CASES.items()):
        terminalreporter.write_line(f"fuzz {target:<{width}}  {count:>6} cases")
    terminalreporter.write_line(f"fuzz {'total':<{width}}  {sum(CASES.values()):>6} cases "
                                f"(budget {EXAMPLES}/target; {ARTIFACTS / 'fuzz-cases.json'})")
    for gap, count in sorted(GAPS.items()):
        terminalreporter.write_line(f"fuzz undeclared status (OpenAPI gap, not a failure): {gap} ({count}x)")
