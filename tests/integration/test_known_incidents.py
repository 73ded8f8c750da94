"""Mass-incident mode on a real Asterisk: while the only logged-in call taker is not free, a caller hears the known
incident (the generic prompt, then its own text rendered by ec112 with espeak-ng into the lab) before the queue and
still reaches the call taker once she is free; after the supervisor ends it, the next caller hears none of it.

The citizen and the call taker are pjsua2 softphones: what the citizen heard is recorded (the announcement's
energy before the queue, the taker's tone after); Asterisk's own log says which files it played.
"""

from __future__ import annotations

import re
import time
import wave
from pathlib import Path
from typing import Any

import pytest
from harness.audio import make_tone_wav, tone_power, voiced_seconds
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone

pytestmark = pytest.mark.integration
FIRE_ID = "Kebakaran di Pasar Penajam sudah ditangani pemadam kebakaran"
FIRE_EN = "The fire at Pasar Penajam is being handled by the fire brigade"


def post_incident(ec112: Ec112Daemon) -> dict[str, Any]:
    """As a supervisor would from a terminal: `ec112 incidents post` (the JSON API underneath)."""
    return dict(ec112.cli_json("incidents", "post", FIRE_ID, "--en", FIRE_EN, "--minutes", "30"))


def end_incident(ec112: Ec112Daemon, incident_id: int) -> None:
    ended = ec112.cli("incidents", "end", str(incident_id))
    assert "diakhiri / ended: 1 panggilan / calls, 1 mendengarnya / heard it" in ended.stdout


def announcements(asterisk: Lab) -> list[str]:
    """The Playback() arguments Asterisk executed for a known incident, in order."""
    log = asterisk.config.messages_log.read_text(errors="replace")
    return [m for m in re.findall(r'Playback\("[^"]*", "([^"]*)"\)', log) if "known-incident" in m]


def test_callers_hear_the_incident_while_the_taker_is_busy_reach_her_and_hear_nothing_once_it_ended(
        ec112: Ec112Daemon, asterisk: Lab, tmp_path: Path) -> None:
    taker = Softphone.taker(asterisk, "taker01")
    ec112.cli("agent", "login", "taker01")
    ec112.cli("agent", "pause", "taker01", "--reason", "sholat")  # the only taker is not free
    incident = post_incident(ec112)
    ready = ec112.wait_for(f"/api/incidents/{incident['id']}", lambda i: i["render"] != "pending", timeout=20)
    assert ready["render"] == "ready", ec112.log_tail()
    rendered = Path(asterisk.config.directory) / "rendered"
    speech = 0.0
    for lang in ("id", "en"):
        path = rendered / f"incident-{incident['id']}-{lang}.wav"
        with wave.open(str(path)) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        speech += voiced_seconds(path)
    assert speech > 3.0  # two spoken sentences, not empty files

    heard = tmp_path / "citizen-during.wav"
    citizen = Softphone.citizen(asterisk, number="081200000001")  # no location at intake: hears it too
    citizen.call("112", record=heard)
    citizen.wait_for("confirmed", timeout=10)
    answered_at = time.monotonic()
    ec112.wait_for_tickets(lambda ts: len(ts) == 1 and bool(ts[0]["queued_at"]), timeout=30)  # after the prompt
    announced = time.monotonic() - answered_at
    (played,) = announcements(asterisk)
    inside = asterisk.config.asterisk_dir
    # Language by language: the generic prompt then the incident's own text in Indonesian, then in English.
    text = f"{inside}/rendered/incident-{incident['id']}"
    assert played.split("&") == [f"{inside}/sounds/id/known-incident", f"{text}-id",
                                 f"{inside}/sounds/en/known-incident", f"{text}-en"]
    assert announced > speech  # the caller was held for the announcement before the queue

    # She becomes free: the caller, still in line, reaches her and they talk.
    taker.auto_answer(after=0.2, play=make_tone_wav(tmp_path / "1k.wav", 1000, 3.0))
    ec112.cli("agent", "unpause", "taker01")
    taker.wait_for("confirmed", timeout=15)
    time.sleep(1.5)
    citizen.hangup()
    citizen.wait_for("disconnected", timeout=10)
    assert voiced_seconds(heard, end=announced) > 0.7 * speech  # the announcement's energy, as long as its speech
    assert tone_power(heard, 1000, start=announced) > 0.001  # then the call taker's voice
    tickets = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and bool(ts[0]["ended_at"]))
    assert tickets[0]["answered_by"] == "taker01"
    counted = ec112.get(f"/api/incidents/{incident['id']}")
    assert (counted["calls"], counted["heard"]) == (1, 1)

    # Ended by the supervisor: with the taker busy again, the next caller hears none of it.
    end_incident(ec112, incident["id"])
    ec112.cli("agent", "pause", "taker01", "--reason", "sholat")
    after = Softphone.citizen(asterisk, number="081200000002")
    after.call("112", record=tmp_path / "citizen-after.wav")
    after.wait_for("confirmed", timeout=10)
    ec112.wait_for_tickets(lambda ts: len(ts) == 2 and all(t["queued_at"] for t in ts), timeout=15)
    after.hangup()
    after.wait_for("disconnected", timeout=10)
    assert len(announcements(asterisk)) == 1  # nothing more was announced
    final = ec112.get(f"/api/incidents/{incident['id']}")
    assert (final["active"], final["calls"], final["heard"]) == (False, 1, 1)
