"""Mass-incident mode on a real Asterisk: while the only logged-in call taker is not free, a caller hears the known
incident (the generic prompt, then its own text rendered by ec112 with espeak-ng into the lab) before the queue and
still reaches the call taker once she is free; after the supervisor ends it, the next caller hears none of it.

What the caller hears is read from Asterisk's own log (the Playback it executed, with the rendered files) and from
the counts ec112 keeps; the recorded audio is checked in ``test_known_incidents_audio.py`` (pjsua2).
"""

from __future__ import annotations

import re
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Lab
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon

pytestmark = pytest.mark.integration
FIRE_ID = "Kebakaran di Pasar Penajam sudah ditangani pemadam kebakaran"
FIRE_EN = "The fire at Pasar Penajam is being handled by the fire brigade"


def post_incident(ec112: Ec112Daemon, **body: Any) -> dict[str, Any]:
    response = httpx.post(f"{ec112.base_url}/api/incidents", headers=ec112.auth_headers(), timeout=10,
                          json={"text_id": FIRE_ID, "text_en": FIRE_EN, "minutes": 30, **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


def end_incident(ec112: Ec112Daemon, incident_id: int) -> None:
    response = httpx.post(f"{ec112.base_url}/api/incidents/{incident_id}/end", headers=ec112.auth_headers(),
                          timeout=10)
    assert response.status_code == 200, response.text


def announcements(asterisk: Lab) -> list[str]:
    """The Playback() arguments Asterisk executed for a known incident, in order."""
    log = asterisk.config.messages_log.read_text(errors="replace")
    return [m for m in re.findall(r'Playback\("[^"]*", "([^"]*)"\)', log) if "known-incident" in m]


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"never: {what}")


def test_callers_hear_the_incident_while_the_taker_is_busy_reach_her_and_hear_nothing_once_it_ended(
        ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone],
        citizen_call: Callable[..., CitizenCall]) -> None:
    phone = taker("taker01", ring_ms=200, talk_ms=800)
    ec112.cli("agent", "login", "taker01")
    ec112.cli("agent", "pause", "taker01", "--reason", "sholat")  # the only taker is not free
    incident = post_incident(ec112)
    ready = ec112.wait_for(f"/api/incidents/{incident['id']}", lambda i: i["render"] != "pending", timeout=20)
    assert ready["render"] == "ready", ec112.log_tail()
    rendered = Path(asterisk.config.directory) / "rendered"
    for lang in ("id", "en"):
        with wave.open(str(rendered / f"incident-{incident['id']}-{lang}.wav")) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
            assert wav.getnframes() > 8000 * 2  # a spoken sentence, not an empty file

    call = citizen_call(caller_number="+6281200000001", name="during")  # no location: hears it too
    wait_until(lambda: len(announcements(asterisk)) == 1, 15, "the announcement played")
    (played,) = announcements(asterisk)
    inside = asterisk.config.asterisk_dir
    assert played.split("&") == [f"{inside}/sounds/id/known-incident", f"{inside}/sounds/en/known-incident",
                                 f"{inside}/rendered/incident-{incident['id']}-id",
                                 f"{inside}/rendered/incident-{incident['id']}-en"]
    ec112.cli("agent", "unpause", "taker01")  # she becomes free: the caller, still in line, reaches her
    assert call.wait(timeout=60) == 0, call.diagnostics()
    tickets = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and bool(ts[0]["ended_at"]))
    assert tickets[0]["answered_by"] == "taker01"
    counted = ec112.get(f"/api/incidents/{incident['id']}")
    assert (counted["calls"], counted["heard"]) == (1, 1)

    end_incident(ec112, incident["id"])
    ec112.cli("agent", "pause", "taker01", "--reason", "sholat")  # busy again: only the end stops the prompt
    after = citizen_call(caller_number="+6281200000002", name="after", hang_up_after_ms=2500)
    assert after.wait(timeout=30) == 0, after.diagnostics()
    ec112.wait_for_tickets(lambda ts: len(ts) == 2 and all(t["ended_at"] for t in ts))
    assert len(announcements(asterisk)) == 1  # nothing more was announced
    assert len(phone.invites()) == 1
    final = ec112.get(f"/api/incidents/{incident['id']}")
    assert (final["active"], final["calls"], final["heard"]) == (False, 1, 1)
