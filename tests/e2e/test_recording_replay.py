"""The ticket page plays a real call's recording in headless Chromium (issue 14, part A): a pjsua2 citizen calls 112
through Asterisk playing a tone, a pjsua2 desk phone answers; ~3 s later the citizen hangs up; the dialplan's
MixMonitor recorded it; the call taker who answered opens the ticket: the <audio> element has the recording's
duration, seeks (HTTP Range), and plays on. (pjsua2, not SIPp: MixMonitor writes the audio frames it gets, and a
SIPp scenario sends none.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from harness.audio import make_tone_wav
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone
from playwright.sync_api import expect

from .browser import GuardedContext, screenshot
from .wallboard_support import add_user, browser_login

pytestmark = pytest.mark.e2e
PASSWORD = "siti-sandi-rekaman"


def test_the_ticket_page_plays_and_seeks_the_recording(
    ec112: Ec112Daemon, asterisk: Lab, new_context: Callable[..., GuardedContext], tmp_path: Path,
) -> None:
    add_user(ec112, "siti", "call_taker", PASSWORD, endpoint="taker01", name="Siti")
    taker = Softphone.taker(asterisk, "taker01")
    ec112.cli("agent", "login", "taker01")
    taker.auto_answer(after=0.3)
    citizen = Softphone.citizen(asterisk, number="081377770114")
    citizen.call("112", play=make_tone_wav(tmp_path / "tone.wav", 440, 6.0))
    citizen.wait_for("confirmed", timeout=10)
    taker.wait_for("confirmed", timeout=15)
    time.sleep(3.0)
    citizen.hangup()
    citizen.wait_for("disconnected", timeout=10)
    number = ec112.wait_for_tickets(lambda t: len(t) == 1 and t[0]["ended_at"] is not None)[0]["number"]
    info = ec112.wait_for(f"/api/tickets/{number}/recording/info", lambda b: b["state"] == "sealed", timeout=25)
    assert info["duration_seconds"] > 2.5

    page = new_context().new_page()
    browser_login(page, ec112.base_url, "siti", PASSWORD, f"/tickets/{number}")
    audio = page.locator("#ticket-recording-audio")
    expect(audio).to_be_visible()
    page.wait_for_function("() => { const a = document.querySelector('#ticket-recording-audio');"
                           " return a && isFinite(a.duration) && a.duration > 0; }", timeout=10_000)
    seconds = audio.evaluate("a => a.duration")
    assert abs(seconds - info["duration_seconds"]) < 0.2, (seconds, info)
    seeked = audio.evaluate("""a => new Promise(done => {
        a.addEventListener('seeked', () => done(a.currentTime), {once: true});
        a.currentTime = a.duration / 2; })""")
    assert abs(seeked - seconds / 2) < 0.3
    assert audio.evaluate("a => a.seekable.length > 0 && a.seekable.end(0) >= a.duration - 0.1")
    audio.evaluate("a => { a.muted = true; return a.play(); }")
    page.wait_for_function("() => document.querySelector('#ticket-recording-audio').currentTime > "
                           f"{seeked + 0.2}", timeout=10_000)  # it plays on from where it was sought
    expect(page.locator("#ticket-recording-download")).to_have_attribute(
        "href", f"/api/tickets/{number}/recording?download=1")
    expect(page.locator("#ticket-timeline")).to_contain_text("Rekaman disegel")
    screenshot(page, "recording-replay")
