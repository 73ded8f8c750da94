"""/reports, /reports.csv and /reports/monthly over real HTTP on the real app: what a supervisor sees and downloads
for a few scripted calls (drills left out), in Indonesian first; who may see them."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from web_stack import WebStack, logged_in, start_stack

from ec112.db.tickets import SqlTicketRepository
from ec112.domain.categories import CategoryCatalogue
from ec112.domain.ticket_work import Classification, ClassificationInput, classify
from ec112.domain.tickets import IntakeChannel, NewCall, answered, ended, joined_queue

WIB = ZoneInfo("Asia/Jakarta")  # the stack's zone
S = timedelta(seconds=1)
PERIOD = "from=2026-11-27&to=2026-11-27"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[WebStack]:
    async for s in start_stack(tmp_path):
        await _seed(SqlTicketRepository(s.engine))
        yield s


async def _seed(repo: SqlTicketRepository) -> None:
    calls = [  # (local hour, answered after s, taker, classification, category, exercise)
        (8, 6, "taker01", Classification.EMERGENCY, "kebakaran", False),
        (9, 18, "taker02", Classification.PRANK, None, False),
        (10, None, "", None, None, False),  # abandoned in the queue
        (11, 2, "taker01", Classification.EMERGENCY, "banjir", True),  # a drill: never in a report
    ]
    for n, (hour, after, taker, kind, category, exercise) in enumerate(calls):
        at = datetime(2026, 11, 27, hour, tzinfo=WIB)
        ticket, _ = await repo.open(NewCall(f"r{n}", f"r{n}", "PJSIP/trunk-1", "0811", "+62811", None, at,
                                            IntakeChannel.AGI, exercise=exercise))
        ticket = joined_queue(ticket, at + S)
        if after is not None:
            ticket = answered(ticket, taker, at + after * S)
        ticket = ended(ticket, at + 90 * S)
        await repo.save(ticket)
        if kind is not None:
            updated, event = classify(ticket, ClassificationInput(kind, category), by=taker, at=at + 60 * S,
                                      categories=CategoryCatalogue())
            await repo.save_work(updated, event)


async def _get(stack: WebStack, user: str, *paths: str) -> list[httpx.Response]:
    client, _ = await logged_in(stack, user)
    try:
        return [await client.get(p) for p in paths]
    finally:
        await client.aclose()


async def test_the_supervisor_sees_the_period_with_charts_in_indonesian(stack: WebStack) -> None:
    (page,) = await _get(stack, "spv", f"/reports?{PERIOD}")
    assert page.status_code == 200
    html = page.text
    assert 'href="/reports"' in html
    assert "Laporan" in html  # the menu entry
    assert '<dd data-figure="offered">3</dd>' in html  # the drill is not counted
    assert '<dd data-figure="answered">2</dd>' in html
    assert '<dd data-figure="pct10">33.3 %</dd>' in html  # 6 s of 3 settled calls
    assert '<dd data-figure="abandon">33.3 %</dd>' in html  # 1 / (2 + 1)
    assert '<dd data-figure="junk">50.0 %</dd>' in html  # prank among 2 classified
    assert html.count('<svg class="chart"') == 2
    assert "<script" not in html.split("<main", 1)[1].split("</main>")[0]
    assert '<tr data-key="taker02">' in html
    assert "Kebakaran" in html
    assert "tanpa kategori" in html
    assert f'href="/reports.csv?{PERIOD.replace("&", "&amp;")}"' in html
    assert 'href="/reports/monthly?month=2026-11"' in html


async def test_the_csv_has_one_row_per_group_with_the_same_figures(stack: WebStack) -> None:
    got, api = await _get(stack, "spv", f"/reports.csv?{PERIOD}", f"/api/reports?{PERIOD}")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"] == 'attachment; filename="ec112-report-2026-11-27-2026-11-27.csv"'
    rows = list(csv.DictReader(io.StringIO(got.text.lstrip("\ufeff"))))
    total = rows[0]
    assert (total["grouping"], total["offered"], total["answered"], total["abandoned"]) == ("total", "3", "2", "1")
    assert (total["pct_answered_within_10s"], total["pct_answered_within_20s"]) == ("33.33", "66.67")
    takers = {r["key"]: r for r in rows if r["grouping"] == "taker"}
    assert set(takers) == {"taker01", "taker02"}
    assert takers["taker02"]["junk_pct"] == "100"
    assert [r["key"] for r in rows if r["grouping"] == "shift"] == ["07:00-15:00"]
    body = api.json()  # the JSON API: the same rows
    assert (body["total"]["offered"], body["total"]["abandon_rate_pct"]) == (3, 100 / 3)
    assert [t["key"] for t in body["groups"]["taker"]] == ["taker01", "taker02"]


async def test_the_monthly_report_is_laid_out_for_kominfo(stack: WebStack) -> None:
    page, wrong = await _get(stack, "spv", "/reports/monthly?month=2026-11", "/reports/monthly?month=2026-13")
    assert page.status_code == 200
    html = page.text
    assert "Kabupaten Penajam Paser Utara" in html
    assert "Diskominfo PPU" in html
    assert "Laporan bulanan layanan Call Center 112" in html
    assert "November 2026" in html
    for section in ("monthly-received", "monthly-answered", "monthly-service", "monthly-junk",
                    "monthly-emergencies", "monthly-agencies", "monthly-response", "monthly-notes"):
        assert f'id="{section}"' in html
    assert "3 panggilan ke 112 masuk pada bulan ini." in html
    assert '/static/css/reports.css' in html
    assert wrong.status_code == 422


async def test_only_those_who_may_see_kpis(stack: WebStack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as anonymous:
        got = await anonymous.get("/reports.csv", follow_redirects=False)
        assert got.status_code in (302, 303, 401)
    (page,) = await _get(stack, "taker01", f"/reports?{PERIOD}")
    assert page.status_code == 200

