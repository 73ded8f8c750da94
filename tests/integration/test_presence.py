"""Live presence from AMI, seen through the API, the CLI and the SSE stream, against real Asterisk."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon

pytestmark = pytest.mark.integration


def _wait(daemon: Ec112Daemon, path: str, predicate: Callable[[Any], bool], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    body: Any = None
    while time.monotonic() < deadline:
        body = daemon.get(path)
        if predicate(body):
            return body
        time.sleep(0.05)
    raise AssertionError(f"{path} never matched: {json.dumps(body, indent=1)}\n{daemon.log_tail()}")


def _agent(agents: list[dict[str, Any]], endpoint: str) -> dict[str, Any]:
    return next((a for a in agents if a["endpoint"] == endpoint), {"state": "absent"})


def _collect_sse(url: str, into: list[tuple[str, dict[str, Any]]], stop: threading.Event,
                 headers: dict[str, str]) -> None:
    with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(5, read=30)) as response:
        event = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                into.append((event, json.loads(line.split(":", 1)[1])))
            if stop.is_set():
                return


def test_takers_go_ringing_on_call_wrap_up_available_and_pause_is_shown(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    stop = threading.Event()
    reader = threading.Thread(target=_collect_sse, daemon=True,
                              args=(f"{ec112.base_url}/api/events", events, stop, ec112.auth_headers()))
    reader.start()

    taker("taker01", ring_ms=1500, talk_ms=3000, max_calls=1)
    taker("taker02", ring_ms=200, talk_ms=500)
    for endpoint in ("taker01", "taker02"):
        ec112.cli("agent", "login", endpoint)
    ec112.cli("agent", "pause", "taker02", "--reason", "briefing")
    agents = _wait(ec112, "/api/agents", lambda a: _agent(a, "taker02")["state"] == "paused"
                   and _agent(a, "taker01")["state"] == "available")
    assert _agent(agents, "taker02")["paused_reason"] == "briefing"

    call = citizen_call(caller_number="+6281277788899", caller_name="Presence")
    ringing = _wait(ec112, "/api/agents", lambda a: _agent(a, "taker01")["state"] == "ringing")
    assert _agent(ringing, "taker02")["state"] == "paused"  # Asterisk does not ring a paused taker
    on_call = _wait(ec112, "/api/agents", lambda a: _agent(a, "taker01")["state"] == "on_call")
    assert _agent(on_call, "taker01")["caller_number"] == "+6281277788899"
    (ticket,) = ec112.wait_for_tickets(lambda t: len(t) == 1)
    assert _agent(on_call, "taker01")["ticket"] == ticket["number"]
    calls = _wait(ec112, "/api/calls", lambda c: len(c) == 1 and c[0]["state"] == "talking")
    assert calls[0]["taker"] == "taker01"
    assert ec112.cli_json("calls") == ec112.get("/api/calls")
    assert ec112.cli_json("agents") == ec112.get("/api/agents")

    assert call.wait(timeout=30) == 0, call.diagnostics()
    _wait(ec112, "/api/agents", lambda a: _agent(a, "taker01")["state"] == "wrap_up")
    done = _wait(ec112, "/api/agents", lambda a: _agent(a, "taker01")["state"] == "available", timeout=15)
    assert _agent(done, "taker01")["calls_today"] == 1
    assert _wait(ec112, "/api/calls", lambda c: c == []) == []
    assert ec112.cli_json("queues") == ec112.get("/api/queues")
    assert "taker01" in ec112.cli("agents").stdout

    stop.set()
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "snapshot"
    assert "agent" in kinds
    assert "call" in kinds


def test_waiting_callers_show_in_queue_order(ec112: Ec112Daemon, citizen_call: Callable[..., CitizenCall]) -> None:
    first = citizen_call(caller_number="+6281100000001", hang_up_after_ms=6000, name="w1")
    time.sleep(1.0)
    second = citizen_call(caller_number="+6281100000002", hang_up_after_ms=4000, name="w2")
    queues = _wait(ec112, "/api/queues", lambda q: len(q[0]["waiting"]) == 2)
    assert [w["caller_number"] for w in queues[0]["waiting"]] == ["+6281100000001", "+6281100000002"]
    assert [w["position"] for w in queues[0]["waiting"]] == [1, 2]
    assert second.wait(timeout=20) == 0
    assert first.wait(timeout=20) == 0
    _wait(ec112, "/api/queues", lambda q: q[0]["waiting"] == [])
