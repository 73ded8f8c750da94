"""The benchmark as tests: the bounded smoke run (`make bench-smoke`, part of `make test`, well under 90 s) and
the full run (`make bench`, marked slow: several minutes, writes bench/results/latest.{json,md}).

EC112_BENCH_ASTERISK (or EC112_TEST_ASTERISK) picks the Asterisk flavor ("16" default, "22"). A flavor or SIPp
that is not installed FAILS the test: a skipped benchmark looks green in CI.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from bench.plan import FULL, SMOKE
from bench.run import RESULTS, SMOKE_RESULTS, run_benchmark
from ec112.lab.asterisk import AsteriskFlavor, AsteriskNotInstalledError

pytestmark = pytest.mark.integration


@pytest.fixture
def flavor() -> AsteriskFlavor:
    name = os.environ.get("EC112_BENCH_ASTERISK", os.environ.get("EC112_TEST_ASTERISK", "16"))
    try:
        chosen = AsteriskFlavor.by_name(name)
        chosen.ensure_installed()
    except (ValueError, AsteriskNotInstalledError) as exc:
        pytest.fail(f"Asterisk {name}: {exc}", pytrace=False)
    if shutil.which("sipp") is None:
        pytest.fail("sipp is not installed: run `sudo scripts/install.sh`", pytrace=False)
    return chosen


def _check_ec112_step(step: dict[str, Any]) -> None:
    calls = step["target_calls"]
    assert step["tickets"] == {"created": calls, "via": {"agi": calls}, "lost": 0, "duplicated": 0,
                               "answered_by_taker": calls}, step
    assert step["intake_ms"]["count"] == calls
    assert 0 < step["intake_ms"]["p50"] <= step["intake_ms"]["p99"]
    assert step["cpu_pct"]["ec112"] > 0
    assert step["rss_peak_mib"]["ec112"] > 20
    received = step["sse_events_per_client"]
    assert len(received) == SMOKE.sse_clients
    assert min(received) > 0
    assert len(set(received)) == 1, f"the SSE clients saw different streams: {received}"
    assert step["api_queues"]["requests"] > 0
    assert step["api_queues"]["errors"] == 0


def test_smoke_benchmark_loses_nothing_and_reports_both_variants(flavor: AsteriskFlavor, tmp_path: Path) -> None:
    report = run_benchmark(SMOKE, flavor, tmp_path, out_dir=SMOKE_RESULTS, stem="smoke", progress=print)

    ramp = report["ramp"]
    for variant in ("bare", "ec112"):
        steps = ramp["steps"][variant]
        assert [s["rate"] for s in steps] == list(SMOKE.rates), f"{variant} stopped early: {steps}"
        for step in steps:
            assert step["sustained"], step
            assert step["attempted"] == step["completed"] == step["target_calls"]
            assert step["failed"] == 0
            assert step["invite_200_ms"]["p50"] is not None
            assert step["cpu_pct"]["asterisk"] > 0
            if variant == "ec112":
                _check_ec112_step(step)
    assert ramp["max_sustained_rate"] == {"bare": max(SMOKE.rates), "ec112": max(SMOKE.rates)}
    assert ramp["ratio_ec112_to_bare"] == 1.0

    surge = report["surge"]
    assert surge["none_lost"], surge
    assert surge["tickets"]["created"] == SMOKE.surge_callers
    assert surge["tickets"]["lost"] == 0
    assert surge["peak_waiting_asterisk"] >= SMOKE.surge_callers // 3, "the queue never filled"
    # Free takers get waiting callers in parallel (queues.conf autofill), not one caller per second.
    assert surge["seconds"] < 0.8 * SMOKE.surge_callers, surge["seconds"]
    assert surge["api_queues"]["errors"] == 0
    assert surge["api_queues"]["p99_ms"] is not None

    markdown = (SMOKE_RESULTS / "smoke.md").read_text()
    assert "| (b) ec112 | 5 |" in markdown
    assert "ratio (b)/(a) = 1.00" in markdown
    assert "## Surge" in markdown


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_full_benchmark(flavor: AsteriskFlavor, tmp_path: Path) -> None:
    report = run_benchmark(FULL, flavor, tmp_path, out_dir=RESULTS, stem="latest", progress=print)

    ramp = report["ramp"]
    for variant in ("bare", "ec112"):
        assert ramp["steps"][variant][0]["sustained"], f"{variant} failed already at {FULL.rates[0]}/s"
    assert ramp["ratio_ec112_to_bare"] is not None
    surge = report["surge"]
    assert surge["none_lost"], surge
    assert surge["api_responsive"], f"GET /api/queues p99 {surge['api_queues']} (limit {FULL.api_p99_limit_ms} ms)"
