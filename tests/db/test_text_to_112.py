"""Text to 112 on SQLite and PostgreSQL, through the TextService as the daemon wires it: a message opens a text
ticket, the same number's next messages join it until the conversation is idle or settled, the dialplan's spool
is read back once whatever happens (idempotent on the message key, malformed lines logged and skipped), answers
are stored with their delivery status, and nothing but the kept list counts as a call."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.text_messages import SqlTextStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.errors import InvalidRequest, Unavailable
from ec112.domain.events import DomainEvent, TicketOpened
from ec112.domain.text_messages import IncomingText, TextMessageAdded
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import IntakeChannel, TicketStatus
from ec112.records.text_spool import FileTextSpool
from ec112.services.intake import IntakeService
from ec112.services.text_to_112 import TextService

T0 = datetime.now(UTC).replace(microsecond=0)
IDLE = timedelta(minutes=30)


@dataclass
class Bus:
    events: list[DomainEvent] = field(default_factory=list)

    async def publish(self, event: DomainEvent) -> None:
        self.events.append(event)


@dataclass
class Sender:
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    refuse: Exception | None = None

    async def send(self, destination: str, sender: str, body: str) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.sent.append((destination, sender, body))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Stack:
    service: TextService
    tickets: SqlTicketRepository
    bus: Bus
    sender: Sender
    clock: Clock


def _stack(engine: AsyncEngine) -> Stack:
    bus, sender, clock = Bus(), Sender(), Clock()
    tickets = SqlTicketRepository(engine)
    intake = IntakeService(tickets, default_region="ID", ticket_prefix="112", bus=bus, clock=clock)
    service = TextService(tickets, SqlTextStore(engine), intake, default_region="ID", trunk="trunk",
                          reply_from="sip:112@ec112", idle=IDLE, sender=sender, bus=bus, clock=clock)
    return Stack(service, tickets, bus, sender, clock)


def _msg(key: str, body: str, at: datetime, sender: str | None = "081234567890") -> IncomingText:
    return IncomingText(key=key, received_at=at, source="127.0.0.1:5070", sender=sender, body=body)


async def test_messages_of_one_number_make_one_conversation_until_idle_or_settled(engine: AsyncEngine) -> None:
    s = _stack(engine)
    first = await s.service.receive(_msg("k1", "Tolong, banjir", T0))
    assert (first.intake, first.caller_number_e164, first.linkedid) == (IntakeChannel.TEXT, "+6281234567890", "text-k1")
    assert (await s.service.receive(_msg("k2", "Di Desa Babulu", T0 + IDLE))).id == first.id
    # Another number: its own ticket. The first number after the idle limit: a new conversation.
    assert (await s.service.receive(_msg("k3", "Halo", T0, sender="0811111111"))).id != first.id
    later = await s.service.receive(_msg("k4", "Lagi", T0 + 2 * IDLE + timedelta(seconds=1)))
    assert later.id != first.id
    # A settled ticket takes no more messages: the next one opens a new ticket.
    await s.tickets.save_work(replace(later, status=TicketStatus.CLOSED), _event(later.id))
    assert (await s.service.receive(_msg("k5", "Masih", T0 + 2 * IDLE + timedelta(seconds=2)))).id != later.id
    opened = [e for e in s.bus.events if isinstance(e, TicketOpened)]
    assert len(opened) == 4
    added = [e for e in s.bus.events if isinstance(e, TextMessageAdded)]
    assert [e.opened for e in added] == [True, False, True, True, True]
    # Not a call: the call tracker's list of calls that have not ended never sees it.
    assert await s.tickets.list_unended() == []


async def test_the_same_message_is_stored_once_and_on_the_timeline(engine: AsyncEngine) -> None:
    s = _stack(engine)
    ticket = await s.service.receive(_msg("k1", "Tolong", T0))
    again = await s.service.receive(_msg("k1", "Tolong", T0))
    assert again.id == ticket.id
    assert [m.body for m in await s.service.messages(ticket)] == ["Tolong"]
    events = await s.tickets.events(ticket.id)
    assert [(e.kind, e.actor, e.data["body"]) for e in events] == [("text.in", "081234567890", "Tolong")]


async def test_answers_go_out_through_the_trunk_and_failures_are_kept(engine: AsyncEngine) -> None:
    s = _stack(engine)
    ticket = await s.service.receive(_msg("k1", "Tolong", T0))
    s.clock.now = T0 + timedelta(seconds=40)
    sent = await s.service.reply(ticket, " Bantuan menuju ", actor="siti")
    assert (sent.status.value, sent.body, sent.author) == ("sent", "Bantuan menuju", "siti")
    assert s.sender.sent == [("pjsip:trunk/sip:081234567890@127.0.0.1:5070", "sip:112@ec112", "Bantuan menuju")]
    answered = await s.tickets.get(ticket.id)
    assert answered is not None
    assert (answered.answered_by, answered.answered_at) == ("siti", s.clock.now)

    s.sender.refuse = Unavailable("Asterisk is not reachable")
    failed = await s.service.reply(ticket, "Halo?", actor="siti")
    assert (failed.status.value, failed.error) == ("failed", "Asterisk is not reachable")
    assert [(m.direction.value, m.status.value) for m in await s.service.messages(ticket)] == [
        ("in", "received"), ("out", "sent"), ("out", "failed")]
    with pytest.raises(InvalidRequest, match="1025 bytes"):
        await s.service.reply(ticket, "x" * 1025, actor="siti")
    assert len(await s.service.messages(ticket)) == 3  # a refused answer is not stored


async def test_open_conversations_are_listed_newest_first(engine: AsyncEngine) -> None:
    s = _stack(engine)
    old = await s.service.receive(_msg("k1", "a", T0 - IDLE - timedelta(minutes=1)))
    one = await s.service.receive(_msg("k2", "b", T0 - timedelta(minutes=5), sender="0811111111"))
    two = await s.service.receive(_msg("k3", "c", T0 - timedelta(minutes=1), sender="0822222222"))
    assert [c.ticket.id for c in await s.service.conversations()] == [two.id, one.id]
    assert old.id not in [c.ticket.id for c in await s.service.conversations()]


def _line(key: str, body: str, epoch: int) -> str:
    enc = base64.b64encode
    return (f"v1|{key}|{epoch}|127.0.0.1:5070|{enc(b'<sip:081234567890@127.0.0.1>').decode()}"
            f"|{enc(body.encode()).decode()}\n")


async def test_the_spool_is_read_back_once_and_bad_lines_are_skipped(
    engine: AsyncEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = _stack(engine)
    epoch = int(T0.timestamp())
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    spool = spool_dir / "ec112-text.spool"
    spool.write_text(_line("k1", "Kebakaran", epoch) + "v1|garbage\n" + _line("k2", "Pasar Penajam", epoch + 5))
    reader = FileTextSpool(spool_dir, settle_seconds=0)
    with caplog.at_level(logging.WARNING):
        assert await s.service.replay(reader) == 2
    assert "line 2 skipped" in caplog.text
    assert "Kebakaran" not in caplog.text
    assert list(spool_dir.iterdir()) == []  # taken and removed once stored
    # The same message spooled again (the route stored it but the dialplan never heard back): stored once.
    spool.write_text(_line("k2", "Pasar Penajam", epoch + 5))
    assert await s.service.replay(reader) == 1
    [conversation] = await s.service.conversations()
    assert [m.body for m in await s.service.messages(conversation.ticket)] == ["Kebakaran", "Pasar Penajam"]
    assert conversation.ticket.arrived_at == datetime.fromtimestamp(epoch, UTC)


async def test_a_spool_batch_is_kept_when_the_database_refuses(engine: AsyncEngine, tmp_path: Path) -> None:
    s = _stack(engine)
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    (spool_dir / "ec112-text.spool").write_text(_line("k1", "Tolong", int(T0.timestamp())))
    reader = FileTextSpool(spool_dir, settle_seconds=0)
    broken = TextService(s.tickets, _Refusing(), IntakeService(s.tickets, default_region="ID", ticket_prefix="112"),
                         default_region="ID", trunk="trunk", reply_from="sip:112@ec112", idle=IDLE)
    assert await broken.replay(reader) == 0
    [kept] = list(spool_dir.iterdir())
    assert kept.name.endswith(".taken")  # read again at the next round
    assert await s.service.replay(reader) == 1
    assert list(spool_dir.iterdir()) == []


class _Refusing:
    async def by_key(self, key: str) -> None:
        raise ConnectionError("database gone")


def _event(ticket_id: int) -> TicketEvent:
    return TicketEvent(ticket_id, T0, "closed", "siti", {"note": "test"})
