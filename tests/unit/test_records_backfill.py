"""BackfillService over real record files and a real SQLite database (tickets + the backfill's store)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_records_parsers import ABANDONED_CDR, ANSWERED_CDR, QUEUE_LOG

from ec112.db.engine import create_engine, migrate
from ec112.db.records import SqlRecordStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.tickets import CallOutcome, IntakeChannel, answered, joined_queue
from ec112.records import AsteriskRecords
from ec112.services.backfill import BackfillService
from ec112.services.intake import IntakeService

NOW = datetime.fromtimestamp(1795828100, UTC)  # a few seconds after the two calls
ANSWERED_ID, ABANDONED_ID = "ec112lab-1795828068.0", "ec112lab-1795828071.3"


@dataclass
class Stack:
    dir: Path
    db: Path
    tickets: SqlTicketRepository
    intake: IntakeService
    store: SqlRecordStore
    backfill: BackfillService

    def write(self, cdr: list[str], queue_log: list[str]) -> None:
        with (self.dir / "cdr.csv").open("a") as f:
            f.writelines(line + "\n" for line in cdr)
        with (self.dir / "queue_log").open("a") as f:
            f.writelines(line + "\n" for line in queue_log)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    db = tmp_path / "ec112.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{db}", busy_timeout=0.2)
    await migrate(engine)
    tickets = SqlTicketRepository(engine)
    intake = IntakeService(tickets, default_region="ID", ticket_prefix="112", clock=lambda: NOW)
    records = AsteriskRecords(cdr_csv=tmp_path / "cdr.csv", queue_log=tmp_path / "queue_log", queue="112",
                              emergency_contexts=("ec112-emergency",))
    store = SqlRecordStore(engine)
    backfill = BackfillService(records, store, tickets, intake, interval=10, max_age=timedelta(days=7),
                               clock=lambda: NOW)
    yield Stack(tmp_path, db, tickets, intake, store, backfill)
    await engine.dispose()


async def test_calls_missed_entirely_get_backfilled_tickets_once(stack: Stack) -> None:
    stack.write([ANSWERED_CDR, ABANDONED_CDR], QUEUE_LOG)
    assert await stack.backfill.run_once() == 2
    first = await stack.tickets.get_by_linkedid(ANSWERED_ID)
    second = await stack.tickets.get_by_linkedid(ABANDONED_ID)
    assert first is not None
    assert second is not None
    assert first.intake is IntakeChannel.BACKFILL
    assert second.intake is IntakeChannel.BACKFILL
    assert (first.caller_number_e164, first.caller_name) == ("+6281111111111", "Answered One")
    assert first.arrived_at == datetime.fromtimestamp(1795828068.866868, UTC)
    assert first.ended_at == datetime.fromtimestamp(1795828071.685574, UTC)
    assert (first.answered_by, first.outcome) == ("taker01", CallOutcome.ANSWERED)
    assert first.answered_at == datetime.fromtimestamp(1795828069, UTC)
    assert (second.caller_number_e164, second.outcome, second.answered_by) == (
        "+6281222222222", CallOutcome.ABANDONED, None)
    assert second.queued_at == datetime.fromtimestamp(1795828072, UTC)

    assert await stack.backfill.run_once() == 0  # idempotent
    recent = await stack.tickets.list_recent(limit=10)
    assert len(recent) == 2


async def test_a_live_ticket_whose_hangup_was_missed_is_ended_from_the_records(stack: Stack) -> None:
    live, _ = await stack.intake.open_ticket(
        linkedid=ANSWERED_ID, uniqueid=ANSWERED_ID, channel="PJSIP/trunk-00000000", caller_number="+6281111111111",
        caller_name="Answered One", intake=IntakeChannel.AGI,
        arrived_at=datetime.fromtimestamp(1795828068.9, UTC))
    queued = joined_queue(live, datetime.fromtimestamp(1795828069.4, UTC))
    await stack.tickets.save(answered(queued, "taker01", datetime.fromtimestamp(1795828069.8, UTC)))
    stack.write([ANSWERED_CDR], QUEUE_LOG[:5])
    assert await stack.backfill.run_once() == 1
    ticket = await stack.tickets.get_by_linkedid(ANSWERED_ID)
    assert ticket is not None
    assert ticket.intake is IntakeChannel.AGI  # still the live ticket
    assert ticket.answered_at == datetime.fromtimestamp(1795828069.8, UTC)  # the live time stays
    assert ticket.ended_at == datetime.fromtimestamp(1795828071.685574, UTC)
    assert ticket.outcome is CallOutcome.ANSWERED


async def test_queue_lines_read_before_the_cdr_are_kept_across_passes(stack: Stack) -> None:
    stack.write([], QUEUE_LOG[:4])  # the call is in progress: ENTERQUEUE, CONNECT
    assert await stack.backfill.run_once() == 0
    assert await stack.tickets.get_by_linkedid(ANSWERED_ID) is None  # a live call is the resync's
    stack.write([ANSWERED_CDR], QUEUE_LOG[4:5])
    assert await stack.backfill.run_once() == 1
    ticket = await stack.tickets.get_by_linkedid(ANSWERED_ID)
    assert ticket is not None
    assert ticket.answered_by == "taker01"


async def test_a_locked_database_delays_the_backfill_and_loses_nothing(stack: Stack) -> None:
    stack.write([ANSWERED_CDR, ABANDONED_CDR], QUEUE_LOG)
    lock = sqlite3.connect(stack.db, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(Exception, match="locked"):
            await stack.backfill.run_once()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert await stack.backfill.run_once() == 2
    assert len(await stack.tickets.list_recent(limit=10)) == 2


async def test_calls_older_than_max_age_are_not_backfilled(tmp_path: Path, stack: Stack) -> None:
    stack.write([ANSWERED_CDR], QUEUE_LOG)
    late = BackfillService(
        AsteriskRecords(cdr_csv=tmp_path / "cdr.csv", queue_log=tmp_path / "queue_log", queue="112",
                        emergency_contexts=("ec112-emergency",)),
        stack.store, stack.tickets, stack.intake, interval=10,
        max_age=timedelta(days=7), clock=lambda: NOW + timedelta(days=8))
    assert await late.run_once() == 0
    assert await stack.tickets.list_recent(limit=10) == []


async def test_health_names_missing_files_without_failing(tmp_path: Path, stack: Stack) -> None:
    stack.backfill.check_files()
    health = stack.backfill.health()
    assert health.ok
    assert "cdr missing" in health.detail
    assert str(tmp_path / "cdr.csv") in health.detail
    stack.write([ANSWERED_CDR], QUEUE_LOG)
    await stack.backfill.run_once()
    assert stack.backfill.health().detail == "cdr ok, queue_log ok"


def test_records_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from ec112.config.settings import Settings

    monkeypatch.setenv("EC112_LAB_MODE", "1")
    monkeypatch.setenv("EC112_RECORDS__CDR_CSV", "")  # turned off
    monkeypatch.setenv("EC112_RECORDS__QUEUE_LOG", "/srv/asterisk/queue_log")
    settings = Settings()
    assert settings.records.cdr_csv is None
    assert settings.records.queue_log == Path("/srv/asterisk/queue_log")
    assert settings.database.busy_timeout < settings.agi.intake_deadline
    monkeypatch.setenv("EC112_DATABASE__BUSY_TIMEOUT", "5")  # a lock would outlast the intake deadline
    with pytest.raises(ValidationError, match="busy_timeout"):
        Settings()
