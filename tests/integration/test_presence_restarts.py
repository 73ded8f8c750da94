"""Presence stays true across restarts: of ec112 (calls in flight) and of Asterisk (under ec112).

After each restart the API must say what Asterisk itself says (`queue show`, `core show channels`),
which is what a telephony admin would check by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from harness import CitizenCall, TakerPhone
from harness.asterisk_view import assert_presence_matches_asterisk, wait_presence_matches_asterisk
from harness.daemon import Ec112Daemon
from harness.sse import SseRecorder, agent_of

from conftest import Lab

pytestmark = pytest.mark.integration


def test_ec112_restarted_with_one_call_queued_and_one_in_progress(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    taker("taker01", ring_ms=200, talk_ms=40_000, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    ec112.wait_for("/api/agents", lambda a: agent_of(a, "taker01")["state"] == "available")
    citizen_call(caller_number="+6281211110001")
    talking = ec112.wait_for("/api/calls", lambda c: len(c) == 1 and c[0]["state"] == "talking")[0]
    citizen_call(caller_number="+6281211110002")
    ec112.wait_for("/api/queues", lambda q: len(q[0]["waiting"]) == 1)
    time.sleep(1.5)  # let the call in progress age, so that a "since" reset by the restart would show

    restarted_at = datetime.now(UTC)
    ec112.stop()
    ec112.start()

    agents = ec112.wait_for("/api/agents", lambda a: agent_of(a, "taker01")["state"] == "on_call")
    assert agent_of(agents, "taker01")["caller_number"] == "+6281211110001"
    assert agent_of(agents, "taker01")["call_linkedid"] == talking["linkedid"]
    assert datetime.fromisoformat(agent_of(agents, "taker01")["since"]) < restarted_at  # from Asterisk's clock
    calls = ec112.get("/api/calls")
    assert [(c["caller_number"], c["state"]) for c in calls] == [
        ("+6281211110001", "talking"), ("+6281211110002", "queued")]
    assert datetime.fromisoformat(calls[0]["started_at"]) < restarted_at
    waiting = ec112.get("/api/queues")[0]["waiting"]
    assert [(w["caller_number"], w["position"]) for w in waiting] == [("+6281211110002", 1)]
    assert_presence_matches_asterisk(ec112, asterisk)
    # no ticket was lost or doubled by the restart, and presence found each call's ticket again
    tickets = ec112.wait_for_tickets(lambda t: len(t) == 2)
    assert [t["caller_number_e164"] for t in tickets] == ["+6281211110001", "+6281211110002"]
    assert tickets[0]["answered_by"] == "taker01"
    assert agent_of(ec112.get("/api/agents"), "taker01")["ticket"] == tickets[0]["number"]
    assert [w["ticket"] for w in ec112.get("/api/queues")[0]["waiting"]] == [tickets[1]["number"]]
    assert [c["ticket"] for c in ec112.get("/api/calls")] == [t["number"] for t in tickets]


def test_asterisk_restarted_under_ec112(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    sse = SseRecorder(ec112.base_url, ec112.auth_headers())
    taker("taker01", ring_ms=200, talk_ms=1500, max_calls=1)
    taker("taker02", ring_ms=200, talk_ms=1500)
    for endpoint in ("taker01", "taker02"):
        ec112.cli("agent", "login", endpoint)
    ec112.cli("agent", "pause", "taker02", "--reason", "sholat")
    ec112.wait_for("/api/agents", lambda a: agent_of(a, "taker01")["state"] == "available"
          and agent_of(a, "taker02")["state"] == "paused")

    asterisk.process.stop()
    down = httpx.get(f"{ec112.base_url}/readyz", timeout=5)
    deadline = time.monotonic() + 10
    while down.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
        down = httpx.get(f"{ec112.base_url}/readyz", timeout=5)
    assert down.status_code == 503, down.text
    assert down.json()["components"]["ami"]["ok"] is False
    assert down.json()["components"]["agi"]["ok"] is True  # the intake port stays open for the fallback
    assert ec112.get("/api/agents")  # the API keeps answering with the last known state meanwhile
    time.sleep(1.0)
    assert any(kind == "ami" and data["connected"] is False for kind, data in sse.events), sse.events

    asterisk.process.start()
    ec112.wait_ready(timeout=45)  # reconnects by itself (capped backoff), no restart of ec112
    # Asterisk kept the takers (persistentmembers) and the pause; ec112 rebuilt presence from it.
    agents = ec112.wait_for("/api/agents", lambda a: agent_of(a, "taker01")["state"] == "available"
                   and agent_of(a, "taker02")["state"] == "paused")
    assert agent_of(agents, "taker02")["paused_reason"] == "sholat"
    # A restarted Asterisk still moves for a moment (its phones' contacts are qualified again: a device may go
    # Unavailable and back); ec112 must follow it to the same view, not match one instant of it.
    wait_presence_matches_asterisk(ec112, asterisk)
    assert any(kind in ("reload", "snapshot") for kind, _ in sse.events[-20:]), sse.events

    call = citizen_call(caller_number="+6281211110003")
    ec112.wait_for("/api/agents", lambda a: agent_of(a, "taker01")["state"] == "on_call"
          and agent_of(a, "taker01")["caller_number"] == "+6281211110003")
    assert_presence_matches_asterisk(ec112, asterisk)
    assert call.wait(timeout=30) == 0, call.diagnostics()
    tickets = ec112.wait_for_tickets(lambda t: len(t) == 1 and t[0]["ended_at"] is not None)
    assert tickets[0]["answered_by"] == "taker01"
    sse.stop()
    assert sse.error is None, sse.error
