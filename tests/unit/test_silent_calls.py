"""Silent calls: the caller's keys after the prompt settle the ticket's silent state (no Asterisk, no database).

The service under test is the real one; the ticket desk, the store and the prompter are small fakes, the call
events are what the AMI adapter makes of Asterisk's DTMFEnd and Hangup (``ec112.ami.events.translate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from ec112.ami.events import translate
from ec112.domain.accounts import Role, User
from ec112.domain.call_events import CallEvent
from ec112.domain.errors import Conflict, Forbidden, NotFound
from ec112.domain.events import DomainEvent
from ec112.domain.silent_calls import DigitWatch, SilentCall, SilentCallMarked, SilentState
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus
from ec112.services.silent_calls import SilentCallService

T0 = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
CALLER = "PJSIP/trunk-0000000a"
TAKER_LEG = "PJSIP/taker01-0000000b"
WINDOW = timedelta(seconds=30)


def user(name: str, role: Role, endpoint: str | None) -> User:
    return User(1, name, name.title(), role, endpoint)


SITI = user("siti", Role.CALL_TAKER, "taker01")
BUDI = user("budi", Role.CALL_TAKER, "taker02")
SPV = user("spv", Role.SUPERVISOR, None)


def ticket(n: int, *, answered_by: str | None = "taker01", ended: bool = False) -> Ticket:
    return Ticket(n, f"ec112lab-{n}.0", f"ec112lab-{n}.0", CALLER if n == 1 else f"PJSIP/trunk-0000000{n}",
                  None, None, None, None, IntakeChannel.AGI, TicketStatus.NEW, T0,
                  queued_at=T0, answered_at=T0 if answered_by else None, answered_by=answered_by,
                  ended_at=T0 if ended else None)


class Desk:
    def __init__(self, *tickets: Ticket) -> None:
        self.tickets = {str(t.id): t for t in tickets}

    async def find(self, ref: str) -> Ticket:
        if ref not in self.tickets:
            raise NotFound(ref)
        return self.tickets[ref]

    def number(self, t: Ticket) -> str:
        return f"112-261202-{t.id:05d}"


@dataclass
class Store:
    rows: dict[int, SilentCall] = field(default_factory=dict)
    timeline: list[TicketEvent] = field(default_factory=list)

    async def get(self, ticket_id: int) -> SilentCall | None:
        return self.rows.get(ticket_id)

    async def prompted(self) -> Sequence[SilentCall]:
        return [c for c in self.rows.values() if c.state is SilentState.PROMPTED]

    async def save(self, call: SilentCall, event: TicketEvent) -> SilentCall:
        self.rows[call.ticket_id] = call
        self.timeline.append(event)
        return call


@dataclass
class Prompter:
    whispered: list[tuple[str, int]] = field(default_factory=list)

    async def whisper(self, caller_channel: str, ticket_number: str, listen_seconds: int) -> None:
        self.whispered.append((caller_channel, listen_seconds))


@dataclass
class Bus:
    events: list[DomainEvent] = field(default_factory=list)

    async def publish(self, event: DomainEvent) -> None:
        self.events.append(event)

    def publish_nowait(self, event: DomainEvent) -> None:
        self.events.append(event)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Room:
    service: SilentCallService
    store: Store
    prompter: Prompter
    bus: Bus
    clock: Clock

    @property
    def marked(self) -> list[SilentState]:
        return [e.silent.state for e in self.bus.events if isinstance(e, SilentCallMarked)]


@pytest.fixture
def room() -> Room:
    store, prompter, bus, clock = Store(), Prompter(), Bus(), Clock()
    desk = Desk(ticket(1), ticket(2), ticket(3, answered_by=None), ticket(4, ended=True))
    service = SilentCallService(store, desk, prompter, confirm_digits="55", answer_window=WINDOW,  # type: ignore[arg-type]
                                bus=bus, clock=clock)
    return Room(service, store, prompter, bus, clock)


def key(digit: str, *, channel: str = CALLER, linkedid: str = "ec112lab-1.0", uniqueid: str = "ec112lab-1.0",
        direction: str = "Received", t: float = 0.0) -> CallEvent:
    """Asterisk's DTMFEnd as the AMI adapter translates it."""
    event = translate({"Event": "DTMFEnd", "Channel": channel, "Linkedid": linkedid, "Uniqueid": uniqueid,
                       "Digit": digit, "DurationMs": "120", "Direction": direction,
                       "Timestamp": f"{T0.timestamp() + t:.6f}"}, T0)
    assert event is not None
    return event


async def press(room: Room, digits: str, **kwargs: object) -> None:
    for digit in digits:
        await room.service.apply(key(digit, **kwargs))  # type: ignore[arg-type]


async def test_5_5_within_the_window_confirms_at_once(room: Room) -> None:
    await room.service.prompt("1", SITI)
    assert room.prompter.whispered == [(CALLER, 31)]
    assert room.store.rows[1].state is SilentState.PROMPTED
    await press(room, "5")
    assert room.store.rows[1].state is SilentState.PROMPTED
    await press(room, "5")
    confirmed = room.store.rows[1]
    assert confirmed.state is SilentState.CONFIRMED
    assert confirmed.digits == "55"
    assert [e.kind for e in room.store.timeline] == ["silent.prompted", "silent.confirmed"]
    assert room.store.timeline[0].actor == "siti"
    assert room.marked == [SilentState.PROMPTED, SilentState.CONFIRMED]
    room.clock.now = T0 + 2 * WINDOW  # settled: the window passing changes nothing
    await room.service.expire_due()
    await press(room, "55")
    assert room.marked == [SilentState.PROMPTED, SilentState.CONFIRMED]


async def test_5_then_3_then_5_5_confirms_on_the_last_pair(room: Room) -> None:
    await room.service.prompt("1", SITI)
    await press(room, "53")
    await press(room, "5")
    assert room.store.rows[1].state is SilentState.PROMPTED
    await press(room, "5")
    assert room.store.rows[1].state is SilentState.CONFIRMED
    assert room.store.rows[1].digits == "5355"


async def test_keys_of_another_call_or_of_the_call_taker_are_ignored(room: Room) -> None:
    await room.service.prompt("1", SITI)
    await press(room, "55", channel="PJSIP/trunk-00000002", linkedid="ec112lab-2.0", uniqueid="ec112lab-2.0")
    await press(room, "55", channel=TAKER_LEG, uniqueid="ec112lab-1.1")  # her own phone's keys, same call
    await press(room, "55", direction="Sent")  # relayed towards the caller, not pressed by her
    assert room.store.rows[1].state is SilentState.PROMPTED
    assert room.marked == [SilentState.PROMPTED]


async def test_no_keypress_within_the_window(room: Room) -> None:
    await room.service.prompt("1", SITI)
    await press(room, "5")
    room.clock.now = T0 + WINDOW - timedelta(seconds=1)
    await room.service.expire_due()
    assert room.store.rows[1].state is SilentState.PROMPTED
    room.clock.now = T0 + WINDOW
    await room.service.expire_due()
    assert room.store.rows[1].state is SilentState.NO_KEYPRESS
    assert room.store.timeline[-1].kind == "silent.no_keypress"
    assert room.store.timeline[-1].data == {"digits": "5", "reason": "no_keypress"}
    await press(room, "55")  # too late: stays "no keypress"
    assert room.marked == [SilentState.PROMPTED, SilentState.NO_KEYPRESS]


async def test_the_call_ending_first_is_no_keypress(room: Room) -> None:
    await room.service.prompt("1", SITI)
    taker_leg_gone = translate({"Event": "Hangup", "Channel": TAKER_LEG, "Linkedid": "ec112lab-1.0",
                                "Uniqueid": "ec112lab-1.1"}, T0)
    assert taker_leg_gone is not None
    await room.service.apply(taker_leg_gone)
    assert room.store.rows[1].state is SilentState.PROMPTED  # only the caller's own channel ends it
    caller_gone = translate({"Event": "Hangup", "Channel": CALLER, "Linkedid": "ec112lab-1.0",
                             "Uniqueid": "ec112lab-1.0"}, T0 + timedelta(seconds=3))
    assert caller_gone is not None
    await room.service.apply(caller_gone)
    assert room.store.rows[1].state is SilentState.NO_KEYPRESS
    assert room.store.timeline[-1].data["reason"] == "call_ended"


async def test_who_may_press_and_when(room: Room) -> None:
    with pytest.raises(Forbidden):
        await room.service.prompt("1", BUDI)  # another call taker's call
    with pytest.raises(Conflict):
        await room.service.prompt("3", SPV)  # still waiting in the queue
    with pytest.raises(Conflict):
        await room.service.prompt("4", SITI)  # ended
    await room.service.prompt("2", SPV)  # a supervisor may, on any connected call
    with pytest.raises(Conflict):
        await room.service.prompt("2", SITI)  # the caller is being asked already
    room.clock.now = T0 + WINDOW
    await room.service.expire_due()
    await room.service.prompt("2", SITI)  # after "no keypress" she may ask again
    assert room.store.rows[2].state is SilentState.PROMPTED
    assert room.store.rows[2].prompted_by == "siti"
    assert room.prompter.whispered == [("PJSIP/trunk-00000002", 31)] * 2


async def test_a_restart_watches_again_what_was_left_waiting(room: Room) -> None:
    await room.service.prompt("1", SITI)
    store, prompter, bus, clock = room.store, room.prompter, room.bus, room.clock
    desk = Desk(ticket(1), replace(ticket(2), ended_at=T0 + timedelta(seconds=5)))
    store.rows[2] = replace(store.rows[1], ticket_id=2)
    again = SilentCallService(store, desk, prompter, confirm_digits="55", answer_window=WINDOW,  # type: ignore[arg-type]
                              bus=bus, clock=clock)
    await again.restore()
    assert store.rows[2].state is SilentState.NO_KEYPRESS  # its call ended meanwhile
    for digit in "55":
        await again.apply(key(digit))
    assert store.rows[1].state is SilentState.CONFIRMED


def test_digit_watch_keeps_a_bounded_tail() -> None:
    watch = DigitWatch("55")
    assert not any(watch.press(d) for d in "1234567890" * 3)
    assert len(watch.digits) == 16
    assert watch.press("5") is False
    assert watch.press("5") is True
