"""Faults under a modest flood (issue 6): each test places 20 citizens' 112 calls at 2 calls/s against four
SIPp call takers (ring 0.2 s, talk 1.5 s, Asterisk's 5 s wrap-up) — more than they can take, so callers
who wait 10 s without an answer hang up — and injects one fault in the middle:

- kill -9 of the ec112 worker (the supervisor starts a new one; resync and backfill fill the gap);
- SIGSTOP of the worker for 15 s (the watchdog kills it after 3 s and starts a new one);
- Asterisk restarted (the calls in flight die with it; the ones after must be fine);
- the database read-only for 5 s (the intake degrades, tickets come once it is writable; SQLite or PostgreSQL);
- the AMI connection half-open (a proxy stops forwarding, keeps both sockets open): ec112 must notice by
  its Pong deadline, reconnect and resync.

After each, once Asterisk is idle (harness/fault_check.py): every call that reached Asterisk (its CDR and
queue_log) reached a call taker or is recorded abandoned, every call has exactly one ticket, ended at
Asterisk's end time, a call queued after a successful intake shows the location its caller sent, and ec112's
presence equals Asterisk's `queue show` / `core show channels`. The presence comparison is also made in the
middle of the flood, right after ec112 got over the fault.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import TakerPhone
from harness.asterisk_view import wait_presence_matches_asterisk
from harness.daemon import Ec112Daemon
from harness.fault_check import Settled, assert_every_call_accounted_for
from harness.flood import CitizenFlood
from harness.sse import agent_of
from harness.tcp_proxy import TcpProxy

from conftest import Lab

pytestmark = [pytest.mark.integration, pytest.mark.ec112_not_started]
TAKERS = ("taker01", "taker02", "taker03", "taker04")
CALLS, RATE, PATIENCE_MS = 20, 2.0, 10_000
WATCHDOG_TIMEOUT = 3.0  # settings.watchdog.timeout (default)
PING_INTERVAL, PONG_TIMEOUT = 2.0, 3.0  # the harness' EC112_AMI__PING_INTERVAL; settings.ami.pong_timeout
INTAKE_DEADLINE = 3.0  # settings.agi.intake_deadline
PANELS = 8  # concurrent API readers while the database is read-only


def start(ec112: Ec112Daemon, **env: str) -> None:
    """ec112 reading Asterisk's records every second (the backfill is the net for calls it missed)."""
    ec112.env.update({"EC112_RECORDS__INTERVAL": "1", **env})
    ec112.start()


def log_in_takers(ec112: Ec112Daemon, taker: Callable[..., TakerPhone]) -> None:
    for endpoint in TAKERS:
        taker(endpoint, ring_ms=200, talk_ms=1500)
        response = httpx.post(f"{ec112.base_url}/api/agents/{endpoint}/login", headers=ec112.auth_headers(),
                              timeout=10)
        assert response.status_code == 200, response.text
    ec112.wait_for("/api/agents", lambda a: all(agent_of(a, e)["state"] == "available" for e in TAKERS))


def flood(asterisk: Lab, prefix: str) -> CitizenFlood:
    return CitizenFlood(asterisk.sip_port, asterisk.workdir, caller_prefix=prefix, calls=CALLS, rate=RATE,
                        patience_ms=PATIENCE_MS)


def wait_new_worker(ec112: Ec112Daemon, old_pid: int, timeout: float = 30.0) -> datetime:
    """Until a worker other than ``old_pid`` serves (/readyz 200); when it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ec112.wait_ready(timeout=timeout)
        with contextlib.suppress(httpx.HTTPError):
            if ec112.worker_pid() != old_pid:
                return datetime.now(UTC)
        time.sleep(0.1)
    raise AssertionError(f"no new worker after {timeout} s\n{ec112.log_tail()}")


def calls_between(settled: Settled, since: datetime, until: datetime) -> list[str]:
    """Linkedids of the calls that arrived (CDR start) in [since, until)."""
    return [c.linkedid for c in settled.calls.values() if c.started_at and since <= c.started_at < until]


def intakes(settled: Settled, linkedids: list[str]) -> list[str]:
    return [settled.tickets[linkedid]["intake"] for linkedid in linkedids]


def test_kill_9_of_the_worker_during_a_flood(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone],
) -> None:
    start(ec112)
    log_in_takers(ec112, taker)
    citizens = flood(asterisk, "+62811100")
    time.sleep(3.0)
    killed_at = datetime.now(UTC)
    killed = ec112.signal_worker(signal.SIGKILL)
    back_at = wait_new_worker(ec112, killed)
    wait_presence_matches_asterisk(ec112, asterisk)  # calls in flight: the new worker rebuilt the view
    assert citizens.wait() == 0, citizens.diagnostics()

    settled = assert_every_call_accounted_for(ec112, asterisk, asterisk.config, numbers=citizens.numbers())
    # calls came while no worker listened: the dialplan queued them, AMI (resync) or the backfill ticketed them
    gap = intakes(settled, calls_between(settled, killed_at, back_at))
    assert {"ami", "backfill"} & set(gap), f"intakes of the calls while the worker was down: {gap}"
    after = intakes(settled, calls_between(settled, back_at + timedelta(seconds=0.5), datetime.now(UTC)))
    assert after, settled.summary()
    assert set(after) == {"agi"}, f"intakes of the calls after the restart: {after}"
    assert 0 < settled.answered() < len(settled.calls), settled.summary()  # both endings happened


def test_worker_frozen_for_15_s_during_calls(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone],
) -> None:
    start(ec112)
    log_in_takers(ec112, taker)
    citizens = flood(asterisk, "+62811200")
    time.sleep(3.0)
    frozen = ec112.signal_worker(signal.SIGSTOP)
    frozen_at = time.monotonic()
    wait_new_worker(ec112, frozen)  # the watchdog killed it (no heartbeat for 3 s) and started another
    assert time.monotonic() - frozen_at < WATCHDOG_TIMEOUT + 10, "the watchdog took too long"
    wait_presence_matches_asterisk(ec112, asterisk)
    time.sleep(max(0.0, 15.0 - (time.monotonic() - frozen_at)))
    still_there = _is_ec112_worker(frozen)  # never SIGCONT a pid that is no longer our worker
    if still_there:
        os.kill(frozen, signal.SIGCONT)
    assert not still_there, f"the frozen worker {frozen} was still there after 15 s"
    assert citizens.wait() == 0, citizens.diagnostics()

    settled = assert_every_call_accounted_for(ec112, asterisk, asterisk.config, numbers=citizens.numbers())
    # fail open: no citizen sat in the frozen intake longer than the watchdog's bound before being queued
    for call in settled.calls.values():
        waited = call.seconds_to_queue()
        assert waited < WATCHDOG_TIMEOUT + 2.5, f"{call} sat {waited:.1f} s before the queue"
    assert any(t["intake"] != "agi" for t in settled.tickets.values()), settled.summary()


def _is_ec112_worker(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return False
    return b"ec112" in cmdline and b"worker" in cmdline


def test_asterisk_restarted_under_load(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone],
) -> None:
    start(ec112)
    log_in_takers(ec112, taker)
    citizens = flood(asterisk, "+62811300")
    time.sleep(4.0)
    in_flight = ec112.get("/api/calls")
    assert in_flight, "no call in flight when Asterisk went down"
    asterisk.process.stop()
    asterisk.process.start()
    restarted_at = datetime.now(UTC)
    ec112.wait_ready(timeout=30)  # reconnected by itself
    ec112.wait_for("/api/agents", lambda a: all(agent_of(a, e)["state"] in ("available", "wrap_up", "ringing",
                                                                             "on_call") for e in TAKERS))
    wait_presence_matches_asterisk(ec112, asterisk)
    citizens.wait()  # the calls that died with Asterisk fail on the citizen's side: that is the fault

    settled = assert_every_call_accounted_for(ec112, asterisk, asterisk.config)
    killed = [t for t in settled.tickets.values()
              if datetime.fromisoformat(t["created_at"]) < restarted_at]
    assert {c["linkedid"] for c in in_flight} <= {t["linkedid"] for t in killed}
    assert all(t["ended_at"] and t["outcome"] for t in killed), killed  # none left open by the restart
    after = calls_between(settled, restarted_at + timedelta(seconds=0.5), datetime.now(UTC))
    assert len(after) >= 5, settled.summary()  # calls went on after the restart
    assert set(intakes(settled, after)) == {"agi"}, f"intakes of the calls after the restart: {intakes(settled, after)}"
    assert any(settled.calls[linkedid].answered_by for linkedid in after), settled.summary()


@contextlib.contextmanager
def read_only_database(ec112: Ec112Daemon) -> Iterator[None]:
    """The database made read-only — really, for ec112's open connections too.

    SQLite: the file (and its WAL) made immutable. Why not ``chmod 0444``: permissions are checked when a file
    is opened, and ec112's pooled connections keep it open for writing (and the tests run as root, who ignores
    them anyway). The immutable attribute (``chattr +i``) is checked at every write, for root and for
    descriptors already open: a write through an open connection fails (SQLITE_IOERR), a connection opened
    meanwhile is read-only (SQLITE_READONLY). The WAL index (``-shm``) is left alone: SQLite maps it into
    memory and a write to an immutable mapping is SIGBUS, a crash rather than a read-only database.

    PostgreSQL: what a failover to a read-only standby looks like to ec112: its sessions are cut
    (``pg_terminate_backend``) and every new one is read-only (``default_transaction_read_only``); afterwards
    the database is writable again but the sessions opened meanwhile keep their read-only default, as
    SQLite's read-only connections do: ec112 must drop them itself.
    """
    if ec112.database == "postgresql":
        database = ec112.pg_dsn().rsplit("/", 1)[1]
        ec112.sql(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
        ec112.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = ? AND pid <> pg_backend_pid()", database)
        try:
            yield
        finally:
            ec112.sql(f'ALTER DATABASE "{database}" RESET default_transaction_read_only')
        return
    database = ec112.var_dir / "ec112.sqlite3"
    files = [str(database), f"{database}-wal"]
    assert all(Path(f).exists() for f in files), f"{files}: SQLite in WAL mode expected"
    made = subprocess.run(["chattr", "+i", *files], capture_output=True, text=True, check=False)
    try:
        assert made.returncode == 0, f"chattr +i failed (needs root, CAP_LINUX_IMMUTABLE): {made.stderr}"
        yield
    finally:
        subprocess.run(["chattr", "-i", *files], check=True, capture_output=True)


def test_database_read_only_for_5_s_under_load(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone],
) -> None:
    start(ec112)
    log_in_takers(ec112, taker)
    citizens = flood(asterisk, "+62811400")
    time.sleep(3.0)
    with read_only_database(ec112):
        # from here on it IS read-only (on PostgreSQL the switch and the cut of the daemon's sessions take a moment:
        # a call that arrived meanwhile was rightly ticketed by the intake)
        read_only_at = datetime.now(UTC)
        time.sleep(1.0)
        # supervisors' panels keep reading meanwhile (several at once: ec112 opens more connections)
        with ThreadPoolExecutor(PANELS) as panels:
            pages = list(panels.map(ec112.get, ["/api/tickets?limit=200", "/api/kpis"] * PANELS))
        assert all(isinstance(page, list) for page in pages)
        time.sleep(max(0.0, 5.0 - (datetime.now(UTC) - read_only_at).total_seconds()))
    writable_at = datetime.now(UTC)
    # the tickets of the calls queued meanwhile come now, while the flood goes on
    ec112.wait_for("/api/tickets?limit=200", lambda ts: sum(
        1 for t in ts if read_only_at <= datetime.fromisoformat(t["created_at"]) < writable_at) >= 5, timeout=8)
    assert citizens.wait() == 0, citizens.diagnostics()

    settled = assert_every_call_accounted_for(ec112, asterisk, asterisk.config, numbers=citizens.numbers())
    during = calls_between(settled, read_only_at, writable_at - timedelta(seconds=0.5))
    assert len(during) >= 5, settled.summary()
    for linkedid in during:  # the intake failed in time: the dialplan queued the call anyway
        call = settled.calls[linkedid]
        assert call.seconds_to_queue() < INTAKE_DEADLINE + 1.0, call
    assert set(intakes(settled, during)) <= {"ami", "backfill"}, f"intakes while read-only: {intakes(settled, during)}"
    after = intakes(settled, calls_between(settled, writable_at + timedelta(seconds=1), datetime.now(UTC)))
    assert after, settled.summary()
    # no connection stayed read-only: every later call was ticketed by the intake itself again
    assert set(after) == {"agi"}, f"intakes of the calls after the database was writable again: {after}"


def test_ami_connection_half_open(
    ec112: Ec112Daemon, asterisk: Lab, taker: Callable[..., TakerPhone],
) -> None:
    with TcpProxy(asterisk.config.ports.ami) as proxy:
        start(ec112, EC112_AMI__PORT=str(proxy.port), EC112_AMI__PONG_TIMEOUT=str(PONG_TIMEOUT))
        log_in_takers(ec112, taker)
        citizens = flood(asterisk, "+62811500")
        time.sleep(3.0)
        assert proxy.freeze() >= 1
        frozen_at = time.monotonic()
        down = _wait_ami_down(ec112, timeout=PING_INTERVAL + PONG_TIMEOUT + 5)
        noticed = time.monotonic() - frozen_at
        assert noticed <= PING_INTERVAL + PONG_TIMEOUT + 1.0, f"half-open AMI noticed after {noticed:.1f} s"
        assert "no Pong" in down["components"]["ami"]["detail"], down
        assert down["components"]["agi"]["ok"] is True  # the intake goes on meanwhile
        proxy.restore()
        ec112.wait_ready(timeout=20)  # reconnected (through the proxy: a new connection) and resynced
        assert proxy.forwarded >= 2
        wait_presence_matches_asterisk(ec112, asterisk)
        assert citizens.wait() == 0, citizens.diagnostics()
        settled = assert_every_call_accounted_for(ec112, asterisk, asterisk.config, numbers=citizens.numbers())
        assert 0 < settled.answered() < len(settled.calls), settled.summary()


def _wait_ami_down(ec112: Ec112Daemon, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: Any = None
    while time.monotonic() < deadline:
        response = httpx.get(f"{ec112.base_url}/readyz", timeout=2)
        body = response.json()
        if response.status_code == 503 and not body["components"]["ami"]["ok"]:
            return dict(body)
        time.sleep(0.05)
    raise AssertionError(f"/readyz never showed AMI down: {body}\n{ec112.log_tail()}")
