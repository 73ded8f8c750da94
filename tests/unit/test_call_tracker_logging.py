"""The AMI call tracker binds the call of the event it applies to the log: its Linkedid, then its ticket."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ec112.ami.events import translate
from ec112.db.engine import create_engine, migrate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.call_events import CallEvent
from ec112.domain.tickets import Ticket
from ec112.logs import BoundCall, CallContextFilter, bound_call
from ec112.services.call_tracking import CallTracker
from ec112.services.intake import IntakeService

T0 = 1_795_820_610.0
CALLER = "081234567890"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(CallContextFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def calls(self, start: str) -> list[tuple[str, str]]:
        return [(r.linkedid, r.ticket) for r in self.records  # type: ignore[attr-defined]
                if r.getMessage().startswith(start)]


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    ec112 = logging.getLogger("ec112")
    level = ec112.level
    ec112.setLevel(logging.DEBUG)
    ec112.addHandler(handler)
    yield handler
    ec112.removeHandler(handler)
    ec112.setLevel(level)


class FlakyRepo(SqlTicketRepository):
    """Refuses to save while ``down`` (a locked database)."""

    down = False

    async def save(self, ticket: Ticket) -> None:
        if self.down:
            raise ConnectionError("database is locked")
        await super().save(ticket)


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[FlakyRepo, IntakeService, CallTracker]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 't.sqlite3'}")
    await migrate(engine)
    repo = FlakyRepo(engine)
    intake = IntakeService(repo, default_region="ID", ticket_prefix="112",
                           clock=lambda: datetime.fromtimestamp(T0, UTC))
    tracker = CallTracker(repo, intake, queue="112", emergency_context="ec112-emergency")
    yield repo, intake, tracker
    await engine.dispose()


def ev(name: str, at: float, linkedid: str, **fields: str) -> CallEvent:
    """An AMI event as Asterisk sends it, through the AMI adapter's translator."""
    event = translate({"Event": name, "Timestamp": f"{T0 + at:.6f}", "Linkedid": linkedid, "Uniqueid": linkedid,
                       "Channel": "PJSIP/trunk-00000007", "CallerIDNum": CALLER, "CallerIDName": "Budi",
                       "Queue": "112", **fields}, datetime.fromtimestamp(T0 + 100, UTC))
    assert event is not None
    return event


async def test_events_of_a_call_are_logged_with_its_linkedid_and_ticket(
        parts: tuple[FlakyRepo, IntakeService, CallTracker], records: Records) -> None:
    repo, intake, tracker = parts
    await tracker.apply(ev("QueueCallerJoin", 0.5, "lab-1.7"))  # no AGI ticket: the AMI intake opens it
    ticket = await repo.get_by_linkedid("lab-1.7")
    assert ticket is not None
    number = intake.number(ticket)
    assert records.calls(f"ticket {number} opened by ami intake") == [("lab-1.7", "")]

    repo.down = True
    await tracker.apply(ev("AgentConnect", 3.0, "lab-1.7", Interface="PJSIP/taker01", MemberName="taker01"))
    assert records.calls("could not write the ticket of a call") == [("lab-1.7", number)]
    repo.down = False
    await tracker.retry_unwritten()
    assert records.calls("ticket writes that had failed are done") == [("lab-1.7", number)]

    await tracker.apply(ev("QueueCallerJoin", 0.6, "lab-2.9"))  # another call: its own binding
    assert records.calls("ticket 112-")[-1][0] == "lab-2.9"
    assert bound_call() == BoundCall()  # nothing stays bound between events
    assert all(CALLER not in r.getMessage() for r in records.records if r.levelno >= logging.INFO)
