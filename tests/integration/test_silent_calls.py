"""Silent calls on a real Asterisk (16 or 22: EC112_TEST_ASTERISK) with real softphones (pjsua2, real RTP).

A citizen calls 112, a call taker's phone answers; the taker (her own API token, as her console does) presses
"silent caller": Asterisk whispers the silent-call prompt to the citizen only, the citizen presses 5 5, and the
ticket says "confirmed" within a second, while the call is still the same two phones, talking both ways.

The prompt here is a test tone written into the lab's sounds/{id,en}/silent-call.wav (the shipped prompt files
are speech; a tone says exactly which side heard it).
"""

from __future__ import annotations

import shutil
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

CITIZEN_HZ, TAKER_HZ, PROMPT_HZ = 440, 1000, 1800
PROMPT_SECONDS = 1.5  # each of the Indonesian and the English file
PASSWORD = "Kata-Sandi-Penerima-5512"


def install_prompt(lab: Lab, workdir: Path) -> None:
    tone = make_tone_wav(workdir / "silent-call.wav", PROMPT_HZ, PROMPT_SECONDS)
    for language in ("id", "en"):
        target = lab.config.directory / "sounds" / language
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(tone, target / "silent-call.wav")
        (target / "silent-call.wav").chmod(0o644)


def taker_token(ec112: Ec112Daemon, username: str, endpoint: str) -> dict[str, str]:
    """A call taker's account on ``endpoint`` and her own API token (not the daemon's admin token)."""
    added = subprocess.run([sys.executable, "-m", "ec112", "user", "add", username, "--role", "call_taker",
                            "--endpoint", endpoint, "--name", username.title(), "--password-stdin"],
                           env=ec112.env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stdout + added.stderr
    token = ec112.cli("user", "token", username).stdout.strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


def refused_targets(lab: Lab, ami: MiniAmi, targets: tuple[str, ...]) -> None:
    """ec112-silent only ever spies on a carrier trunk channel, whatever the Originate says."""
    for target in targets:
        ami.action("Originate", Channel="Local/spy@ec112-silent/n", Context="ec112-silent", Exten="prompt",
                   Priority="1", Async="true", Variable=f"__EC112_TARGET={target},__EC112_LISTEN=1")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log = lab.config.messages_log.read_text(errors="replace")
        if all(f'ec112-silent: refused target "{t}"' in log for t in targets):
            break
        time.sleep(0.1)
    assert all(f'ec112-silent: refused target "{t}"' in log for t in targets), log[-3000:]
    assert "Attaching spy channel" not in log


def silent_state(ec112: Ec112Daemon, number: str) -> dict[str, Any]:
    body: dict[str, Any] = ec112.get(f"/api/tickets/{number}/silent")
    return body


def test_the_caller_hears_the_prompt_presses_5_5_and_stays_with_the_same_taker(
    ec112: Ec112Daemon, asterisk: Lab, tmp_path: Path
) -> None:
    install_prompt(asterisk, tmp_path)
    siti = taker_token(ec112, "siti", "taker01")
    heard_by_citizen, heard_by_taker = tmp_path / "citizen.wav", tmp_path / "taker.wav"
    taker = Softphone.taker(asterisk, "taker01")
    ec112.cli("agent", "login", "taker01")
    taker.auto_answer(after=0.2, play=make_tone_wav(tmp_path / "taker.in.wav", TAKER_HZ, 2.0), record=heard_by_taker)
    citizen = Softphone.citizen(asterisk, number="081234500913")
    citizen.call("112", play=make_tone_wav(tmp_path / "citizen.in.wav", CITIZEN_HZ, 2.0), record=heard_by_citizen)
    citizen.wait_for("confirmed", timeout=10)
    t0 = time.monotonic()  # ≈ the start of the citizen's recording
    taker.wait_for("confirmed", timeout=15)
    t0_taker = time.monotonic()  # ≈ the start of the taker's recording
    ticket = ec112.wait_for_tickets(lambda ts: bool(ts) and ts[-1]["answered_by"] == "taker01")[-1]
    number = ticket["number"]
    ami = MiniAmi(asterisk.config.ports.ami, AMI_USERNAME, asterisk.config.ami_secret)
    try:  # the taker's own channel (a prefix of it), or options smuggled after the channel name
        refused_targets(asterisk, ami, ("PJSIP/taker01", "PJSIP/trunk-", "PJSIP/trunk-00000000|qB"))
    finally:
        ami.close()

    # Someone else's call taker may not press it; a call that is not connected cannot be (checked below).
    pressed = httpx.post(f"{ec112.base_url}/api/tickets/{number}/silent", headers=siti, timeout=5)
    assert pressed.status_code == 202, pressed.text
    pressed_at = time.monotonic() - t0
    assert pressed.json()["state"] == "prompted"
    time.sleep(2 * PROMPT_SECONDS + 0.8)  # the Indonesian, then the English prompt
    citizen.dtmf("55")
    sent = time.monotonic()
    body = ec112.wait_for(f"/api/tickets/{number}/silent", lambda b: b["state"] == "confirmed", timeout=5)
    assert time.monotonic() - sent < 1.0, "confirmed more than a second after the keys"
    assert body["digits"].endswith("55")
    kinds = [e["kind"] for e in ec112.get(f"/api/tickets/{number}/timeline")]
    assert kinds.count("silent.prompted") == 1
    assert kinds.count("silent.confirmed") == 1

    # Still the same call: both phones connected, nothing disconnected, and they still talk both ways.
    time.sleep(1.5)
    confirmed_at = time.monotonic() - t0
    assert [e["state"] for e in citizen.events() if e.get("state") == "disconnected"] == []
    assert [e["state"] for e in taker.events() if e.get("state") == "disconnected"] == []
    ticket = ec112.get(f"/api/tickets/{number}")
    assert ticket["ended_at"] is None
    assert ticket["answered_by"] == "taker01"
    citizen.hangup()
    citizen.wait_for("disconnected", timeout=10)
    taker.wait_for("disconnected", timeout=10)
    end = time.monotonic() - t0

    # The citizen heard the prompt (and only after the press); the call taker did not hear it at all.
    prompt_heard = tone_power(heard_by_citizen, PROMPT_HZ, pressed_at, pressed_at + 2 * PROMPT_SECONDS + 0.5)
    assert prompt_heard > 0.005, f"prompt power {prompt_heard}"
    assert tone_power(heard_by_citizen, PROMPT_HZ, 0, pressed_at - 0.2) < prompt_heard / 100
    assert tone_power(heard_by_taker, PROMPT_HZ) < prompt_heard / 100
    # Two-way audio after the confirmation.
    assert tone_power(heard_by_citizen, TAKER_HZ, confirmed_at - 1.0, end - 0.3) > 0.001
    shift = t0_taker - t0
    heard_taker_side = tone_power(heard_by_taker, CITIZEN_HZ, confirmed_at - 1.0 - shift, end - 0.3 - shift)
    assert heard_taker_side > 0.001

    # The call has ended: another press is refused (409), and the state stays confirmed.
    ec112.wait_for(f"/api/tickets/{number}", lambda t: t["ended_at"] is not None)
    again = httpx.post(f"{ec112.base_url}/api/tickets/{number}/silent", headers=siti, timeout=5)
    assert again.status_code == 409, again.text
    assert silent_state(ec112, number)["state"] == "confirmed"
    # Every silent call becomes a callback task once it has ended (SilentCallMarked → CallbackService).
    [task] = ec112.wait_for("/api/callbacks", lambda tasks: len(tasks) == 1, timeout=5)
    assert (task["ticket"], task["reason"], task["status"]) == (number, "silent", "open")
    citizen.close()
    taker.close()
