"""Recordings of 112 calls on a real Asterisk (issue 14, part A): a pjsua2 citizen plays a tone for a known time,
a pjsua2 call taker answers; the dialplan's MixMonitor writes the file, ec112 links and seals it.

"A recorded call: the file exists, plays (duration within 1 s of the call's), is linked to the ticket, its hash is
in the audit chain; a call taker of another call cannot fetch it (403); retention deletes an old file and logs it."
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import httpx
import pytest
from harness.audio import duration, make_tone_wav, tone_power
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone
from test_silent_calls import taker_token

pytestmark = pytest.mark.integration
CITIZEN_HZ = 440
TALK_SECONDS = 4.0


@pytest.mark.ec112_env({"EC112_RECORDING__RETENTION_CHECK_SECONDS": "1"})
def test_a_recorded_call_is_sealed_replayed_to_its_taker_only_and_deleted_after_keep_days(
    ec112: Ec112Daemon, asterisk: Lab, tmp_path: Path
) -> None:
    siti = taker_token(ec112, "siti", "taker01")  # answers this call
    budi = taker_token(ec112, "budi", "taker02")  # a call taker of another call
    taker = Softphone.taker(asterisk, "taker01")
    ec112.cli("agent", "login", "taker01")
    taker.auto_answer(after=0.3)
    citizen = Softphone.citizen(asterisk, number="081234500114")
    citizen.call("112", play=make_tone_wav(tmp_path / "citizen.wav", CITIZEN_HZ, TALK_SECONDS + 4))
    citizen.wait_for("confirmed", timeout=10)  # the dialplan answered: MixMonitor starts here
    started = time.monotonic()
    taker.wait_for("confirmed", timeout=15)
    time.sleep(max(0.0, TALK_SECONDS - (time.monotonic() - started)))
    citizen.hangup()
    call_seconds = time.monotonic() - started
    citizen.wait_for("disconnected", timeout=10)

    number = ec112.wait_for_tickets(lambda ts: bool(ts) and ts[-1]["answered_by"] == "taker01")[-1]["number"]
    info = ec112.wait_for(f"/api/tickets/{number}/recording/info", lambda b: b["state"] == "sealed", timeout=25)

    # the file exists where the dialplan wrote it (named after the Linkedid, under its UTC day), and is linked
    files = list((asterisk.config.directory / "recordings").rglob("*.wav"))
    assert len(files) == 1, files
    recorded = files[0]
    ticket = ec112.get(f"/api/tickets/{number}")
    assert recorded.name == f"{ticket['linkedid']}.wav"
    assert "081234500114" not in str(recorded)
    assert info["sha256"] == hashlib.sha256(recorded.read_bytes()).hexdigest()
    assert info["size_bytes"] == recorded.stat().st_size
    assert abs(info["duration_seconds"] - call_seconds) < 1.0, (info, call_seconds)
    assert abs(duration(recorded) - call_seconds) < 1.0
    assert tone_power(recorded, CITIZEN_HZ) > 0.001  # the citizen's tone is in it

    # its hash is in the audit chain (and the chain verifies)
    sealed = [e for e in ec112.get("/api/audit?limit=200") if e["action"] == "recording.sealed"]
    assert [e["target"] for e in sealed] == [number]
    assert sealed[0]["detail"]["sha256"] == info["sha256"]
    ec112.cli("audit", "verify")

    # the taker who answered plays it (and seeks: Range → 206); another call taker gets 403
    url = f"{ec112.base_url}/api/tickets/{number}/recording"
    whole = httpx.get(url, headers=siti, timeout=10)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "audio/wav"
    assert hashlib.sha256(whole.content).hexdigest() == info["sha256"]
    part = httpx.get(url, headers={**siti, "Range": "bytes=1000-1999"}, timeout=10)
    assert part.status_code == 206
    assert part.content == whole.content[1000:2000]
    assert httpx.get(url, headers=budi, timeout=10).status_code == 403
    assert httpx.get(f"{url}?download=1", headers=budi, timeout=10).status_code == 403
    played = [e for e in ec112.get("/api/audit?limit=200") if e["action"] == "recording.played"]
    assert [(e["actor"], e["target"]) for e in played] == [("siti", number)]  # once, not per Range request

    # retention: the call is made older than keep_days; the sweep (every second here) deletes and logs it
    ec112.sql("UPDATE recordings SET ended_at = '2020-01-01 00:00:00.000000'")
    gone = ec112.wait_for(f"/api/tickets/{number}/recording/info", lambda b: b["state"] == "deleted", timeout=15)
    assert not recorded.exists()
    assert gone["sha256"] == info["sha256"]  # the hash stays
    assert f"recording deleted after 90 days: ticket {number}" in ec112.log_tail(200_000)
    deleted = [e for e in ec112.get("/api/audit?limit=200") if e["action"] == "recording.deleted"]
    assert [e["target"] for e in deleted] == [number]
    assert httpx.get(url, headers=siti, timeout=10).status_code == 404


@pytest.mark.lab_config({"recording_start": "answer"})
def test_with_start_answer_the_recording_begins_when_the_taker_answers(
    ec112: Ec112Daemon, asterisk: Lab, tmp_path: Path
) -> None:
    taker = Softphone.taker(asterisk, "taker01")
    ec112.cli("agent", "login", "taker01")
    taker.auto_answer(after=2.5)  # the caller waits (prompts, ringing): not recorded in this mode
    citizen = Softphone.citizen(asterisk, number="081234500115")
    citizen.call("112", play=make_tone_wav(tmp_path / "citizen.wav", CITIZEN_HZ, 10.0))
    citizen.wait_for("confirmed", timeout=10)
    arrived = time.monotonic()
    taker.wait_for("confirmed", timeout=15)
    answered = time.monotonic()
    time.sleep(3.0)
    citizen.hangup()
    ended = time.monotonic()
    citizen.wait_for("disconnected", timeout=10)

    number = ec112.wait_for_tickets(lambda ts: bool(ts) and ts[-1]["answered_by"] == "taker01")[-1]["number"]
    info = ec112.wait_for(f"/api/tickets/{number}/recording/info", lambda b: b["state"] == "sealed", timeout=25)
    assert abs(info["duration_seconds"] - (ended - answered)) < 1.0, (info, ended - answered)
    assert info["duration_seconds"] < (ended - arrived) - 1.5  # the wait before the answer is not in it
    files = list((asterisk.config.directory / "recordings").rglob("*.wav"))
    assert [f.name for f in files] == [f"{ec112.get(f'/api/tickets/{number}')['linkedid']}.wav"]
    assert tone_power(files[0], CITIZEN_HZ) > 0.001


@pytest.mark.ec112_not_started
def test_a_call_made_while_ec112_was_down_is_recorded_and_sealed_when_it_starts(
    ec112: Ec112Daemon, asterisk: Lab, tmp_path: Path
) -> None:
    taker = Softphone.taker(asterisk, "taker01")
    asterisk.rx(f"queue add member PJSIP/taker01 to {asterisk.config.queue}")  # ec112 down: nobody logs her in
    taker.auto_answer(after=0.3)
    citizen = Softphone.citizen(asterisk, number="081234500116")
    citizen.call("112", play=make_tone_wav(tmp_path / "citizen.wav", CITIZEN_HZ, 6.0))
    citizen.wait_for("confirmed", timeout=10)  # fail open: queued without a ticket, recorded all the same
    started = time.monotonic()
    taker.wait_for("confirmed", timeout=15)
    time.sleep(2.5)
    citizen.hangup()
    call_seconds = time.monotonic() - started
    citizen.wait_for("disconnected", timeout=10)
    files = list((asterisk.config.directory / "recordings").rglob("*.wav"))
    assert len(files) == 1, files

    ec112.start()  # the backfill tickets the call from Asterisk's records; the recordings worker seals its file
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["ended_at"] is not None, timeout=15)
    assert ticket["intake"] == "backfill"
    assert files[0].name == f"{ticket['linkedid']}.wav"
    info = ec112.wait_for(f"/api/tickets/{ticket['number']}/recording/info", lambda b: b["state"] == "sealed",
                          timeout=20)
    assert info["sha256"] == hashlib.sha256(files[0].read_bytes()).hexdigest()
    assert abs(info["duration_seconds"] - call_seconds) < 1.0
    sealed = [e for e in ec112.get("/api/audit?limit=200") if e["action"] == "recording.sealed"]
    assert [e["target"] for e in sealed] == [ticket["number"]]
