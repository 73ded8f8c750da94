"""Reports against real Asterisk: real calls (one answered by a pjsua2 call taker, one abandoned in the queue) give
the same figures in the report of today as in the live wallboard KPIs (/api/kpis), and the CSV says so too."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon

pytestmark = pytest.mark.integration

WITA = ZoneInfo("Asia/Makassar")  # the shipped [callcenter] timezone
SAME = ("offered", "answered", "abandoned", "hung_up_in_intake", "in_progress", "avg_answer_seconds",
        "pct_answered_within_10s", "pct_answered_within_20s", "abandon_rate_pct")


def test_the_report_of_today_equals_the_live_kpis(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
) -> None:
    taker("taker01", ring_ms=300, talk_ms=1200, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    answered = citizen_call(caller_number="+6281355550001")
    assert answered.wait(timeout=40) == 0, answered.diagnostics()
    ec112.wait_for_tickets(lambda t: len(t) == 1 and t[0]["ended_at"] is not None)
    ec112.cli("agent", "pause", "taker01", "--reason", "briefing")
    abandoned = citizen_call(caller_number="+6281355550002", hang_up_after_ms=2500, name="abandons")
    assert abandoned.wait(timeout=40) == 0, abandoned.diagnostics()
    ec112.wait_for_tickets(lambda t: len(t) == 2 and all(x["ended_at"] for x in t))

    (today,) = [p for p in ec112.get("/api/kpis") if p["period"] == "today"]
    day = (datetime.fromisoformat(today["start"]) + timedelta(hours=12)).astimezone(WITA).date().isoformat()
    report = ec112.get(f"/api/reports?from={day}&to={day}")
    assert (report["start"], report["end"]) == (
        datetime.fromisoformat(today["start"]).isoformat(), datetime.fromisoformat(today["end"]).isoformat())
    assert (today["offered"], today["answered"], today["abandoned"]) == (2, 1, 1)
    assert {k: report["total"][k] for k in SAME} == {k: today[k] for k in SAME}
    (taker01,) = report["groups"]["taker"]
    assert (taker01["key"], taker01["answered"]) == ("taker01", 1)

    got = httpx.get(f"{ec112.base_url}/reports.csv?from={day}&to={day}", headers=ec112.auth_headers(), timeout=5)
    assert got.status_code == 200
    total = next(csv.DictReader(io.StringIO(got.text.lstrip("\ufeff"))))
    assert (total["grouping"], total["offered"], total["answered"], total["abandoned"]) == ("total", "2", "1", "1")
