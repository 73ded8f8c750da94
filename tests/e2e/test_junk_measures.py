"""Junk-call triage in a real headless Chromium against the real stack (Asterisk, SIPp phones, `ec112 serve`).

A supervisor restricts a number on the "Tindakan panggilan iseng" page; when that number calls, the call taker's
console shows it ringing on her phone with the measure in force and its repeat score, before she answers;
the supervisor lifts the measure early with a reason, and the audit says who did what.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from harness import CitizenCall, TakerPhone
from harness.audio import make_tone_wav
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from playwright.sync_api import expect

from .browser import GuardedContext, screenshot
from .wallboard_support import add_user, browser_login

pytestmark = pytest.mark.e2e

PASSWORD = "sandi-iseng-112"
NUMBER = "+6281377770002"
LIVE_MS = 20_000


def _short_warning(lab: Lab, tmp_path: Path) -> None:
    """The lab's junk-warning replaced by 1 s per language (the shipped one lasts ~23 s): the call rings sooner."""
    tone = make_tone_wav(tmp_path / "warning.wav", 1400, 1.0)
    for lang in ("id", "en"):
        for shipped in (lab.config.directory / "sounds" / lang).glob("junk-warning.*"):
            shipped.unlink()
        (lab.config.directory / "sounds" / lang / "junk-warning.wav").write_bytes(tone.read_bytes())


def test_supervisor_restricts_a_number_and_the_console_shows_it_before_the_answer(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
    new_context: Callable[..., GuardedContext], tmp_path: Path,
) -> None:
    _short_warning(asterisk, tmp_path)
    add_user(ec112, "spv01", "supervisor", PASSWORD, name="Supervisor Malam")
    add_user(ec112, "siti", "call_taker", PASSWORD, endpoint="taker01")
    spv = new_context(viewport={"width": 1366, "height": 900}).new_page()
    browser_login(spv, ec112.base_url, "spv01", PASSWORD, "/caller-measures")
    expect(spv.locator("h1")).to_have_text("Tindakan panggilan iseng")
    form = spv.locator("#measure-form")
    form.locator("input[name=subject]").fill("0813 7777 0002")
    form.locator("select[name=kind]").select_option("restriction")
    form.locator("input[name=hours]").fill("24")
    form.locator("input[name=reason]").fill("iseng 5x malam ini")
    form.get_by_role("button", name="Tetapkan tindakan").click()
    row = spv.locator("#measures tbody tr").first
    expect(row).to_have_attribute("data-status", "active")
    expect(row).to_contain_text(NUMBER)
    expect(row).to_contain_text("Pembatasan: peringatan dan prioritas terendah")

    taker("taker01", unattended=True)  # her phone rings; she has not answered yet
    ec112.cli("agent", "login", "taker01")
    console = new_context(viewport={"width": 1366, "height": 900}).new_page()
    browser_login(console, ec112.base_url, "siti", PASSWORD, "/console")
    call = citizen_call(caller_number=NUMBER, hang_up_after_ms=7000)
    card = console.locator(".cs-caller-card.cs-caller-ringing")
    expect(card).to_contain_text("Berdering di telepon Anda", timeout=LIVE_MS)
    expect(card).to_contain_text(NUMBER)
    expect(card.locator(".cs-caller-measure")).to_contain_text("Tindakan berlaku: pembatasan")
    expect(card.locator(".cs-caller-score")).to_contain_text("Skor pengulangan")
    screenshot(console, "console-junk-caller-ringing")
    assert call.wait(timeout=30) == 0, call.diagnostics()

    lift = row.locator("form.lift-form")
    lift.locator("input[name=reason]").fill("sudah ditegur lewat telepon")
    lift.get_by_role("button", name="Cabut").click()
    row = spv.locator("#measures tbody tr").first
    expect(row).to_have_attribute("data-status", "lifted")
    expect(row).to_contain_text("dicabut oleh spv01: sudah ditegur lewat telepon")
    audit = ec112.cli_json("audit", "list", "--limit", "50")
    done = [(e["actor"], e["action"]) for e in audit if e["action"].startswith("junk.")]
    assert done == [("spv01", "junk.measure_lifted"), ("spv01", "junk.measure_set")]
