"""Listen, whisper, barge on a real Asterisk (16 or 22: EC112_TEST_ASTERISK) with three real softphones (pjsua2).

A citizen (440 Hz) calls 112, call taker taker01 (1000 Hz) answers. A call taker may not listen (403). The
supervisor asks to listen (his own token, as the wallboard does): his phone spv01 (1800 Hz) rings, he answers and
is on the call; then he switches to whisper (``ec112 spy taker01 --whisper``), to barge (the API), and leaves
(``ec112 spy --stop``). What each phone recorded says who heard whom in each mode:
listen: he hears both, nobody hears him; whisper: only the taker hears him; barge: both do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.ami import MiniAmi
from harness.audio import make_tone_wav, tone_power
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone

from ec112.lab.render import AMI_USERNAME

pytestmark = pytest.mark.integration

CITIZEN_HZ, TAKER_HZ, SUPERVISOR_HZ = 440, 1000, 1800
PASSWORD = "Kata-Sandi-Pengawas-5512"
HEARD = 0.001  # a tone at the far end (amplitude 0.5 played; codecs and mixing lose some)


def account_token(ec112: Ec112Daemon, username: str, role: str, endpoint: str) -> str:
    added = subprocess.run([sys.executable, "-m", "ec112", "user", "add", username, "--role", role,
                            "--endpoint", endpoint, "--name", username.title(), "--password-stdin"],
                           env=ec112.env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stdout + added.stderr
    token: str = ec112.cli("user", "token", username).stdout.strip().splitlines()[-1]
    return token


def refused_targets(lab: Lab, targets: tuple[str, ...]) -> None:
    """ec112-spy only ever spies on one whole call taker channel, whatever the Originate says."""
    ami = MiniAmi(lab.config.ports.ami, AMI_USERNAME, lab.config.ami_secret)
    try:
        for target in targets:
            ami.action("Originate", Channel="Local/listen@ec112-spy/n", Context="ec112-spy", Exten="listen",
                       Priority="1", Async="true", Variable=f"__EC112_SPY_TARGET={target}")
    finally:
        ami.close()
    deadline, log = time.monotonic() + 5, ""
    while time.monotonic() < deadline:
        log = lab.config.messages_log.read_text(errors="replace")
        if all(f'ec112-spy: refused target "{t}"' in log for t in targets):
            break
        time.sleep(0.1)
    assert all(f'ec112-spy: refused target "{t}"' in log for t in targets), log[-3000:]
    assert "Attaching spy channel" not in log


def spy_cli(ec112: Ec112Daemon, token: str, *args: str) -> str:
    env = {**ec112.env, "EC112_API_TOKEN": token, "EC112_API_URL": ec112.base_url}
    done = subprocess.run([sys.executable, "-m", "ec112", "spy", *args], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def wait_active(ec112: Ec112Daemon, mode: str) -> float:
    """Until ChanSpyStart confirmed the mode; returns when (monotonic)."""
    ec112.wait_for("/api/spy", lambda ss: len(ss) == 1 and ss[0]["mode"] == mode and ss[0]["state"] == "active",
                   timeout=10)
    return time.monotonic()


def test_listen_whisper_barge_with_three_phones(ec112: Ec112Daemon, asterisk: Lab, tmp_path: Path) -> None:
    taker_token = account_token(ec112, "siti", "call_taker", "taker01")
    boss = {"Authorization": f"Bearer {account_token(ec112, 'budi', 'supervisor', 'spv01')}"}
    boss_token = boss["Authorization"].split()[1]
    rec = {name: tmp_path / f"{name}.wav" for name in ("citizen", "taker", "supervisor")}
    taker = Softphone.taker(asterisk, "taker01")
    ec112.cli("agent", "login", "taker01")
    taker.auto_answer(after=0.2, play=make_tone_wav(tmp_path / "t.wav", TAKER_HZ, 2.0), record=rec["taker"])
    supervisor = Softphone.taker(asterisk, "spv01")
    supervisor.auto_answer(after=0.3, play=make_tone_wav(tmp_path / "s.wav", SUPERVISOR_HZ, 2.0),
                           record=rec["supervisor"])
    citizen = Softphone.citizen(asterisk, number="081234500914")
    citizen.call("112", play=make_tone_wav(tmp_path / "c.wav", CITIZEN_HZ, 2.0), record=rec["citizen"])
    citizen.wait_for("confirmed", timeout=10)
    starts = {"citizen": time.monotonic()}
    taker.wait_for("confirmed", timeout=15)
    starts["taker"] = time.monotonic()
    ticket = ec112.wait_for_tickets(lambda ts: bool(ts) and ts[-1]["answered_by"] == "taker01")[-1]
    refused_targets(asterisk, ("PJSIP/taker01-", "PJSIP/taker01", "PJSIP/taker01-00000001|qB"))

    # A call taker may not; a taker without a live call cannot be listened to.
    url = f"{ec112.base_url}/api/spy"
    denied = httpx.post(url, json={"taker": "taker01", "mode": "listen"},
                        headers={"Authorization": f"Bearer {taker_token}"}, timeout=5)
    assert denied.status_code == 403, denied.text
    idle = httpx.post(url, json={"taker": "taker02", "mode": "listen"}, headers=boss, timeout=5)
    assert idle.status_code == 409, idle.text

    started = httpx.post(url, json={"taker": "taker01", "mode": "listen"}, headers=boss, timeout=5)
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "ringing"
    assert started.json()["ticket"] == ticket["number"]
    supervisor.wait_for("confirmed", timeout=15)
    starts["supervisor"] = time.monotonic()
    marks = {"listen": wait_active(ec112, "listen")}
    time.sleep(2.5)
    marks["whisper_asked"] = time.monotonic()
    assert "whisper" in spy_cli(ec112, boss_token, "taker01", "--whisper")
    marks["whisper"] = wait_active(ec112, "whisper")
    time.sleep(2.5)
    marks["barge_asked"] = time.monotonic()
    [session] = ec112.get("/api/spy")
    switched = httpx.post(f"{url}/{session['id']}/mode", json={"mode": "barge"}, headers=boss, timeout=5)
    assert switched.status_code == 200, switched.text
    marks["barge"] = wait_active(ec112, "barge")
    time.sleep(2.5)
    marks["end"] = time.monotonic()
    assert "barge" in spy_cli(ec112, boss_token, "--list")
    assert "taker01" in spy_cli(ec112, boss_token, "--stop", session["id"])
    supervisor.wait_for("disconnected", timeout=10)
    assert ec112.wait_for("/api/spy", lambda ss: ss == [], timeout=5) == []
    # The call itself went on: the citizen and the taker are still connected.
    assert [e for e in citizen.events() + taker.events() if e.get("state") == "disconnected"] == []
    citizen.hangup()
    taker.wait_for("disconnected", timeout=10)
    actions = [e["action"] for e in ec112.get("/api/audit") if e["action"].startswith("spy.")]
    assert sorted(actions) == ["spy.mode", "spy.mode", "spy.started", "spy.stopped"], actions

    def power(phone: str, hz: int, start: str, end: str) -> float:
        offset = starts[phone]
        return tone_power(rec[phone], hz, marks[start] + 0.5 - offset, marks[end] - 0.2 - offset)

    listen = {p: power(p, SUPERVISOR_HZ, "listen", "whisper_asked") for p in ("citizen", "taker")}
    whisper = {p: power(p, SUPERVISOR_HZ, "whisper", "barge_asked") for p in ("citizen", "taker")}
    barge = {p: power(p, SUPERVISOR_HZ, "barge", "end") for p in ("citizen", "taker")}
    report: dict[str, Any] = {"listen": listen, "whisper": whisper, "barge": barge}
    # listen: he hears the caller and the taker; neither hears him
    assert power("supervisor", CITIZEN_HZ, "listen", "whisper_asked") > HEARD, report
    assert power("supervisor", TAKER_HZ, "listen", "whisper_asked") > HEARD, report
    assert listen["citizen"] < barge["citizen"] / 30, report
    assert listen["taker"] < whisper["taker"] / 30, report
    # whisper: only the taker hears him
    assert whisper["taker"] > HEARD, report
    assert whisper["citizen"] < barge["citizen"] / 30, report
    # barge: both do
    assert barge["taker"] > HEARD, report
    assert barge["citizen"] > HEARD, report
    for phone in (citizen, taker, supervisor):
        phone.close()
    assert os.path.getsize(rec["supervisor"]) > 0
