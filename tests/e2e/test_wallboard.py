"""The supervisor's wallboard in a real headless Chromium, against the real `ec112 serve`, Asterisk and SIPp.

A real 112 call waits (its wait ticks), the call taker takes it, she classifies the ticket from her own
session meanwhile — and the board follows every step live, without a reload. Then the board must stay
right across a page reload and across an ec112 restart during which the call ends (the live stream drops,
the board says so, reconnects by itself and re-syncs).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from playwright.sync_api import Page, expect

from .browser import GuardedContext, screenshot
from .wallboard_support import add_user, api_session, browser_login, seconds

pytestmark = pytest.mark.e2e

SPV_PASSWORD = "spv-sandi-wallboard"
TAKER_PASSWORD = "siti-sandi-taker01"
CALLER = "+6281355550001"
LIVE_MS = 20_000


def _no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_wallboard_follows_a_real_call_live_and_resyncs_after_reconnects(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone],
    citizen_call: Callable[..., CitizenCall], new_context: Callable[..., GuardedContext],
) -> None:
    add_user(ec112, "spv01", "supervisor", SPV_PASSWORD, name="Supervisor Shift")
    add_user(ec112, "siti", "call_taker", TAKER_PASSWORD, endpoint="taker01", name="Siti Petugas")
    taker("taker01", ring_ms=500, talk_ms=120_000, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    ec112.cli("agent", "pause", "taker01", "--reason", "briefing")

    board = new_context(viewport={"width": 1920, "height": 1080})
    page = board.new_page()
    browser_login(page, ec112.base_url, "spv01", SPV_PASSWORD, "/wallboard")
    wallboard = page.locator("#wallboard")
    expect(wallboard).to_have_attribute("data-connection", "live", timeout=LIVE_MS)
    taker_row = page.locator('#wb-agent-table tr[data-endpoint="taker01"]')
    state = taker_row.locator("[data-state]")
    expect(taker_row).to_contain_text("Siti Petugas")
    expect(state).to_have_attribute("data-state", "paused")
    expect(state).to_have_text("Jeda")
    expect(taker_row).to_contain_text("(briefing)")
    page.evaluate("window.ec112NotReloaded = true")  # gone if anything reloads the page

    # A citizen calls 112; nobody can take it yet: it waits, and its wait ticks.
    citizen_call(caller_number=CALLER, caller_name="Wallboard Test", wait_for_bye_ms=180_000)
    waiting = page.locator("#wb-waiting tbody tr")
    expect(waiting).to_have_count(1, timeout=LIVE_MS)
    expect(waiting.first).to_contain_text(CALLER)
    expect(page.locator("#wb-waiting-count")).to_have_text("1")
    (ticket,) = ec112.wait_for_tickets(lambda t: len(t) == 1)
    number = ticket["number"]
    expect(waiting.first).to_contain_text(number)
    expect(page.locator("#wb-tickets-new [data-status]")).to_have_text("1")
    timer = waiting.first.locator(".wb-timer")
    before = seconds(timer.inner_text())
    page.wait_for_timeout(2500)
    assert seconds(timer.inner_text()) >= before + 2, "the wait does not tick"
    # Past the configured 10 s (green) the wait turns amber, in the queue and as the longest wait now.
    longest = page.locator("#wb-longest-wait")
    expect(longest.locator(".wb-timer")).to_be_visible(timeout=LIVE_MS)
    expect(longest).to_have_attribute("data-rating", "amber", timeout=LIVE_MS)
    expect(longest).to_contain_text("Waspada")
    expect(timer).to_have_class(re.compile(r"\brating-amber\b"))
    screenshot(page, "wallboard-caller-waiting-1920x1080")

    # The call taker comes back: Asterisk rings her and she answers.
    ec112.cli("agent", "unpause", "taker01")
    expect(state).to_have_attribute("data-state", "on_call", timeout=LIVE_MS)
    expect(taker_row).to_contain_text(number)
    expect(waiting).to_have_count(0)
    expect(page.locator("#wb-queue")).to_contain_text("Tidak ada penelepon yang menunggu.")
    expect(page.locator('#wb-kpis [data-period="today"][data-kpi="answered"]')).to_have_text("1", timeout=LIVE_MS)

    # Meanwhile she classifies the call from her own session: the open tickets change on the board.
    client, headers = api_session(ec112.base_url, "siti", TAKER_PASSWORD)
    done = client.post(f"/api/tickets/{number}/classification", headers=headers,
                       json={"classification": "darurat", "category": "kebakaran", "address": "Jl. Merdeka 1"})
    assert done.status_code == 200, done.text
    client.close()
    expect(page.locator("#wb-tickets-new [data-status]")).to_have_text("0", timeout=LIVE_MS)
    expect(page.locator("#wb-tickets-classified [data-status]")).to_have_text("1")
    assert page.evaluate("window.ec112NotReloaded") is True
    assert _no_horizontal_scroll(page)
    screenshot(page, "wallboard-1920x1080")

    # A reload (or a new wallboard screen) shows the same room.
    page.reload()
    expect(wallboard).to_have_attribute("data-connection", "live", timeout=LIVE_MS)
    expect(state).to_have_attribute("data-state", "on_call")
    expect(taker_row).to_contain_text(number)
    expect(page.locator("#wb-tickets-classified [data-status]")).to_have_text("1")
    page.set_viewport_size({"width": 1366, "height": 768})
    assert _no_horizontal_scroll(page)
    screenshot(page, "wallboard-1366x768")
    page.evaluate("window.ec112NotReloaded = true")

    # ec112 restarts; while it is down the call ends in Asterisk. The board says it lost the stream,
    # reconnects by itself and re-syncs: no call any more, the taker off the call, the ticket still classified.
    ec112.stop()
    expect(wallboard).to_have_attribute("data-connection", "lost", timeout=LIVE_MS)
    asterisk.rx("channel request hangup all")
    ec112.start()
    expect(wallboard).to_have_attribute("data-connection", "live", timeout=60_000)
    expect(state).to_have_attribute("data-state", re.compile(r"^(wrap_up|available)$"), timeout=LIVE_MS)
    expect(taker_row).not_to_contain_text(number)
    expect(page.locator("#wb-queue")).to_contain_text("Panggilan di pesan sambutan: 0 · panggilan sedang dilayani: 0")
    expect(page.locator("#wb-tickets-classified [data-status]")).to_have_text("1")
    expect(page.locator('#wb-kpis [data-period="today"][data-kpi="answered"]')).to_have_text("1")
    expect(page.locator("#wb-ami-down")).to_have_count(0)
    assert page.evaluate("window.ec112NotReloaded") is True, "the board re-synced by reloading the page"
    screenshot(page, "wallboard-after-ec112-restart")
    page_errors = [p for p in board.problems if p.startswith("[pageerror]")]
    assert page_errors == []
