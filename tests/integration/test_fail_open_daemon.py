"""Fail open with ec112 in the path: killed mid-intake, frozen (SIGSTOP), not running.

In each case the citizen's 112 call must still ring a call taker, and the ticket must appear once
ec112 can see the call again (intake "ami", via the resync after (re)connecting to Asterisk).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon

from conftest import Lab

pytestmark = pytest.mark.integration


def _wait_for_agi_connection(asterisk: Lab, timeout: float = 10.0) -> None:
    """Until Asterisk is inside the AGI() of a 112 call."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = asterisk.rx("core show channels concise")
        if "!AGI!" in shown:
            return
        time.sleep(0.02)
    raise AssertionError(f"no call reached AGI in {timeout} s:\n{shown}")


def test_frozen_ec112_does_not_hold_a_112_call(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    phone = taker("taker01", ring_ms=200, talk_ms=6000, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    frozen_pid = ec112.signal_worker(signal.SIGSTOP)  # accepts TCP, never answers

    started = datetime.now()
    call = citizen_call(caller_number="+6281398765432", caller_name="Frozen Case")
    invites = phone.wait_for_invites(1, timeout=10)
    assert invites, f"no call taker rang within 10 s of a 112 call to a frozen ec112\n{ec112.log_tail()}"
    assert (invites[0] - started).total_seconds() < 10.0
    assert call.wait(timeout=30) == 0, call.diagnostics()
    assert "ec112 intake unavailable" in asterisk.config.messages_log.read_text()

    # the watchdog killed the frozen worker and started a new one, which tickets the missed call
    ec112.wait_ready(timeout=30)
    assert ec112.worker_pid() != frozen_pid
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["ended_at"] is not None, timeout=20)
    assert ticket["intake"] == "ami"
    assert ticket["caller_number"] == "+6281398765432"
    assert ticket["answered_by"] == "taker01"
    assert ticket["outcome"] == "answered"


def test_ec112_killed_mid_intake_still_queues_the_call(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    phone = taker("taker01", ring_ms=200, talk_ms=4000, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    # Hold the worker still so the kill lands while Asterisk is inside the intake's AGI session.
    pid = ec112.signal_worker(signal.SIGSTOP)
    call = citizen_call(caller_number="+6281311223344")
    _wait_for_agi_connection(asterisk)
    killed_at = datetime.now()
    ec112.signal_worker(signal.SIGKILL)

    invites = phone.wait_for_invites(1, timeout=5)
    assert invites, "the call taker never rang after ec112 died mid-intake"
    assert (invites[0] - killed_at).total_seconds() < 3.0  # not waiting for the watchdog: the socket closed
    assert call.wait(timeout=30) == 0, call.diagnostics()
    ec112.wait_ready(timeout=30)
    assert ec112.worker_pid() != pid
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["ended_at"] is not None, timeout=20)
    assert ticket["caller_number"] == "+6281311223344"
    assert ticket["answered_by"] == "taker01"


@pytest.mark.ec112_not_started
def test_call_during_an_ec112_outage_is_ticketed_when_ec112_starts(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    # she talks long enough for ec112 to come back during the call even on a loaded machine (a start took 9 s once)
    phone = taker("taker01", ring_ms=200, talk_ms=15000, max_calls=1)
    asterisk.rx(f"queue add member PJSIP/taker01 to {asterisk.config.queue}")
    call = citizen_call(caller_number="+6281255556666", caller_name="Outage Case")
    assert phone.wait_for_invites(1, timeout=5), "ec112 is down: the dialplan fallback must still ring taker01"
    time.sleep(1.0)  # the taker is talking to the citizen now

    back_at = datetime.now(UTC)
    ec112.start()  # ec112 comes back while the call is in progress
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["answered_by"] is not None, timeout=15)
    assert ticket["intake"] == "ami"
    assert ticket["caller_number"] == "+6281255556666"
    assert ticket["caller_name"] == "Outage Case"
    assert ticket["answered_by"] == "taker01"
    assert ticket["ended_at"] is None
    # times come from the channels' ages, not from when ec112 came back (the taker rang within ~1 s)
    assert datetime.fromisoformat(ticket["created_at"]) < back_at - timedelta(seconds=0.5)
    assert ticket["wait_seconds"] <= 3.0
    assert call.wait(timeout=40) == 0, call.diagnostics()
    [ticket] = ec112.wait_for_tickets(lambda ts: ts[0]["ended_at"] is not None, timeout=15)
    assert ticket["outcome"] == "answered"
