"""A silent caller, in the call taker's console: a real headless Chromium against the real `ec112 serve`, Asterisk
(16 or 22) and real softphones (pjsua2: the citizen and the taker's desk phone, real RTP and DTMF).

Her phone answers a 112 call; she presses "Penelepon diam" on the card; the card says the caller is being asked;
the citizen (who heard the whispered prompt) presses 5 5 and the card says "Diam — penelepon mengonfirmasi" within
a second of the keys, live, without a reload; the call is still connected to her phone.
Screenshot: artifacts/e2e/console-silent-confirmed.png.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from harness.audio import make_tone_wav
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone
from playwright.sync_api import Page, expect

from .browser import GuardedContext, screenshot
from .test_console import add_user, log_in

pytestmark = pytest.mark.e2e

CONFIRMED_WITHIN_MS = 1000
PROMPT_SECONDS = 1.0


def test_silent_caller_confirms_with_5_5_and_the_console_shows_it_within_a_second(
    ec112: Ec112Daemon, asterisk: Lab, browser_context: GuardedContext, page: Page, tmp_path: Path,
) -> None:
    tone = make_tone_wav(tmp_path / "silent-call.wav", 1800, PROMPT_SECONDS)  # stands in for the spoken prompt
    for language in ("id", "en"):
        target = asterisk.config.directory / "sounds" / language
        target.mkdir(parents=True, exist_ok=True)
        (target / "silent-call.wav").write_bytes(tone.read_bytes())
    desk = Softphone.taker(asterisk, "taker01")  # registered before she joins the queue
    desk.auto_answer(after=0.2, play=make_tone_wav(tmp_path / "taker.wav", 1000, 2.0))
    add_user(ec112, "siti", "call_taker", endpoint="taker01")
    log_in(page, ec112, "siti")
    page.get_by_role("button", name="Masuk antrean").click()
    expect(page.locator("#my-state-label")).to_have_text("Tersedia")
    citizen = Softphone.citizen(asterisk, number="081234500914")
    citizen.call("112", play=make_tone_wav(tmp_path / "citizen.wav", 440, 2.0))
    citizen.wait_for("confirmed", timeout=10)
    desk.wait_for("confirmed", timeout=15)

    card = page.locator(".cs-ticket-card:visible")
    expect(card).to_have_count(1, timeout=15_000)
    number = card.get_attribute("data-number") or ""
    silent = card.locator('[data-role="silent"]')
    silent.get_by_role("button", name="Penelepon diam").click()
    state = silent.locator('[data-role="silent-state"]')
    expect(state).to_have_text("Penelepon diam: diminta menekan 5 5…")
    expect(silent.get_by_role("button", name="Penelepon diam")).to_be_disabled()

    time.sleep(2 * PROMPT_SECONDS + 0.5)  # she hears it out, then presses
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
    desk.wait_for("disconnected", timeout=10)
