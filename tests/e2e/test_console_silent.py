"""A silent caller, in the call taker's console: a real headless Chromium against the real `ec112 serve`, Asterisk
(16 or 22) and real softphones (pjsua2: the citizen and the taker's desk phone, real RTP and DTMF).

Her phone answers a 112 call; she presses "Penelepon diam" on the card; the card says the caller is being asked;
the citizen hears the shipped Indonesian prompt (sounds/id/silent-call: speech in her recording right after the
press, (near) silence before it, her desk phone sending only a faint tone) and presses 5 5 while it still plays;
the card says
"Diam — penelepon mengonfirmasi" within a second of the keys, live, without a reload; the call is still connected
to her phone.
Screenshot: artifacts/e2e/console-silent-confirmed.png.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from harness.audio import make_tone_wav, voiced_seconds
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone
from playwright.sync_api import Page, expect

from .browser import GuardedContext, screenshot
from .test_console import add_user, log_in

pytestmark = pytest.mark.e2e

CONFIRMED_WITHIN_MS = 1000
LISTEN_SECONDS = 3.0  # of the prompt before the caller presses (the Indonesian one alone lasts ~5.7 s)


def test_silent_caller_confirms_with_5_5_and_the_console_shows_it_within_a_second(
    ec112: Ec112Daemon, asterisk: Lab, browser_context: GuardedContext, page: Page, tmp_path: Path,
) -> None:
    heard = tmp_path / "citizen.heard.wav"
    # Both phones send a faint tone (below voiced_seconds' threshold): real RTP both ways, as from real phones.
    faint = make_tone_wav(tmp_path / "faint.wav", 300, 2.0, amplitude=0.005)
    desk = Softphone.taker(asterisk, "taker01")  # registered before she joins the queue
    desk.auto_answer(after=0.2, play=faint)
    add_user(ec112, "siti", "call_taker", endpoint="taker01")
    log_in(page, ec112, "siti")
    page.get_by_role("button", name="Masuk antrean").click()
    expect(page.locator("#my-state-label")).to_have_text("Tersedia")
    citizen = Softphone.citizen(asterisk, number="081234500914")
    citizen.call("112", play=faint, record=heard)
    citizen.wait_for("confirmed", timeout=10)
    t0 = time.monotonic()  # ≈ the start of the citizen's recording
    desk.wait_for("confirmed", timeout=15)
    answered_at = time.monotonic() - t0

    card = page.locator(".cs-ticket-card:visible")
    expect(card).to_have_count(1, timeout=15_000)
    number = card.get_attribute("data-number") or ""
    silent = card.locator('[data-role="silent"]')
    silent.get_by_role("button", name="Penelepon diam").click()
    pressed_at = time.monotonic() - t0
    state = silent.locator('[data-role="silent-state"]')
    expect(state).to_have_text("Penelepon diam: diminta menekan 5 5…")
    expect(silent.get_by_role("button", name="Penelepon diam")).to_be_disabled()

    time.sleep(LISTEN_SECONDS)
    citizen.dtmf("55")
    sent = time.monotonic()
    expect(state).to_have_text("Diam — penelepon mengonfirmasi", timeout=CONFIRMED_WITHIN_MS)
    shown_after = time.monotonic() - sent
    assert shown_after < CONFIRMED_WITHIN_MS / 1000, shown_after
    expect(silent.get_by_role("button", name="Penelepon diam")).to_be_enabled()
    screenshot(page, "console-silent-confirmed")

    # Still the same call, on her phone; the API agrees with the screen.
    assert not [e for e in citizen.events() + desk.events() if e.get("state") == "disconnected"]
    assert ec112.get(f"/api/tickets/{number}/silent")["state"] == "confirmed"
    assert ec112.get(f"/api/tickets/{number}")["ended_at"] is None
    citizen.hangup()
    citizen.wait_for("disconnected", timeout=10)
    desk.wait_for("disconnected", timeout=10)
    # What the citizen heard: nothing between the answer and the press (her desk phone is silent), then speech.
    assert voiced_seconds(heard, start=answered_at + 0.5, end=pressed_at) < 0.2
    assert voiced_seconds(heard, start=pressed_at, end=pressed_at + LISTEN_SECONDS) > 1.0
