"""The replayable timeline of a real 112 call (issue 14 E), through the real Asterisk (16 or 22:
EC112_TEST_ASTERISK), the FastAGI intake and the real `ec112 serve`: a SIPp caller sends a PIDF-LO circle, a
SIPp call taker answers, then over the JSON API the call is classified, dispatched to Damkar, acknowledged,
assigned, and Budi (a responder) sets off and handles it, each time with his position. The replay holds exactly
those steps, in that order, on one axis from the arrival, with the caller's fix and Budi's two positions; no
recording (the recordings part is wired apart)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import httpx
import pytest
from harness import CitizenCall, PidfCircle, TakerPhone
from harness.daemon import Ec112Daemon

pytestmark = pytest.mark.integration

PASSWORD = "sandi-replay-112-aman"
CALLER = "+6281355551234"
FIX = (-1.2559024, 116.4960648, 500.0)  # Waru (a desa of the shipped boundaries)
ON_THE_WAY, ON_SCENE = (-1.2401, 116.5102), (-1.2561, 116.4958)
RESPONDER = '\n[[responder]]\nusername = "resp.budi"\nagency = "damkar"\nname = "Budi Santoso"\n'


def _user(daemon: Ec112Daemon, username: str, role: str, agency: str) -> None:
    args = [sys.executable, "-m", "ec112", "user", "add", username, "--role", role, "--password-stdin",
            "--agency", agency]
    done = subprocess.run(args, env=daemon.env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def _session(daemon: Ec112Daemon, username: str) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=daemon.base_url, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    done = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token[1],
                                       "next": "/"})
    assert done.status_code == 303, done.text
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert meta is not None
    return client, {"X-CSRF-Token": meta[1]}


def _ok(response: httpx.Response) -> object:
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.ec112_not_started
def test_replay_of_a_real_located_call_dispatched_and_handled(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
    tmp_path: Path,
) -> None:
    agencies = tmp_path / "agencies.toml"
    agencies.write_text(files("ec112").joinpath("data", "agencies.toml").read_text(encoding="utf-8") + RESPONDER,
                        encoding="utf-8")
    ec112.env["EC112_CALLCENTER__AGENCIES_FILE"] = str(agencies)
    ec112.start()
    _user(ec112, "off.damkar", "agency_officer", "damkar")
    _user(ec112, "resp.budi", "responder", "damkar")

    taker("taker01", ring_ms=300, talk_ms=1500, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    call = citizen_call(caller_number=CALLER, location=PidfCircle(*FIX, method="Cell"))
    assert call.wait(timeout=40) == 0, call.diagnostics()
    (ticket,) = ec112.wait_for_tickets(lambda t: len(t) == 1 and t[0]["ended_at"] is not None)
    number = ticket["number"]

    admin = httpx.Client(base_url=ec112.base_url, headers=ec112.auth_headers(), timeout=10)
    _ok(admin.post(f"/api/tickets/{number}/classification", json={"classification": "darurat",
                                                                  "category": "kebakaran"}))
    dispatches = _ok(admin.post(f"/api/tickets/{number}/dispatches", json={"agencies": ["damkar"]}))
    assert isinstance(dispatches, list)
    url = f"/api/dispatches/{dispatches[0]['id']}"
    officer, oh = _session(ec112, "off.damkar")
    _ok(officer.post(f"{url}/acknowledge", headers=oh))
    _ok(officer.post(f"{url}/assign", headers=oh, json={"responder": "resp.budi"}))
    budi, bh = _session(ec112, "resp.budi")
    _ok(budi.post(f"{url}/advance", headers=bh, json={"to": "responding", "lat": ON_THE_WAY[0],
                                                      "lon": ON_THE_WAY[1]}))
    _ok(budi.post(f"{url}/advance", headers=bh, json={"to": "processing", "lat": ON_SCENE[0], "lon": ON_SCENE[1]}))

    # The seal follows the call's end once MixMonitor's file has been quiet for [recording] quiet_seconds, in the
    # recordings worker: wait for it as a supervisor would reload the page, then check the whole replay.
    deadline = time.monotonic() + 30
    while True:
        replay = _ok(admin.get(f"/api/tickets/{number}/replay"))
        assert isinstance(replay, dict)
        if any(s["kind"] == "recording.sealed" for s in replay["steps"]) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    # The recording's steps (recordings part A: the dialplan records every 112 call) are checked apart: their
    # place among the others depends on when the seal was written.
    steps = [s for s in replay["steps"] if not s["kind"].startswith("recording.")]
    assert sorted(s["kind"] for s in replay["steps"] if s["kind"].startswith("recording.")) == [
        "recording.sealed", "recording.started"]
    assert [s["kind"] for s in steps] == [
        "arrived", "location", "queued", "answered", "ended", "classified", "dispatch.created",
        "dispatch.acknowledged", "dispatch.assigned", "dispatch.responding", "dispatch.processing"]
    offsets = [s["offset_seconds"] for s in steps]
    assert offsets == sorted(offsets)
    assert offsets[0] == 0.0
    assert offsets[1] < 3.0  # the network's fix came with the INVITE
    # the replay lasts until its last step (the seal may come after the responder's last step)
    assert replay["duration_seconds"] == max(s["offset_seconds"] for s in replay["steps"]) >= offsets[-1]
    placed = [(s["kind"], s["lat"], s["lon"]) for s in steps if s["lat"] is not None]
    assert placed == [("location", pytest.approx(FIX[0], abs=1e-6), pytest.approx(FIX[1], abs=1e-6)),
                      ("dispatch.responding", *ON_THE_WAY), ("dispatch.processing", *ON_SCENE)]
    assert steps[1]["radius"] == pytest.approx(FIX[2], rel=0.01)
    assert steps[9]["label"] == {"id": "Petugas lapangan berangkat · damkar", "en": "Responder set off · damkar"}
    assert replay["recording"]["state"] == "sealed"
    assert budi.get(f"/api/tickets/{number}/replay").status_code == 403  # a responder does not see tickets
    for client in (admin, officer, budi):
        client.close()
