"""Durability and degradation of the intake with a real Asterisk, SIPp phones and ec112 (on SQLite or
PostgreSQL: EC112_TEST_DATABASE).

(c) The database is locked by another process during a 112 call: the call is still queued within the
    intake deadline (fallback path, no ticket yet), the taker rings, and the ticket appears once the lock
    is released — exactly one.
(d) kill -9 of the worker right after a ticket was acknowledged (EC112_TICKET set on the channel, or the
    API answered a change): after the restart the ticket and the change are there.
(e) Under systemd: `ec112 serve` says READY=1 once its worker serves and feeds the watchdog (WATCHDOG=1).
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import CitizenCall, MiniAmi, TakerPhone, parse_channels_concise
from harness.daemon import Ec112Daemon

from conftest import Lab

pytestmark = pytest.mark.integration
INTAKE_DEADLINE = 3.0  # settings.agi.intake_deadline (default)


@pytest.fixture
def ami(asterisk: Lab) -> Iterator[MiniAmi]:
    client = MiniAmi(asterisk.config.ports.ami, "ec112", asterisk.config.ami_secret)
    yield client
    client.close()


def caller_channel(asterisk: Lab, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for channel in parse_channels_concise(asterisk.rx("core show channels concise")):
            if channel.channel.startswith("PJSIP/trunk-"):
                return channel.channel
        time.sleep(0.02)
    raise AssertionError("no citizen channel appeared")


def wait_ticket_variable(ami: MiniAmi, channel: str, timeout: float = 10.0) -> str:
    """Until ec112's intake has set EC112_TICKET on the call (it does so only after the COMMIT)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = ami.getvar(channel, "EC112_TICKET")
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError("EC112_TICKET never set")


def wait_new_worker(ec112: Ec112Daemon, old_pid: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ec112.wait_ready(timeout=30)
        if ec112.worker_pid() != old_pid:
            return
        time.sleep(0.1)
    raise AssertionError("the supervisor did not start a new worker")


def test_a_ticket_acknowledged_survives_kill_9(
    ec112: Ec112Daemon, asterisk: Lab, ami: MiniAmi, taker: Callable[..., TakerPhone],
    citizen_call: Callable[..., CitizenCall],
) -> None:
    taker("taker01", ring_ms=200, talk_ms=6000, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    call = citizen_call(caller_number="+6281344440004", caller_name="Kill Sembilan")
    number = wait_ticket_variable(ami, caller_channel(asterisk))
    killed = ec112.signal_worker(signal.SIGKILL)  # the moment the dialplan was told the ticket exists
    wait_new_worker(ec112, killed)
    ticket = ec112.get(f"/api/tickets/{number}")
    assert ticket["number"] == number
    assert (ticket["intake"], ticket["caller_number"]) == ("agi", "+6281344440004")

    # an answer of the API is an acknowledgement too
    body = {"classification": "informasi", "description": "tanya nomor rumah sakit", "revision": ticket["revision"]}
    response = httpx.post(f"{ec112.base_url}/api/tickets/{number}/classification", json=body,
                          headers=ec112.auth_headers(), timeout=5)
    assert response.status_code == 200, response.text
    killed = ec112.signal_worker(signal.SIGKILL)
    wait_new_worker(ec112, killed)
    after = ec112.get(f"/api/tickets/{number}")
    assert (after["classification"], after["description"]) == ("informasi", "tanya nomor rumah sakit")
    assert after["revision"] == response.json()["revision"]

    assert call.wait(timeout=30) == 0, call.diagnostics()
    [done] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["ended_at"] is not None, timeout=15)
    assert (done["number"], done["outcome"], done["answered_by"]) == (number, "answered", "taker01")


@pytest.fixture
def fast_backfill(ec112: Ec112Daemon) -> Ec112Daemon:
    ec112.env["EC112_RECORDS__INTERVAL"] = "1"
    return ec112


@pytest.mark.ec112_not_started
def test_a_locked_database_degrades_the_intake_instead_of_hanging_it(
    fast_backfill: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone],
    citizen_call: Callable[..., CitizenCall],
) -> None:
    ec112 = fast_backfill
    ec112.start()
    phone = taker("taker01", ring_ms=200, talk_ms=9000, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    with ec112.write_locked():  # another process holds the write lock
        locked_at = time.monotonic()
        started = datetime.now()
        call = citizen_call(caller_number="+6281355550005", caller_name="Basis Data Terkunci")
        invites = phone.wait_for_invites(1, timeout=INTAKE_DEADLINE + 3)
        assert invites, f"the taker never rang while the database was locked\n{ec112.log_tail()}"
        assert (invites[0] - started).total_seconds() < INTAKE_DEADLINE + 1.5  # queued within the deadline
        log = asterisk.config.messages_log.read_text()
        assert "ec112 intake unavailable" in log  # no EC112_TICKET: the dialplan's fallback queued it
        assert ec112.get("/api/tickets") == []  # no ticket yet (reads still work: WAL, EXCLUSIVE MODE)
        time.sleep(max(0.0, 5.0 - (time.monotonic() - locked_at)))
    released = time.monotonic()
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["answered_by"] is not None, timeout=8)
    assert time.monotonic() - released < 5.0  # once the lock is gone, not once the call is over
    assert ticket["ended_at"] is None  # the call is still going on
    assert (ticket["intake"], ticket["caller_number"], ticket["answered_by"]) == (
        "ami", "+6281355550005", "taker01")

    assert call.wait(timeout=30) == 0, call.diagnostics()
    [ended] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["ended_at"] is not None, timeout=10)
    time.sleep(2.5)  # two more backfill passes over the call's CDR: still one ticket
    tickets: list[dict[str, Any]] = ec112.get("/api/tickets")
    assert [(t["id"], t["outcome"]) for t in tickets] == [(ended["id"], "answered")]


@pytest.mark.ec112_not_started
def test_serve_tells_systemd_ready_and_feeds_its_watchdog(ec112: Ec112Daemon, tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(0.2)
        ec112.env.update({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "2000000"})
        ec112.start(wait_ready=False)
        messages: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(m.startswith("READY=1") for m in messages):
            try:
                messages.append(sock.recv(4096).decode())
            except TimeoutError:
                continue
        assert any(m.startswith("READY=1") for m in messages), messages
        ec112.wait_ready(timeout=5)  # READY came no earlier than the web server
        pets = 0
        end = time.monotonic() + 2.5
        while time.monotonic() < end:
            try:
                pets += sock.recv(4096) == b"WATCHDOG=1"
            except TimeoutError:
                continue
        assert pets >= 2  # every WATCHDOG_USEC / 2
