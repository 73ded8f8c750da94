"""The replayable timeline on the ticket page (issue 14 E), in real headless Chromium against the real
`ec112 serve` and Asterisk: a real 112 call with a PIDF-LO circle (the caller hangs up in the queue), then over the
API it is classified, dispatched to Damkar, acknowledged, assigned, and Budi sets off and reaches the scene, each
time with his position. On the page, a supervisor moves the slider (keyboard and pointer): the list marks the
step of that moment (aria-current), the map shows the caller's fix and Budi where he was then; play moves the
slider on its own. Then the audio, on a small page holding the real panel (see below): the slider seeks the
recording, the recording's playback moves the slider. Screenshots: artifacts/e2e/replay-*.png."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
import wave
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import CitizenCall, PidfCircle
from harness.daemon import Ec112Daemon
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ec112.domain.accounts import Language
from ec112.domain.location import Location, LocationReport, LocationSource
from ec112.domain.recordings import Recording, RecordingState
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus
from ec112.services.replay import assemble
from ec112.web.i18n import I18n
from ec112.web.replay_api import ReplayOut

from .browser import GuardedContext, screenshot
from .local_server import serve, web_static_dir
from .wallboard_support import add_user, api_session, browser_login, wait_for

pytestmark = pytest.mark.e2e

PASSWORD = "sandi-replay-112-aman"
CALLER = "+6281355554321"
FIX = (-1.2559024, 116.4960648, 500.0)  # Waru
ON_THE_WAY, ON_SCENE = (-1.2401, 116.5102), (-1.2561, 116.4958)
RESPONDER = '\n[[responder]]\nusername = "resp.budi"\nagency = "damkar"\nname = "Budi Santoso"\n'


def _field_user(daemon: Ec112Daemon, username: str, role: str) -> None:
    args = [sys.executable, "-m", "ec112", "user", "add", username, "--role", role, "--password-stdin",
            "--agency", "damkar"]
    done = subprocess.run(args, env=daemon.env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _story(daemon: Ec112Daemon, citizen_call: Callable[..., CitizenCall]) -> str:
    call = citizen_call(caller_number=CALLER, location=PidfCircle(*FIX, method="Cell"), hang_up_after_ms=2000)
    assert call.wait(timeout=40) == 0, call.diagnostics()
    (ticket,) = daemon.wait_for_tickets(lambda t: len(t) == 1 and t[0]["ended_at"] is not None)
    number: str = ticket["number"]
    admin = httpx.Client(base_url=daemon.base_url, headers=daemon.auth_headers(), timeout=10)
    _ok(admin.post(f"/api/tickets/{number}/classification", json={"classification": "darurat",
                                                                  "category": "kebakaran"}))
    (dispatch,) = _ok(admin.post(f"/api/tickets/{number}/dispatches", json={"agencies": ["damkar"]}))
    url = f"/api/dispatches/{dispatch['id']}"
    officer, oh = api_session(daemon.base_url, "off.damkar", PASSWORD)
    _ok(officer.post(f"{url}/acknowledge", headers=oh))
    _ok(officer.post(f"{url}/assign", headers=oh, json={"responder": "resp.budi"}))
    budi, bh = api_session(daemon.base_url, "resp.budi", PASSWORD)
    for to, (lat, lon) in (("responding", ON_THE_WAY), ("processing", ON_SCENE)):
        _ok(budi.post(f"{url}/advance", headers=bh, json={"to": to, "lat": lat, "lon": lon}))
    for client in (admin, officer, budi):
        client.close()
    return number


def _current(page: Page) -> str:
    kind: str = page.locator('#replay-steps li[aria-current="step"]').get_attribute("data-kind") or ""
    return kind


def _shown(page: Page) -> list[list[float]]:
    shown: list[list[float]] = json.loads(page.locator("#replay").get_attribute("data-shown") or "[]")
    return shown


@pytest.mark.ec112_not_started
@pytest.mark.lab_config({"recording_start": "off"})  # no recording: its steps would come between the others
def test_slider_moves_the_map_and_the_current_step(
    ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall], new_context: Callable[..., GuardedContext],
    tmp_path: Path,
) -> None:
    agencies = tmp_path / "agencies.toml"
    agencies.write_text(files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8") + RESPONDER,
                        encoding="utf-8")
    ec112.env["EC112_CALLCENTER__AGENCIES_FILE"] = str(agencies)
    ec112.start()
    _field_user(ec112, "off.damkar", "agency_officer")
    _field_user(ec112, "resp.budi", "responder")
    add_user(ec112, "spv05", "supervisor", PASSWORD)
    number = _story(ec112, citizen_call)
    replay = ec112.get(f"/api/tickets/{number}/replay")
    offsets = {s["kind"]: s["offset_seconds"] for s in replay["steps"]}

    context = new_context()
    page = context.new_page()
    browser_login(page, ec112.base_url, "spv05", PASSWORD, f"/tickets/{number}")
    expect(page.locator("#replay")).to_have_attribute("data-ready", "1")
    expect(page.locator("#replay-steps li")).to_have_count(len(replay["steps"]))
    expect(page.locator("#replay-audio-note")).to_have_text("Tidak ada rekaman untuk panggilan ini.")
    at_zero = [s for s in replay["steps"] if s["offset_seconds"] <= 0]  # the fix may have come with the INVITE
    assert _current(page) == at_zero[-1]["kind"]
    assert _shown(page) == ([[pytest.approx(FIX[0]), pytest.approx(FIX[1])]]
                            if "location" in [s["kind"] for s in at_zero] else [])
    expect(page.locator(".replay-responder")).to_have_count(0)

    # Keyboard: the slider to the end (End) — Budi on the scene, the caller's circle, the last step marked.
    slider = page.locator("#replay-slider")
    slider.focus()
    page.keyboard.press("End")
    assert _current(page) == "dispatch.processing"
    assert _shown(page) == [[pytest.approx(FIX[0]), pytest.approx(FIX[1])], list(ON_SCENE)]
    expect(page.locator(".replay-responder")).to_have_count(1)
    expect(page.locator("path.replay-fix")).to_have_count(1)
    expect(page.locator("#replay-now")).to_contain_text("Petugas lapangan menangani · damkar")
    screenshot(page, "replay-end")

    # Pointer: to the moment Budi set off (a split second before he reached the scene) — he is where he was then.
    slider.fill(str(offsets["dispatch.responding"]))
    assert _current(page) == "dispatch.responding"
    assert _shown(page)[1] == list(ON_THE_WAY)
    # Page Up / Page Down: the previous / next step.
    page.keyboard.press("PageDown")
    assert _current(page) == "dispatch.processing"
    assert _shown(page)[1] == list(ON_SCENE)
    page.keyboard.press("PageUp")
    page.keyboard.press("PageUp")
    assert _current(page) == "dispatch.assigned"
    assert len(_shown(page)) == 1  # Budi has sent no position yet
    # A step of the list is a button: it moves the slider there.
    page.locator('#replay-steps li[data-kind="ended"] button').click()
    assert _current(page) == "ended"
    assert float(slider.input_value()) == pytest.approx(offsets["ended"], abs=0.01)
    expect(page.locator(".replay-responder")).to_have_count(0)
    screenshot(page, "replay-ended")

    # Play runs the axis on its own (at most a minute for the whole), pause stops it.
    page.keyboard.press("Home")
    page.locator("#replay-play").click()
    expect(page.locator("#replay-play")).to_have_text("Jeda")
    wait_for("the slider moves while playing", lambda: float(slider.input_value()) > 0, timeout=10)
    page.locator("#replay-play").click()
    expect(page.locator("#replay-play")).to_have_text("Putar")
    assert not [p for p in context.problems if "pageerror" in p or "[error]" in p]


# --- the audio: the recording follows the slider, and the slider follows the recording ---------------------------
# The recordings part serves the real file (/api/tickets/{ref}/recording) and is wired apart; here a small page
# holds the real replay panel (its template, replay.js, Leaflet) over a replay assembled by the real service code
# with a test-only recording: a real 6-second WAV served with HTTP Range, as the recordings part serves it.
REC_OFFSET, REC_SECONDS = 1.0, 6.0


def _replay_json() -> str:
    t0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

    def at(s: float) -> datetime:
        return t0 + timedelta(seconds=s)

    ticket = Ticket(9, "l9", "l9", "PJSIP/trunk-9", "0813", "+62813", None, None, IntakeChannel.AGI,
                    TicketStatus.RESPONDING, t0, queued_at=at(1), answered_at=at(3), answered_by="taker01")
    fix = LocationReport(1, Location(*FIX, LocationSource.PIDF_LO, at(0.5)), at(0.5))
    events = [TicketEvent(9, at(5), "classified", "siti", {"classification": "darurat", "category": "kebakaran"}),
              TicketEvent(9, at(6), "dispatch.created", "siti", {"agency": "damkar", "dispatch_id": 1}),
              TicketEvent(9, at(20), "dispatch.responding", "resp.budi",
                          {"agency": "damkar", "dispatch_id": 1, "position": {"lat": ON_THE_WAY[0],
                                                                              "lon": ON_THE_WAY[1]}})]
    recording = Recording(9, "l9", "/rec.wav", RecordingState.SEALED, at(REC_OFFSET), at(REC_OFFSET + REC_SECONDS),
                          REC_SECONDS)
    return ReplayOut.of(assemble(ticket, events, [fix], recording, "/rec.wav")).model_dump_json()


def _tone(path: Path) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                                 for i in range(int(8000 * REC_SECONDS))))
    return path


def test_the_recording_is_sought_by_the_slider_and_moves_it(
    new_context: Callable[..., GuardedContext], tmp_path: Path,
) -> None:
    i18n = I18n("Asia/Jakarta")
    panel = i18n.render("tickets_replay.html", i18n.translator(Language.ID), replay_url="/replay.json",
                        tile_url="", attribution="")
    html = ('<!doctype html><html lang="id"><head><meta charset="utf-8"><link rel="stylesheet" '
            'href="/static/vendor/leaflet.css"><link rel="stylesheet" href="/static/css/app.css"></head><body><main>'
            f'{panel}</main><script src="/static/vendor/leaflet.js"></script>'
            '<script src="/static/js/replay.js"></script></body></html>')
    body, wav = _replay_json(), _tone(tmp_path / "rec.wav")

    async def home(_request: Request) -> Response:
        return HTMLResponse(html)

    async def replay(_request: Request) -> Response:
        return Response(body, media_type="application/json")

    async def audio(_request: Request) -> Response:
        return FileResponse(wav, media_type="audio/wav")

    app = Starlette(routes=[Route("/", home), Route("/replay.json", replay), Route("/rec.wav", audio),
                            Mount("/static", StaticFiles(directory=web_static_dir()))])
    with serve(app) as base:
        context = new_context()
        page = context.new_page()
        page.goto(base + "/")
        expect(page.locator("#replay")).to_have_attribute("data-ready", "1")
        player = page.locator("#replay-audio")
        expect(player).to_have_attribute("src", "/rec.wav")
        wait_for("the recording's metadata", lambda: page.evaluate(
            "() => document.getElementById('replay-audio').duration") == pytest.approx(REC_SECONDS, abs=0.1))

        def audio_at() -> float:
            seconds: float = page.evaluate("() => document.getElementById('replay-audio').currentTime")
            return seconds

        slider = page.locator("#replay-slider")
        slider.fill("4")  # 3 s into the recording (it started 1 s after the arrival)
        assert audio_at() == pytest.approx(4 - REC_OFFSET, abs=0.05)
        assert page.locator('#replay-steps li[aria-current="step"]').get_attribute("data-kind") == "answered"

        page.locator("#replay-play").click()
        wait_for("the audio plays", lambda: not page.evaluate("() => document.getElementById('replay-audio').paused"))
        wait_for("the audio's playback moves the slider", lambda: float(slider.input_value()) > 5.2, timeout=10)
        assert float(slider.input_value()) == pytest.approx(REC_OFFSET + audio_at(), abs=0.6)
        assert page.locator('#replay-steps li[aria-current="step"]').get_attribute("data-kind") == "classified"
        screenshot(page, "replay-audio")
        page.locator("#replay-play").click()
        assert page.evaluate("() => document.getElementById('replay-audio').paused")

        slider.fill("15")  # after the recording: the audio stays where it was, the step is the dispatch
        assert page.locator('#replay-steps li[aria-current="step"]').get_attribute("data-kind") == "dispatch.created"
        assert page.evaluate("() => document.getElementById('replay-audio').paused")
        assert not [p for p in context.problems if "pageerror" in p or "[error]" in p]
