"""Listen, whisper, barge from the wallboard: a real headless Chromium against the real `ec112 serve`, Asterisk
(16 or 22) and three real softphones (pjsua2: the citizen, taker01's desk phone, the supervisor's phone spv01).

taker01 is on a 112 call; the supervisor's wallboard shows her row in "Dengarkan" with the buttons; he presses
"Dengar": his phone rings and answers, the row says he listens and is on the call (live, from ChanSpyStart); he
presses "Bisik", then "Keluar": the row follows each time and his phone hangs up; the call goes on.
Screenshot: artifacts/e2e/wallboard-spy-whisper.png.
"""

from __future__ import annotations

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


def test_the_supervisor_listens_then_whispers_then_leaves_from_the_wallboard(
    ec112: Ec112Daemon, asterisk: Lab, browser_context: GuardedContext, page: Page, tmp_path: Path,
) -> None:
    faint = make_tone_wav(tmp_path / "faint.wav", 300, 2.0, amplitude=0.005)
    desk = Softphone.taker(asterisk, "taker01")
    desk.auto_answer(after=0.2, play=faint)
    phone = Softphone.taker(asterisk, "spv01")
    phone.auto_answer(after=0.5, play=faint)
    ec112.cli("agent", "login", "taker01")
    add_user(ec112, "budi", "supervisor", endpoint="spv01")
    log_in(page, ec112, "budi", target="/wallboard")
    panel = page.locator("#wb-spy")
    expect(panel).to_contain_text("Tidak ada petugas yang sedang menerima panggilan.")
    citizen = Softphone.citizen(asterisk, number="081234500915")
    citizen.call("112", play=faint)
    citizen.wait_for("confirmed", timeout=10)
    desk.wait_for("confirmed", timeout=15)

    row = panel.locator('tr[data-spy-taker="taker01"]')
    expect(row).to_be_visible(timeout=10_000)  # live: the agent event refreshed the panel
    row.get_by_role("button", name="Dengar", exact=True).click()
    phone.wait_for("confirmed", timeout=15)
    expect(row).to_have_attribute("data-spy-state", "active", timeout=5_000)
    expect(row.locator(".spy-session")).to_contain_text("Dengar · budi")
    expect(row.locator(".spy-session")).to_contain_text("Dalam panggilan")
    expect(row.get_by_role("button", name="Dengar", exact=True)).to_be_disabled()

    row.get_by_role("button", name="Bisik").click()
    expect(row).to_have_attribute("data-spy-mode", "whisper", timeout=5_000)
    expect(row).to_have_attribute("data-spy-state", "active", timeout=5_000)
    expect(row.locator(".spy-session")).to_contain_text("Bisik · budi")
    screenshot(page, "wallboard-spy-whisper")
    assert [s["mode"] for s in ec112.get("/api/spy")] == ["whisper"]

    row.get_by_role("button", name="Tinggalkan").click()
    phone.wait_for("disconnected", timeout=10)
    expect(row.locator(".spy-session")).to_have_text("—", timeout=5_000)
    assert ec112.get("/api/spy") == []
    assert not [e for e in citizen.events() + desk.events() if e.get("state") == "disconnected"]
    citizen.hangup()
    desk.wait_for("disconnected", timeout=10)
    for p in (citizen, desk, phone):
        p.close()
