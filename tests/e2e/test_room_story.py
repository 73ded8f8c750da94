"""Issue 4's story in one run: a call taker and her supervisor, two browsers, one real 112 call.

The call taker logs in to her console; a citizen's call is answered by her SIPp desk phone; the ticket pops
up in her console within a second (no reload); she classifies it and saves; the supervisor's wallboard, open
in a second browser context, shows her on the call and then the classified ticket, live.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from harness import CitizenCall, PidfPoint, TakerPhone
from harness.daemon import Ec112Daemon
from playwright.sync_api import expect

from .browser import GuardedContext, screenshot
from .wallboard_support import add_user, browser_login

pytestmark = pytest.mark.e2e
TAKER_PASSWORD = "sandi-siti-room-story"
SPV_PASSWORD = "sandi-spv-room-story"
CALLER = "+6281277770001"
POP_DEADLINE_S = 1.0
LIVE_MS = 15_000


def _on_call_since(daemon: Ec112Daemon, endpoint: str, timeout: float = 30.0) -> float:
    """Poll the API until the taker is on the call; the wall-clock time it was first seen so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agent = next((a for a in daemon.get("/api/agents") if a["endpoint"] == endpoint), None)
        if agent is not None and agent["state"] == "on_call":
            return time.time()
        time.sleep(0.02)
    raise AssertionError(f"{endpoint} never went on_call\n{daemon.log_tail()}")


def test_call_taker_classifies_in_her_console_and_the_wallboard_follows_live(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
    new_context: Callable[..., GuardedContext],
) -> None:
    add_user(ec112, "siti", "call_taker", TAKER_PASSWORD, endpoint="taker01", name="Siti Petugas")
    add_user(ec112, "spv01", "supervisor", SPV_PASSWORD, name="Supervisor Shift")
    taker("taker01", ring_ms=300, talk_ms=20_000, max_calls=1)

    console = new_context().new_page()
    browser_login(console, ec112.base_url, "siti", TAKER_PASSWORD, "/console")
    console.get_by_role("button", name="Masuk antrean").click()
    expect(console.locator("#my-state-label")).to_have_text("Tersedia")
    console.evaluate("window.ec112NotReloaded = true")

    board = new_context(viewport={"width": 1920, "height": 1080}).new_page()
    browser_login(board, ec112.base_url, "spv01", SPV_PASSWORD, "/wallboard")
    expect(board.locator("#wallboard")).to_have_attribute("data-connection", "live", timeout=LIVE_MS)
    board.evaluate("window.ec112NotReloaded = true")
    classified = board.locator("#wb-tickets-classified [data-status]")
    before = int(classified.inner_text())

    # The call: answered by her SIPp phone, popped in her console within a second of going on call.
    console.evaluate("""() => { window.__popped = null;
        new MutationObserver(() => { if (!window.__popped && document.querySelector('.cs-ticket-card'))
            window.__popped = Date.now(); }).observe(document.body, {childList: true, subtree: true}); }""")
    citizen_call(caller_number=CALLER, location=PidfPoint(-6.9175, 107.6191), name="room")
    on_call_at = _on_call_since(ec112, "taker01")
    console.wait_for_function("() => window.__popped !== null", timeout=10_000)
    popped_at = console.evaluate("() => window.__popped") / 1000
    assert popped_at - on_call_at < POP_DEADLINE_S, f"popped {popped_at - on_call_at:.3f} s after on_call"
    card = console.locator(".cs-ticket-card").first
    number = card.get_attribute("data-number")
    assert number is not None
    expect(card.locator(".cs-caller-number")).to_have_text(CALLER)
    taker_row = board.locator('#wb-agent-table tr[data-endpoint="taker01"]')
    expect(taker_row.locator("[data-state]")).to_have_attribute("data-state", "on_call", timeout=LIVE_MS)

    # She classifies with the keyboard and saves; the supervisor sees it without reloading.
    console.keyboard.press("Alt+1")
    card.locator("select[name=category]").select_option("kecelakaan_lalu_lintas")
    card.locator("input[name=address]").fill("Jl. Asia Afrika, depan Gedung Merdeka")
    card.locator("textarea[name=description]").fill("Tabrakan motor dan mobil, satu orang luka")
    console.keyboard.press("Control+Enter")
    expect(card.locator(".cs-form-message[data-role=message]")).to_have_text("Tersimpan.")
    expect(classified).to_have_text(str(before + 1), timeout=LIVE_MS)
    screenshot(console, "story-console-classified")
    screenshot(board, "story-wallboard-after-classification")

    ticket = ec112.get(f"/api/tickets/{number}")
    assert (ticket["classification"], ticket["category"], ticket["classified_by"]) == (
        "darurat", "kecelakaan_lalu_lintas", "siti")
    assert console.evaluate("() => window.ec112NotReloaded === true")
    assert board.evaluate("() => window.ec112NotReloaded === true")
