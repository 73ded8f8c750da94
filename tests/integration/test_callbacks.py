"""Callbacks on a real Asterisk: a citizen who hangs up in the queue becomes a callback task; a call taker calls
back (her phone rings first, then the citizen's, through the trunk); the outcome is on the ticket's timeline; a task
left alone escalates on time."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.audio import make_tone_wav, tone_power, voiced_seconds
from harness.citizen import CitizenCall
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone

pytestmark = [pytest.mark.integration]
CITIZEN = "+6281355501234"
DEADLINE = 6  # [callbacks] deadline_seconds for these tests (a real room: 120)


def _token_of_new_taker(ec112: Ec112Daemon, username: str, endpoint: str) -> dict[str, str]:
    """A call taker account with her desk phone, and an API token of hers (the API acts as her)."""
    run = {"env": ec112.env, "capture_output": True, "text": True, "timeout": 30}
    added = subprocess.run([sys.executable, "-m", "ec112", "user", "add", username, "--role", "call_taker",
                            "--endpoint", endpoint, "--password-stdin"], input="Kata-Sandi-Panjang-2026\n", **run)
    assert added.returncode == 0, added.stdout + added.stderr
    issued = subprocess.run([sys.executable, "-m", "ec112", "user", "token", username], **run)
    assert issued.returncode == 0, issued.stdout + issued.stderr
    token = next(word for word in issued.stdout.split() if len(word) > 30)
    return {"Authorization": f"Bearer {token}"}


def _abandoned_call(ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall]) -> dict[str, Any]:
    """A citizen waits 5 s in the queue (nobody logged in to answer) and hangs up: its callback task."""
    call = citizen_call(caller_number=CITIZEN, hang_up_after_ms=5000)
    assert call.wait(timeout=30) == 0, call.diagnostics()
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["ended_at"] is not None)
    assert ticket["outcome"] == "abandoned"
    [task] = ec112.wait_for("/api/callbacks", lambda tasks: len(tasks) == 1, timeout=5)
    assert (task["ticket_id"], task["number"], task["reason"], task["status"]) == (
        ticket["id"], CITIZEN, "abandoned", "open")
    return task


def _kinds(ec112: Ec112Daemon, ticket: str) -> list[str]:
    return [e["kind"] for e in ec112.get(f"/api/tickets/{ticket}/timeline") if e["kind"].startswith("callback.")]


@pytest.mark.ec112_env({"EC112_CALLBACKS__DEADLINE_SECONDS": str(DEADLINE)})
def test_a_task_left_alone_escalates_on_time(asterisk: Lab, ec112: Ec112Daemon,
                                             citizen_call: Callable[..., CitizenCall]) -> None:
    task = _abandoned_call(ec112, citizen_call)
    assert 0 < task["seconds_left"] <= DEADLINE
    created = time.monotonic() - (DEADLINE - task["seconds_left"])
    [escalated] = ec112.wait_for("/api/callbacks", lambda ts: ts and ts[0]["escalated"], timeout=DEADLINE + 5)
    late = time.monotonic() - created - DEADLINE
    assert -0.5 < late < 2.0, late  # escalated at its deadline (the check runs every second)
    assert escalated["status"] == "open"  # still open for anyone to take
    assert _kinds(ec112, task["ticket"]) == ["callback.created", "callback.escalated"]


def test_a_new_call_from_the_same_number_closes_the_task(asterisk: Lab, ec112: Ec112Daemon,
                                                         citizen_call: Callable[..., CitizenCall]) -> None:
    task = _abandoned_call(ec112, citizen_call)
    again = citizen_call(caller_number=CITIZEN, hang_up_after_ms=1000, name="again")
    assert again.wait(timeout=30) == 0, again.diagnostics()
    tickets = ec112.wait_for_tickets(lambda ts: len(ts) == 2)
    ec112.wait_for("/api/callbacks", lambda tasks: all(t["id"] != task["id"] for t in tasks), timeout=5)
    timeline = [e for e in ec112.get(f"/api/tickets/{task['ticket']}/timeline") if e["kind"] == "callback.closed"]
    assert timeline
    assert timeline[0]["data"]["ticket_id"] == tickets[1]["id"]


def test_a_taker_calls_back_her_phone_first_then_the_citizen(asterisk: Lab, ec112: Ec112Daemon,
                                                             tmp_path: Path) -> None:
    sari = _token_of_new_taker(ec112, "sari", "taker01")
    heard, tone = tmp_path / "citizen-heard.wav", make_tone_wav(tmp_path / "1k.wav", 1000, 10.0)
    # the citizen's phone: on the lab's carrier port, where the trunk's AOR sends calls to citizens
    citizen = Softphone.citizen(asterisk, number=CITIZEN, carrier=True)
    citizen.call("112")
    citizen.wait_for("confirmed", timeout=10)  # answered by the dialplan, waiting in the queue (nobody logged in)
    time.sleep(5)
    citizen.hangup()
    citizen.wait_for("disconnected", timeout=10)
    [task] = ec112.wait_for("/api/callbacks", lambda tasks: len(tasks) == 1, timeout=10)
    assert (task["number"], task["reason"]) == (CITIZEN, "abandoned")

    taker = Softphone.taker(asterisk, "taker01")
    taken = _post(ec112, f"/api/callbacks/{task['id']}/take", sari)
    assert taken.status_code == 200, taken.text
    assert (taken.json()["status"], taken.json()["taken_by"]) == ("taken", "taker01")
    calling = _post(ec112, f"/api/callbacks/{task['id']}/call", sari)
    assert calling.status_code == 200, calling.text
    assert calling.json()["status"] == "calling"

    ringing = taker.wait_for("incoming", timeout=10)  # her own phone first, showing the ticket and the number
    assert ringing["caller_id"] == CITIZEN
    assert task["ticket"] in ringing["remote_uri"]
    assert citizen.events()[-1]["state"] == "disconnected"  # the citizen is not rung before she answers
    taker.answer(play=tone)
    taker.wait_for("confirmed", timeout=10)
    rung = citizen.wait_for("incoming", timeout=10)  # then the citizen's, through the trunk, from 112
    assert rung["caller_id"] == "112"
    citizen.answer(record=heard)
    citizen.wait_for("confirmed", timeout=10)
    time.sleep(3.0)  # the callback greeting (Indonesian first) plays to her before she talks with the taker
    citizen.hangup()
    citizen.wait_for("disconnected", timeout=10)
    taker.wait_for("disconnected", timeout=10)
    assert voiced_seconds(heard) > 2.0  # the greeting, not silence
    assert tone_power(heard, 1000) < 0.001  # and not yet the taker: the greeting comes first

    ec112.wait_for("/api/callbacks", lambda tasks: tasks == [], timeout=10)  # done: off the list
    done = ec112.get(f"/api/callbacks/{task['id']}")
    assert (done["status"], done["outcome"], done["outcome_by"]) == ("done", "reached", "asterisk")
    timeline = [e for e in ec112.get(f"/api/tickets/{task['ticket']}/timeline") if e["kind"].startswith("callback.")]
    assert [e["kind"] for e in timeline] == ["callback.created", "callback.taken", "callback.calling",
                                             "callback.outcome"]
    assert timeline[-1]["data"]["outcome"] == "reached"
    assert [e["actor"] for e in timeline[1:3]] == ["sari", "sari"]  # who took it and called
    audited = [(e["actor"], e["action"]) for e in ec112.cli_json("audit", "list") if e["action"].startswith("callback")]
    assert ("sari", "callback.taken") in audited
    assert ("sari", "callback.calling") in audited
    citizen.close()
    taker.close()


def _post(ec112: Ec112Daemon, path: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{ec112.base_url}{path}", headers=headers, timeout=10)
