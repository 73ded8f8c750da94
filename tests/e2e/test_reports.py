"""The reports in a real headless Chromium, for real 112 calls through Asterisk: /reports with its SVG charts and
tables, the CSV download, and the printable monthly report (print media: no menu, A4 PDF), in Indonesian.
Screenshots (and the PDF) are kept in artifacts/e2e/."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon
from playwright.sync_api import expect

from .browser import GuardedContext, artifacts_dir, screenshot
from .wallboard_support import add_user, browser_login

pytestmark = pytest.mark.e2e

PASSWORD = "spv-sandi-laporan"


def test_reports_page_csv_and_printable_monthly_report(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
    new_context: Callable[..., GuardedContext],
) -> None:
    add_user(ec112, "spv05", "supervisor", PASSWORD)
    taker("taker01", ring_ms=300, talk_ms=1200, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    call = citizen_call(caller_number="+6281366660001")
    assert call.wait(timeout=40) == 0, call.diagnostics()
    ec112.wait_for_tickets(lambda t: len(t) == 1 and t[0]["ended_at"] is not None)

    context = new_context()
    page = context.new_page()
    browser_login(page, ec112.base_url, "spv05", PASSWORD, "/reports")
    expect(page.locator("h1")).to_have_text("Laporan")
    expect(page.locator('nav a[href="/reports"]')).to_have_attribute("aria-current", "page")
    expect(page.locator('[data-figure="offered"]')).to_have_text("1")
    expect(page.locator('[data-figure="answered"]')).to_have_text("1")
    expect(page.locator("#report-takers tr[data-key='taker01'] [data-col='answered']")).to_have_text("1")
    expect(page.locator("#chart-calls rect.bar-answered[data-value]:not([data-value='0'])")).to_have_count(1)
    assert page.locator("svg.chart").count() == 2
    screenshot(page, "reports")

    with page.expect_download() as download:
        page.locator("#report-csv").click()
    saved = download.value.path()
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert (rows[0]["grouping"], rows[0]["offered"], rows[0]["answered"]) == ("total", "1", "1")
    assert download.value.suggested_filename.startswith("ec112-report-")

    page.locator("#report-monthly").click()
    page.wait_for_url("**/reports/monthly?month=*")
    expect(page.locator(".monthly-regency")).to_have_text("Kabupaten Penajam Paser Utara")
    expect(page.locator("#monthly-received")).to_contain_text("1 panggilan ke 112 masuk pada bulan ini.")
    expect(page.locator("#monthly-answered [data-figure='answered']")).to_have_text("1")
    screenshot(page, "reports-monthly")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()  # the menu is not printed
    expect(page.locator("#monthly-report")).to_be_visible()
    screenshot(page, "reports-monthly-print")
    pdf = artifacts_dir() / "reports-monthly.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert context.problems == []
