"""CallbackService over real SQLite stores, fed AMI events as Asterisk sends them (through the AMI translator, after
the ticket tracker, as the daemon wires them): tasks from ended calls, closing by a new call, the call back, the
dialplan's report, escalation on time, the silent-call subscription point."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ec112.ami.events import translate
from ec112.db.callbacks import SqlCallbackStore
from ec112.db.engine import create_engine, migrate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.call_events import CallEvent
from ec112.domain.callbacks import CallbackChanged, CallbackOutcome, CallbackStatus
from ec112.domain.errors import Conflict, Forbidden, Unavailable
from ec112.domain.events import DomainEvent, TicketChanged, TicketOpened
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus
from ec112.services.call_tracking import CallTracker
from ec112.services.callbacks import CallbackService
from ec112.services.event_bus import LocalEventBus
from ec112.services.intake import IntakeService

T0 = 1_795_820_610.0
CITIZEN = "081355501234"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.fromtimestamp(T0, UTC)

    def __call__(self) -> datetime:
        return self.now


class FakeDialer:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.down = False

    async def originate(self, **kwargs: Any) -> None:
        if self.down:
            raise Unavailable("Asterisk is not reachable")
        self.calls.append(kwargs)


@dataclass
class Room:
    tickets: SqlTicketRepository
    intake: IntakeService
    tracker: CallTracker
    callbacks: CallbackService
    dialer: FakeDialer
    clock: Clock
    seen: list[CallbackChanged]
    gate: Gate

    async def feed(self, name: str, at: float, *, settle: bool = True, **fields: str) -> None:
        """One AMI event of call lab-1.7 (unless fields say otherwise), to the tracker, then to the callbacks."""
        base = {"Event": name, "Timestamp": f"{T0 + at:.6f}", "Linkedid": "lab-1.7", "Uniqueid": "lab-1.7",
                "Channel": "PJSIP/trunk-00000007", "CallerIDNum": CITIZEN, "CallerIDName": "Budi", "Queue": "112"}
        event = _typed({**base, **fields})
        await self.tracker.apply(event)
        await self.callbacks.apply(event)
        if settle:  # a call's end is decided after a grace (the gate here), off the ordered stream
            await self.callbacks.drain()

    async def call(self, linkedid: str = "lab-1.7") -> Ticket:
        ticket, _ = await self.intake.open_ticket(linkedid=linkedid, uniqueid=linkedid, channel="PJSIP/trunk-7",
                                                  caller_number=CITIZEN, caller_name=None, intake=IntakeChannel.AGI)
        await self.callbacks.drain()  # what the new call did to the tasks (off the caller's path)
        return ticket


def _typed(raw: Mapping[str, str]) -> CallEvent:
    event = translate(raw, datetime.fromtimestamp(T0 + 100, UTC))
    assert event is not None, raw
    return event


class Gate:
    """The callbacks service's pause after a caller's Hangup: open (no wait) unless a test holds it."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.opened.set()

    async def __call__(self, seconds: float) -> None:
        await self.opened.wait()


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[Room]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cb.sqlite3'}")
    await migrate(engine)
    clock = Clock()
    repo = SqlTicketRepository(engine)
    bus = LocalEventBus()
    intake = IntakeService(repo, default_region="ID", ticket_prefix="112", clock=clock, bus=bus)
    tracker = CallTracker(repo, intake, queue="112", emergency_context="ec112-emergency")
    dialer = FakeDialer()
    gate = Gate()
    callbacks = CallbackService(SqlCallbackStore(engine), repo, dialer, bus, ticket_prefix="112",
                                deadline_seconds=120, clock=clock,
                                pause=gate)
    seen: list[CallbackChanged] = []

    def keep(event: DomainEvent) -> None:
        if isinstance(event, CallbackChanged):
            seen.append(event)

    bus.subscribe(TicketOpened, tracker.on_ticket_opened)  # as the daemon wires them, in this order
    bus.subscribe(TicketOpened, callbacks.on_ticket_opened)
    bus.subscribe(TicketChanged, callbacks.on_ticket_changed)
    bus.subscribe(DomainEvent, keep)
    yield Room(repo, intake, tracker, callbacks, dialer, clock, seen, gate)
    await engine.dispose()


async def test_an_abandoned_call_becomes_one_open_task_with_its_deadline(room: Room) -> None:
    ticket = await room.call()
    await room.feed("QueueCallerJoin", 1.0)
    await room.feed("Hangup", 6.0)
    [task] = await room.callbacks.active()
    assert (task.ticket_id, task.number, task.reason.value, task.status) == (
        ticket.id, "+6281355501234", "abandoned", CallbackStatus.OPEN)
    assert task.deadline == room.clock.now + timedelta(seconds=120)
    assert [(e.kind, e.ticket_number) for e in room.seen] == [("callback.created", "112-261127-00001")]
    again = await room.tickets.get(ticket.id)
    assert again is not None
    assert await room.callbacks.consider(again) == task  # idempotent: one task per ticket
    assert len(room.seen) == 1


async def test_a_call_that_hung_up_during_the_intake_gets_its_task_when_its_ticket_opens(room: Room) -> None:
    await room.feed("Hangup", 0.4)  # AMI saw the end before the intake's insert committed
    await room.call()
    [task] = await room.callbacks.active()
    assert task.reason.value == "hung_up_in_intake"


async def test_a_call_the_taker_ended_needs_no_callback_one_the_citizen_dropped_does(room: Room) -> None:
    answered = {"Interface": "PJSIP/taker01", "DestChannel": "PJSIP/taker01-0000000a"}
    await room.call()
    await room.feed("QueueCallerJoin", 0.5)
    await room.feed("AgentConnect", 2.0, **answered)
    await room.feed("Hangup", 3.0, Uniqueid="lab-1.9", Channel="PJSIP/taker05-0000000b")  # another taker's ring
    await room.feed("Hangup", 9.0, Uniqueid="lab-1.8", Channel="PJSIP/taker01-0000000a")  # she hung up first
    await room.feed("Hangup", 9.1)
    assert await room.callbacks.active() == []

    await room.call("lab-2.1")
    for name, at, fields in (("QueueCallerJoin", 20.0, {}), ("AgentConnect", 21.0, answered),
                             ("Hangup", 25.0, {}), ("Hangup", 25.1, {"Uniqueid": "lab-2.2",
                                                                     "Channel": "PJSIP/taker01-0000000c"})):
        await room.feed(name, at, **{"Linkedid": "lab-2.1", "Uniqueid": "lab-2.1", **fields})
    [dropped] = await room.callbacks.active()
    assert dropped.reason.value == "dropped"
    # she classifies the ticket after all: the dropped call's task is closed
    ticket = await room.tickets.get(dropped.ticket_id)
    assert ticket is not None
    await room.callbacks.on_ticket_changed(TicketChanged(at=room.clock.now, actor="sari", kind="classified",
                                                         ticket=_classified(ticket)))
    assert await room.callbacks.active() == []
    assert room.seen[-1].kind == "callback.closed"


async def test_app_queue_saying_the_taker_ended_it_wins_over_the_order_of_the_hangups(room: Room) -> None:
    """She hung up, yet Asterisk's Hangup of the citizen's channel came first (seen on real Asterisk): app_queue's
    AgentComplete (Reason: agent) says who ended the call, so no dropped-call task; Reason: caller still makes one."""
    answered = {"Interface": "PJSIP/taker01", "DestChannel": "PJSIP/taker01-0000000a"}
    await room.call()
    await room.feed("QueueCallerJoin", 0.5)
    await room.feed("AgentConnect", 2.0, **answered)
    await room.feed("AgentComplete", 9.0, Interface="PJSIP/taker01", Reason="agent")
    await room.feed("Hangup", 9.1)  # the citizen's channel first
    await room.feed("Hangup", 9.2, Uniqueid="lab-1.8", Channel="PJSIP/taker01-0000000a")
    assert await room.callbacks.active() == []

    # AgentComplete AFTER the citizen's Hangup (seen on Asterisk 22 under load): within the grace, still no task
    await room.call("lab-3.1")
    more = {"Linkedid": "lab-3.1", "Uniqueid": "lab-3.1"}
    await room.feed("QueueCallerJoin", 10.5, **more)
    await room.feed("AgentConnect", 11.0, **answered, **more)
    room.gate.opened.clear()
    await room.feed("Hangup", 15.0, settle=False, **more)
    await asyncio.sleep(0.1)  # whatever the service does without waiting is done by now
    await room.feed("AgentComplete", 15.1, settle=False, Interface="PJSIP/taker01", Reason="agent", **more)
    room.gate.opened.set()
    await room.callbacks.drain()
    assert await room.callbacks.active() == []

    await room.call("lab-2.1")
    for name, at, fields in (("QueueCallerJoin", 20.0, {}), ("AgentConnect", 21.0, answered),
                             ("AgentComplete", 25.0, {"Interface": "PJSIP/taker01", "Reason": "caller"}),
                             ("Hangup", 25.1, {}), ("Hangup", 25.2, {"Uniqueid": "lab-2.2",
                                                                     "Channel": "PJSIP/taker01-0000000c"})):
        await room.feed(name, at, **{"Linkedid": "lab-2.1", "Uniqueid": "lab-2.1", **fields})
    [dropped] = await room.callbacks.active()
    assert dropped.reason.value == "dropped"


def _classified(ticket: Ticket) -> Ticket:
    return replace(ticket, status=TicketStatus.CLOSED, classification="informasi")


async def test_a_new_call_from_the_same_number_closes_the_task_and_links_it(room: Room) -> None:
    await room.call()
    await room.feed("QueueCallerJoin", 1.0)
    await room.feed("Hangup", 6.0)
    [task] = await room.callbacks.active()
    second = await room.call("lab-3.1")
    assert await room.callbacks.active() == []
    closed = await room.callbacks.get(task.id)
    assert (closed.status, closed.linked_ticket_id) == (CallbackStatus.CLOSED, second.id)
    events = await room.tickets.events(task.ticket_id)
    assert [e.kind for e in events] == ["callback.created", "callback.closed"]
    assert events[-1].data["ticket_id"] == second.id


async def test_calling_back_rings_her_desk_with_the_ticket_and_asterisk_reports_the_outcome(room: Room) -> None:
    await room.call()
    await room.feed("QueueCallerJoin", 1.0)
    await room.feed("Hangup", 6.0)
    [task] = await room.callbacks.active()
    with pytest.raises(Forbidden):
        await room.callbacks.call(task.id, endpoint=None, user="admin")  # no desk phone: nothing to ring
    calling = await room.callbacks.call(task.id, endpoint="taker01", user="sari")
    assert calling.status is CallbackStatus.CALLING
    assert room.dialer.calls == [{"task_id": task.id, "endpoint": "taker01", "number": "+6281355501234",
                                  "shown_name": "112-261127-00001"}]
    with pytest.raises(Conflict):
        await room.callbacks.take(task.id, endpoint="taker02", user="dewi")
    # the dialplan's report, as Asterisk 16/22 send it
    await room.feed("UserEvent", 40.0, UserEvent="EC112Callback", Task=str(task.id), DialStatus="ANSWER", Cause="16")
    done = await room.callbacks.get(task.id)
    assert (done.status, done.outcome) == (CallbackStatus.DONE, CallbackOutcome.REACHED)
    kinds = [(e.kind, e.actor) for e in await room.tickets.events(task.ticket_id)]
    assert kinds == [("callback.created", "ec112"), ("callback.calling", "sari"), ("callback.outcome", "asterisk")]
    fixed = await room.callbacks.set_outcome(task.id, CallbackOutcome.WRONG_NUMBER, endpoint="taker01", user="sari")
    assert fixed.outcome is CallbackOutcome.WRONG_NUMBER


async def test_her_phone_not_answering_gives_the_task_back_to_her(room: Room) -> None:
    await room.call()
    await room.feed("QueueCallerJoin", 1.0)
    await room.feed("Hangup", 6.0)
    [task] = await room.callbacks.active()
    await room.callbacks.call(task.id, endpoint="taker01", user="sari")
    await room.feed("OriginateResponse", 30.0, Response="Failure", Context="ec112-callback", Exten=str(task.id),
                    Reason="3", Channel="PJSIP/taker01")
    back = await room.callbacks.get(task.id)
    assert (back.status, back.taken_by) == (CallbackStatus.TAKEN, "taker01")
    room.dialer.down = True
    with pytest.raises(Unavailable):
        await room.callbacks.call(task.id, endpoint="taker01", user="sari")
    assert (await room.callbacks.get(task.id)).status is CallbackStatus.TAKEN


async def test_other_user_events_and_originates_are_not_callback_reports() -> None:
    at = datetime.fromtimestamp(T0, UTC)
    assert translate({"Event": "UserEvent", "UserEvent": "EC112Doctor", "Task": "1"}, at) is None
    assert translate({"Event": "UserEvent", "UserEvent": "EC112Callback", "Task": "x1"}, at) is None
    assert translate({"Event": "OriginateResponse", "Response": "Failure", "Context": "ec112-doctor",
                      "Exten": "s"}, at) is None
    assert translate({"Event": "OriginateResponse", "Response": "Success", "Context": "ec112-callback",
                      "Exten": "4"}, at) is None


async def test_a_task_nobody_calls_back_escalates_at_its_deadline(room: Room) -> None:
    await room.call()
    await room.feed("QueueCallerJoin", 1.0)
    await room.feed("Hangup", 6.0)
    [task] = await room.callbacks.active()
    await room.callbacks.take(task.id, endpoint="taker01", user="sari")
    room.clock.now = task.deadline - timedelta(milliseconds=1)
    assert await room.callbacks.escalate_due() == 0
    room.clock.now = task.deadline
    assert await room.callbacks.escalate_due() == 1
    assert await room.callbacks.escalate_due() == 0
    [escalated] = await room.callbacks.active()
    assert (escalated.status, escalated.escalated_at, escalated.taken_by) == (CallbackStatus.OPEN, task.deadline, None)
    assert room.seen[-1].kind == "callback.escalated"


async def test_a_silent_call_becomes_a_task_when_it_ends(room: Room) -> None:
    """The silent-call part publishes SilentCallMarked(ticket=…); the daemon hands its ticket to on_silent_call."""
    ticket = await room.call()
    await room.feed("QueueCallerJoin", 0.5)
    await room.feed("AgentConnect", 2.0, Interface="PJSIP/taker01", DestChannel="PJSIP/taker01-0000000a")
    await room.callbacks.on_silent_call(ticket)  # the stand-in of SilentCallMarked while the call goes on
    assert await room.callbacks.active() == []
    await room.feed("Hangup", 30.0, Uniqueid="lab-1.8", Channel="PJSIP/taker01-0000000a")  # even if she ends it
    await room.feed("Hangup", 30.1)
    [task] = await room.callbacks.active()
    assert task.reason.value == "silent"
