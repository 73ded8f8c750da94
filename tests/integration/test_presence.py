"""Live presence from AMI, seen through the API, the CLI and the SSE stream, against real Asterisk."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon
from harness.sse import SseRecorder, agent_of

pytestmark = pytest.mark.integration


def test_takers_go_ringing_on_call_wrap_up_available_and_pause_is_shown(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    sse = SseRecorder(ec112.base_url, ec112.auth_headers())

    taker("taker01", ring_ms=1500, talk_ms=3000, max_calls=1)
    taker("taker02", ring_ms=200, talk_ms=500)
    for endpoint in ("taker01", "taker02"):
        ec112.cli("agent", "login", endpoint)
    ec112.cli("agent", "pause", "taker02", "--reason", "briefing")
    agents = ec112.wait_for("/api/agents", lambda a: agent_of(a, "taker02")["state"] == "paused"
                   and agent_of(a, "taker01")["state"] == "available")
    assert agent_of(agents, "taker02")["paused_reason"] == "briefing"

    call = citizen_call(caller_number="+6281277788899", caller_name="Presence")
    ringing = ec112.wait_for("/api/agents", lambda a: agent_of(a, "taker01")["state"] == "ringing")
    assert agent_of(ringing, "taker02")["state"] == "paused"  # Asterisk does not ring a paused taker
    on_call = ec112.wait_for("/api/agents", lambda a: agent_of(a, "taker01")["state"] == "on_call")
    assert agent_of(on_call, "taker01")["caller_number"] == "+6281277788899"
    (ticket,) = ec112.wait_for_tickets(lambda t: len(t) == 1)
    assert agent_of(on_call, "taker01")["ticket"] == ticket["number"]
    calls = ec112.wait_for("/api/calls", lambda c: len(c) == 1 and c[0]["state"] == "talking")
    assert calls[0]["taker"] == "taker01"
    assert ec112.cli_json("calls") == ec112.get("/api/calls")
    assert ec112.cli_json("agents") == ec112.get("/api/agents")

    assert call.wait(timeout=30) == 0, call.diagnostics()
    ec112.wait_for("/api/agents", lambda a: agent_of(a, "taker01")["state"] == "wrap_up")
    done = ec112.wait_for("/api/agents", lambda a: agent_of(a, "taker01")["state"] == "available", timeout=15)
    assert agent_of(done, "taker01")["calls_today"] == 1
    assert ec112.wait_for("/api/calls", lambda c: c == []) == []
    assert ec112.cli_json("queues") == ec112.get("/api/queues")
    assert "taker01" in ec112.cli("agents").stdout

    sse.stop()
    assert sse.error is None, sse.error
    kinds = sse.kinds()
    assert kinds[0] == "snapshot"
    assert "agent" in kinds
    assert "call" in kinds


def test_waiting_callers_show_in_queue_order(ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall]) -> None:
    first = citizen_call(caller_number="+6281100000001", hang_up_after_ms=6000, name="w1")
    time.sleep(1.0)
    second = citizen_call(caller_number="+6281100000002", hang_up_after_ms=4000, name="w2")
    queues = ec112.wait_for("/api/queues", lambda q: len(q[0]["waiting"]) == 2)
    assert [w["caller_number"] for w in queues[0]["waiting"]] == ["+6281100000001", "+6281100000002"]
    assert [w["position"] for w in queues[0]["waiting"]] == [1, 2]
    assert second.wait(timeout=20) == 0
    assert first.wait(timeout=20) == 0
    ec112.wait_for("/api/queues", lambda q: q[0]["waiting"] == [])
