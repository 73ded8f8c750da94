"""CallTracker over a real SQLite repository, fed AMI events shaped as Asterisk 16/22 send them (through the AMI
adapter's translator, as the daemon feeds it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ec112.ami.events import channel_rows, queue_snapshot, translate
from ec112.ami.status import CONNECTED_EVENT
from ec112.db.engine import create_engine, migrate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.call_events import CallEvent, ChannelRow, QueueSnapshot
from ec112.domain.events import TicketOpened
from ec112.domain.presence import endpoint_of
from ec112.domain.tickets import CallOutcome, IntakeChannel
from ec112.services.ami_pipeline import AmiEventPipeline, AsteriskSnapshot
from ec112.services.call_tracking import CallTracker
from ec112.services.event_bus import LocalEventBus
from ec112.services.intake import IntakeService

T0 = 1_795_820_610.0


class FakeTelephony:
    def __init__(self) -> None:
        self.channels: list[dict[str, str]] = []

    async def queue_add(self, queue: str, interface: str, member_name: str) -> bool:
        return True

    async def queue_remove(self, queue: str, interface: str) -> bool:
        return True

    async def queue_pause(self, queue: str, interface: str, *, paused: bool, reason: str) -> None:
        return None

    async def queue_status(self, queue: str) -> QueueSnapshot:
        return queue_snapshot([])

    async def active_channels(self) -> Sequence[ChannelRow]:
        return channel_rows(self.channels)


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[SqlTicketRepository, IntakeService, CallTracker, FakeTelephony]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 't.sqlite3'}")
    await migrate(engine)
    repo = SqlTicketRepository(engine)
    bus = LocalEventBus()
    intake = IntakeService(
        repo, default_region="ID", ticket_prefix="112", clock=lambda: datetime.fromtimestamp(T0, UTC), bus=bus
    )
    tel = FakeTelephony()
    tracker = CallTracker(repo, intake, queue="112", emergency_context="ec112-emergency")
    bus.subscribe(TicketOpened, tracker.on_ticket_opened)  # as the daemon wires it
    yield repo, intake, tracker, tel
    await engine.dispose()


def typed(raw: Mapping[str, str]) -> CallEvent:
    event = translate(raw, datetime.fromtimestamp(T0 + 100, UTC))
    assert event is not None
    return event


def ev(name: str, at: float, **fields: str) -> CallEvent:
    base = {"Event": name, "Timestamp": f"{T0 + at:.6f}", "Linkedid": "lab-1.7", "Uniqueid": "lab-1.7",
            "Channel": "PJSIP/trunk-00000007", "CallerIDNum": "081234567890", "CallerIDName": "Budi", "Queue": "112"}
    return typed({**base, **fields})


async def test_full_call_from_agi_ticket(parts) -> None:  # type: ignore[no-untyped-def]
    repo, intake, tracker, _ = parts
    await intake.open_ticket(linkedid="lab-1.7", uniqueid="lab-1.7", channel="PJSIP/trunk-00000007",
                             caller_number="081234567890", caller_name="Budi", intake=IntakeChannel.AGI)
    for e in (
        ev("QueueCallerJoin", 0.5),
        ev("AgentConnect", 3.0, Interface="PJSIP/taker01", MemberName="taker01", DestChannel="PJSIP/taker01-0000000a"),
        ev("Hangup", 5.0, Uniqueid="lab-1.8", Channel="PJSIP/taker01-0000000a"),  # the taker's leg: not the end
    ):
        await tracker.apply(e)
    t = await repo.get_by_linkedid("lab-1.7")
    assert t is not None
    assert t.ended_at is None
    await tracker.apply(ev("Hangup", 9.0))
    t = await repo.get_by_linkedid("lab-1.7")
    assert t is not None
    assert t.outcome is CallOutcome.ANSWERED
    assert t.answered_by == "taker01"
    assert t.wait_seconds == 3.0
    assert t.intake is IntakeChannel.AGI


async def test_queue_join_without_agi_ticket_opens_one(parts) -> None:  # type: ignore[no-untyped-def]
    repo, _, tracker, _ = parts
    await tracker.apply(ev("QueueCallerJoin", 1.0))
    await tracker.apply(ev("Hangup", 4.0))
    t = await repo.get_by_linkedid("lab-1.7")
    assert t is not None
    assert t.intake is IntakeChannel.AMI
    assert t.caller_number_e164 == "+6281234567890"
    assert t.outcome is CallOutcome.ABANDONED
    assert t.wait_seconds == 3.0


async def test_other_queues_are_ignored(parts) -> None:  # type: ignore[no-untyped-def]
    repo, _, tracker, _ = parts
    await tracker.apply(ev("QueueCallerJoin", 1.0, Queue="helpdesk"))
    assert await repo.get_by_linkedid("lab-1.7") is None


async def test_hangup_before_ticket_is_settled_when_ticket_opens(parts) -> None:  # type: ignore[no-untyped-def]
    repo, intake, tracker, _ = parts
    await tracker.apply(ev("Hangup", 0.3))  # AMI saw the end before the intake's insert committed
    await intake.open_ticket(linkedid="lab-1.7", uniqueid="lab-1.7", channel="PJSIP/trunk-00000007",
                             caller_number=None, caller_name=None, intake=IntakeChannel.AGI)
    t = await repo.get_by_linkedid("lab-1.7")
    assert t is not None
    assert t.outcome is CallOutcome.HUNG_UP_IN_INTAKE


async def test_resync_opens_missed_calls_and_closes_stale_tickets(parts) -> None:  # type: ignore[no-untyped-def]
    repo, intake, tracker, tel = parts
    stale, _ = await intake.open_ticket(linkedid="old.1", uniqueid="old.1", channel="PJSIP/trunk-1",
                                        caller_number="0811", caller_name=None, intake=IntakeChannel.AGI)
    tel.channels = [
        {"Channel": "PJSIP/trunk-00000009", "Uniqueid": "new.9", "Linkedid": "new.9", "Context": "ec112-emergency",
         "Exten": "112", "Application": "Queue", "ApplicationData": "112,r", "BridgeId": "b1", "Duration": "00:00:12",
         "CallerIDNum": "+6281111", "CallerIDName": "Siti"},
        {"Channel": "PJSIP/taker02-0000000a", "Uniqueid": "new.10", "Linkedid": "new.9", "Context": "ec112-from-takers",
         "Application": "AppQueue", "BridgeId": "b1", "Duration": "00:00:09"},
        {"Channel": "PJSIP/other-1", "Uniqueid": "x.1", "Linkedid": "x.1", "Context": "default", "Application": "Dial"},
    ]
    pipeline = AmiEventPipeline(tel, [tracker], queue="112", clock=lambda: datetime.fromtimestamp(T0 + 100, UTC))
    await pipeline.handle(typed({"Event": CONNECTED_EVENT}))
    missed = await repo.get_by_linkedid("new.9")
    assert missed is not None
    assert missed.intake is IntakeChannel.AMI
    assert missed.answered_by == "taker02"
    assert missed.wait_seconds == 3.0  # from the channels' ages, not from when ec112 looked
    assert await repo.get_by_linkedid("x.1") is None
    closed = await repo.get(stale.id)
    assert closed is not None
    assert closed.ended_at is not None


def test_endpoint_names() -> None:
    assert endpoint_of("PJSIP/taker01") == "taker01"
    assert endpoint_of("PJSIP/taker01-0000000a") == "taker01"
    assert endpoint_of("taker03") == "taker03"


async def test_resync_after_a_crash_closes_even_a_two_second_old_call_but_not_one_newer_than_the_question(
    parts,  # type: ignore[no-untyped-def]
) -> None:
    repo, intake, tracker, _ = parts  # the intake's clock says T0
    gone, _ = await intake.open_ticket(linkedid="gone.1", uniqueid="gone.1", channel="PJSIP/trunk-1",
                                       caller_number="0811", caller_name=None, intake=IntakeChannel.AGI)
    asked = datetime.fromtimestamp(T0 + 2, UTC)  # Asterisk crashed with the call 2 s old; no channel left
    await tracker.resync(AsteriskSnapshot(queue_snapshot([]), [], asked, asked))
    closed = await repo.get(gone.id)
    assert closed is not None
    assert closed.ended_at == asked
    young, _ = await intake.open_ticket(linkedid="young.1", uniqueid="young.1", channel="PJSIP/trunk-2",
                                        caller_number="0812", caller_name=None, intake=IntakeChannel.AGI)
    early = datetime.fromtimestamp(T0 - 0.5, UTC)  # the question was sent (just) before this call arrived
    await tracker.resync(AsteriskSnapshot(queue_snapshot([]), [], early, early))
    still = await repo.get(young.id)
    assert still is not None
    assert still.ended_at is None
