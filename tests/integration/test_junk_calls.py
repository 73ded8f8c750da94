"""A number under a supervisor's restriction, through the real Asterisk (16 or 22), the FastAGI intake and the
real `ec112 serve`: its call gets the junk warning before the queue and the lowest queue priority, still reaches
a call taker; the restriction ends by itself at its end time (the next call is ordinary again); the audit
says who set it, why and until when.

What the caller hears is read on the channel while it waits (AMI Getvar): EC112_ANNOUNCE (the Playback of the
junk-warning prompt, Indonesian then English) and QUEUE_PRIO.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import Lab
from harness import CitizenCall, MiniAmi, TakerPhone
from harness.daemon import Ec112Daemon

from ec112.lab.render import AMI_USERNAME

pytestmark = pytest.mark.integration

NUMBER = "+6281377770001"
RESTRICTION_SECONDS = 12  # long enough for the first call's intake, short enough to watch it end


def _supervisor_token(ec112: Ec112Daemon) -> dict[str, str]:
    def cli(*args: str, stdin: str = "") -> str:
        done = subprocess.run([sys.executable, "-m", "ec112", "user", *args], env=ec112.env, input=stdin,
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    cli("add", "spv", "--role", "supervisor", "--password-stdin", stdin="Sandi-Supervisor-2026\n")
    return {"Authorization": f"Bearer {cli('token', 'spv').strip()}"}


def _queued_channel(lab: Lab, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = lab.rx(f"queue show {lab.config.queue}")
        if match := re.search(r"\b(PJSIP/trunk-[0-9a-f]+)\b", shown):
            return match.group(1)
        time.sleep(0.02)
    raise AssertionError(f"no caller in queue {lab.config.queue} after {timeout} s:\n{shown}")


def _waiting_call(lab: Lab, ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall], name: str,
                  ) -> tuple[CitizenCall, dict[str, str]]:
    """A call from NUMBER that waits in the queue (nobody logged in): what the dialplan set on its channel."""
    call = citizen_call(caller_number=NUMBER, name=name)
    channel = _queued_channel(lab)
    ami = MiniAmi(lab.config.ports.ami, AMI_USERNAME, lab.config.ami_secret)
    try:
        seen = {v: ami.getvar(channel, v) for v in ("EC112_TICKET", "EC112_ANNOUNCE", "QUEUE_PRIO")}
    finally:
        ami.close()
    assert seen["EC112_TICKET"], ec112.log_tail()  # the intake ran
    return call, seen


def _answered(ec112: Ec112Daemon, taker: Callable[..., TakerPhone], call: CitizenCall, count: int) -> dict[str, Any]:
    """taker01 logs in, her phone answers the waiting call; she logs out again. The call's ticket."""
    phone = taker("taker01", ring_ms=200, talk_ms=500, max_calls=1)
    login = httpx.post(f"{ec112.base_url}/api/agents/taker01/login", headers=ec112.auth_headers(), timeout=10)
    assert login.status_code == 200, login.text
    assert call.wait(timeout=20) == 0, call.diagnostics()
    phone.stop()
    httpx.post(f"{ec112.base_url}/api/agents/taker01/logout", headers=ec112.auth_headers(), timeout=10)
    tickets = ec112.wait_for_tickets(lambda ts: len(ts) == count and bool(ts[-1]["ended_at"]))
    return tickets[-1]


def test_a_restricted_number_hears_the_warning_still_reaches_a_taker_and_the_restriction_ends_by_itself(
    asterisk: Lab, ec112: Ec112Daemon, taker: Callable[..., TakerPhone],
    citizen_call: Callable[..., CitizenCall],
) -> None:
    spv = _supervisor_token(ec112)
    until = datetime.now(UTC) + timedelta(seconds=RESTRICTION_SECONDS)
    set_ = httpx.post(f"{ec112.base_url}/api/caller-measures", headers=spv, timeout=10, json={
        "subject": NUMBER, "kind": "restriction", "reason": "prank 5x malam ini", "until": until.isoformat()})
    assert set_.status_code == 201, set_.text
    measure = set_.json()

    call, seen = _waiting_call(asterisk, ec112, citizen_call, "restricted")
    announce = seen["EC112_ANNOUNCE"].split("&")  # the lab's sounds/ as Asterisk sees it, Indonesian first
    assert [a.rsplit("/", 2)[-2:] for a in announce] == [["id", "junk-warning"], ["en", "junk-warning"]], seen
    assert all(a.startswith("/") and "/sounds/" in a for a in announce), seen
    assert seen["QUEUE_PRIO"] == "1"  # RESTRICTED: still queued, answered after everyone else waiting
    first = _answered(ec112, taker, call, 1)
    assert (first["caller_number"], first["answered_by"], first["outcome"]) == (NUMBER, "taker01", "answered")

    # No job lifts it: at its end time it is simply no longer in force, and the next call is ordinary.
    remaining = (until - datetime.now(UTC)).total_seconds()
    assert remaining > 0, "the first call took longer than the restriction: the test proves nothing"
    time.sleep(remaining + 0.2)
    assert httpx.get(f"{ec112.base_url}/api/caller-measures", headers=spv, timeout=10).json() == []
    call, seen = _waiting_call(asterisk, ec112, citizen_call, "after")
    assert seen["EC112_ANNOUNCE"] == ""
    assert seen["QUEUE_PRIO"] == "10"
    second = _answered(ec112, taker, call, 2)
    assert second["answered_by"] == "taker01"

    audit = httpx.get(f"{ec112.base_url}/api/audit", headers=spv, timeout=10).json()
    [set_entry] = [e for e in audit if e["action"] == "junk.measure_set"]
    assert (set_entry["actor"], set_entry["target"]) == ("spv", f"number:{NUMBER}")
    assert set_entry["detail"]["reason"] == "prank 5x malam ini"
    assert datetime.fromisoformat(set_entry["detail"]["until"]) == datetime.fromisoformat(measure["until"])
    expired = [e for e in audit if e["action"] == "junk.measure_expired"]
    assert [(e["actor"], e["detail"]["set_by"]) for e in expired] == [("ec112", "spv")]
