"""A locked database degrades the live path instead of hanging it: the tracker keeps the events of a call
whose ticket could not be written and writes it once the lock is gone (real SQLite, locked by another
connection with BEGIN EXCLUSIVE, as another process would)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ec112.ami.events import translate
from ec112.db.engine import create_engine, migrate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.call_events import CallEvent
from ec112.domain.events import TicketOpened
from ec112.domain.tickets import CallOutcome, IntakeChannel
from ec112.services.call_tracking import CallTracker
from ec112.services.event_bus import LocalEventBus
from ec112.services.intake import IntakeService

T0 = 1_795_820_610.0


def ev(name: str, at: float, **fields: str) -> CallEvent:
    """An AMI event as Asterisk sends it, through the AMI adapter's translator."""
    base = {"Event": name, "Timestamp": f"{T0 + at:.6f}", "Linkedid": "lab-1.7", "Uniqueid": "lab-1.7",
            "Channel": "PJSIP/trunk-00000007", "CallerIDNum": "081234567890", "CallerIDName": "Budi", "Queue": "112"}
    event = translate({**base, **fields}, datetime.fromtimestamp(T0 + 100, UTC))
    assert event is not None
    return event


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[Path, SqlTicketRepository, CallTracker]]:
    db = tmp_path / "t.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{db}", busy_timeout=0.3)
    await migrate(engine)
    repo = SqlTicketRepository(engine)
    bus = LocalEventBus()
    intake = IntakeService(repo, default_region="ID", ticket_prefix="112", bus=bus)
    tracker = CallTracker(repo, intake, queue="112", emergency_context="ec112-emergency")
    bus.subscribe(TicketOpened, tracker.on_ticket_opened)
    yield db, repo, tracker
    await engine.dispose()


async def test_events_of_a_locked_moment_are_written_when_the_lock_goes(
        parts: tuple[Path, SqlTicketRepository, CallTracker]) -> None:
    db, repo, tracker = parts
    lock = sqlite3.connect(db, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        await tracker.apply(ev("QueueCallerJoin", 0.5))  # no exception: held for a retry
        await tracker.apply(ev("AgentConnect", 3.0, Interface="PJSIP/taker01", MemberName="taker01"))
        assert time.monotonic() - started < 1.5  # each write waited busy_timeout at most, not forever
        await tracker.retry_unwritten()  # still locked: stays held
        assert await repo.get_by_linkedid("lab-1.7") is None  # reads still work in WAL mode
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    await tracker.apply(ev("Hangup", 9.0))  # waits behind the held ones (order is data)
    await tracker.retry_unwritten()
    ticket = await repo.get_by_linkedid("lab-1.7")
    assert ticket is not None
    assert ticket.intake is IntakeChannel.AMI
    assert ticket.arrived_at == datetime.fromtimestamp(T0 + 0.5, UTC)  # the event's time, not the retry's
    assert (ticket.answered_by, ticket.outcome) == ("taker01", CallOutcome.ANSWERED)
    assert ticket.ended_at == datetime.fromtimestamp(T0 + 9.0, UTC)
    assert len(await repo.list_recent(limit=10)) == 1
