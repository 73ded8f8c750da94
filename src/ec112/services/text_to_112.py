"""Text to 112: a SIP MESSAGE opens or joins a ticket's conversation; call takers answer it (AMI MessageSend).

Messages arrive by the FastAGI route ``text`` (live) or from the dialplan's spool (read back at start and every few
seconds when ec112 was unreachable); both carry the dialplan's key, so a message is stored once whichever way it
came. A message from a number whose text conversation is still open (last message within
``conversation_idle_minutes``, ticket not settled) joins that ticket; otherwise it opens a new one through the
intake, like a call. Bodies are personal data: logs at INFO carry sizes and ticket numbers only.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ec112.domain.errors import DomainError, InvalidRequest, Unavailable
from ec112.domain.events import ASTERISK
from ec112.domain.phone import to_e164
from ec112.domain.text_messages import (
    IncomingText,
    TextDirection,
    TextMessage,
    TextMessageAdded,
    TextStatus,
    check_reply,
    conversation_open,
    linkedid_for,
    reply_destination,
)
from ec112.domain.tickets import IntakeChannel, Ticket, answered
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.intake import IntakeService, utcnow
from ec112.services.ports import TicketRepository

log = logging.getLogger(__name__)
TEXT_CHANNEL = "Message/ast_msg_queue"  # what Asterisk calls the pseudo-channel a message runs on


class TextStore(Protocol):
    async def add(self, ticket_id: int, message: TextMessage) -> tuple[TextMessage, bool]:
        """Store a message and its timeline event; (the stored one, False) when its key is already stored."""

    async def by_key(self, key: str) -> TextMessage | None: ...

    async def messages(self, ticket_id: int) -> Sequence[TextMessage]: ...

    async def set_status(self, message_id: int, status: TextStatus, error: str | None = None) -> TextMessage: ...

    async def latest_conversation(self, caller_e164: str) -> tuple[int, datetime] | None: ...

    async def open_conversations(self, since: datetime) -> Sequence[tuple[int, datetime]]: ...


class MessageSender(Protocol):
    async def send(self, destination: str, sender: str, body: str) -> None:
        """Hand a text/plain message to Asterisk; ``Unavailable`` / ``InvalidRequest`` when it refuses."""


class TextSpool(Protocol):
    """The dialplan's spool of messages ec112 could not take (records/text_spool.py)."""

    async def take(self) -> Sequence[tuple[str, Sequence[IncomingText]]]:
        """Batches to store: (batch id, its well-formed messages); malformed lines are logged and skipped."""

    async def done(self, batch: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Conversation:
    ticket: Ticket
    last_at: datetime


class TextService:
    def __init__(self, tickets: TicketRepository, store: TextStore, intake: IntakeService, *,
                 default_region: str, trunk: str, reply_from: str, idle: timedelta,
                 sender: MessageSender | None = None, bus: EventBus | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._tickets = tickets
        self._store = store
        self._intake = intake
        self._region = default_region
        self._trunk = trunk
        self._from = reply_from
        self._idle = idle
        self._sender = sender
        self._bus: EventBus = bus or NullEventBus()
        self._clock = clock
        self._receiving = asyncio.Lock()  # the route and the spool at once: one conversation per number

    async def receive(self, message: IncomingText) -> Ticket:
        """Store a message to 112 on its conversation's ticket (opened if needed); idempotent on its key."""
        async with self._receiving:
            known = await self._store.by_key(message.key)
            if known is not None:
                ticket = await self._tickets.get(known.ticket_id)
                if ticket is None:
                    raise LookupError(f"ticket {known.ticket_id} of a stored message is gone")
                return ticket
            ticket, opened = await self._conversation_ticket(message)
            draft = TextMessage(id=0, ticket_id=ticket.id, key=message.key, direction=TextDirection.IN,
                                at=message.received_at, author=message.sender or "unknown", body=message.body,
                                status=TextStatus.RECEIVED, source=message.source)
            stored, _ = await self._store.add(ticket.id, draft)
        log.info("ticket %s: text message in (%d bytes)%s", self._intake.number(ticket),
                 len(message.body.encode()), ", new conversation" if opened else "")
        await self._bus.publish(TextMessageAdded(at=self._clock(), actor=ASTERISK, ticket=ticket, message=stored,
                                                 opened=opened))
        return ticket

    async def _conversation_ticket(self, message: IncomingText) -> tuple[Ticket, bool]:
        e164 = to_e164(message.sender, self._region)
        if e164 is not None and (latest := await self._store.latest_conversation(e164)) is not None:
            ticket = await self._tickets.get(latest[0])
            if ticket is not None and conversation_open(ticket, latest[1], message.received_at, self._idle):
                return ticket, False
        return await self._intake.open_ticket(
            linkedid=linkedid_for(message.key), uniqueid=message.key, channel=TEXT_CHANNEL,
            caller_number=message.sender, caller_name=None, intake=IntakeChannel.TEXT,
            arrived_at=message.received_at)

    async def reply(self, ticket: Ticket, body: str, *, actor: str) -> TextMessage:
        """A call taker's answer: stored, sent through the trunk, its delivery status stored and announced."""
        text = check_reply(body)
        if ticket.intake is not IntakeChannel.TEXT:
            raise InvalidRequest("this ticket is a call, not a text conversation / tiket ini bukan percakapan teks")
        last_in = next((m for m in reversed(await self._store.messages(ticket.id))
                        if m.direction is TextDirection.IN and m.source), None)
        if last_in is None:
            raise InvalidRequest("no message of the citizen to answer / belum ada pesan dari warga")
        destination = reply_destination(self._trunk, last_in.author, last_in.source or "")
        now = self._clock()
        draft = TextMessage(id=0, ticket_id=ticket.id, key=f"out-{uuid.uuid4().hex}", direction=TextDirection.OUT,
                            at=now, author=actor, body=text, status=TextStatus.SENDING)
        stored, _ = await self._store.add(ticket.id, draft)
        await self._publish(ticket, stored, actor)
        status, error = TextStatus.SENT, None
        try:
            if self._sender is None:
                raise Unavailable("Asterisk is not connected")
            await self._sender.send(destination, self._from, text)
        except DomainError as exc:
            status, error = TextStatus.FAILED, exc.message[:200]
        stored = await self._store.set_status(stored.id, status, error)
        log.info("ticket %s: text message out by %s (%d bytes): %s", self._intake.number(ticket), actor,
                 len(text.encode()), status.value)
        if status is TextStatus.SENT and ticket.answered_at is None:
            # The first answer that went out is the conversation's "answer" (KPIs: answer time).
            ticket = answered(ticket, actor, now)
            await self._tickets.save(ticket)
        await self._publish(ticket, stored, actor)
        return stored

    async def _publish(self, ticket: Ticket, message: TextMessage, actor: str) -> None:
        await self._bus.publish(TextMessageAdded(at=self._clock(), actor=actor, ticket=ticket, message=message))

    async def messages(self, ticket: Ticket) -> Sequence[TextMessage]:
        return await self._store.messages(ticket.id)

    async def conversations(self) -> list[Conversation]:
        """Text tickets with a message within the idle limit and not settled, newest message first."""
        now = self._clock()
        found = []
        for ticket_id, last_at in await self._store.open_conversations(now - self._idle):
            ticket = await self._tickets.get(ticket_id)
            if ticket is not None and conversation_open(ticket, last_at, now, self._idle):
                found.append(Conversation(ticket, last_at))
        return found

    async def replay(self, spool: TextSpool) -> int:
        """Store what the dialplan spooled while ec112 was away; a batch is removed only once all of it is stored."""
        stored = 0
        for batch, messages in await spool.take():
            try:
                for message in messages:
                    await self.receive(message)
                    stored += 1
            except Exception as exc:  # noqa: BLE001 - the database refused: keep the batch, retried next round
                log.warning("text spool batch kept for a retry (%s)", type(exc).__name__)
                continue
            await spool.done(batch)
        if stored:
            log.info("text spool: %d message(s) read back", stored)
        return stored

    async def run_spool(self, spool: TextSpool, every_seconds: float) -> None:
        """Read the spool back at start, then every ``every_seconds`` (a message spooled during a restart)."""
        while True:
            try:
                await self.replay(spool)
            except Exception:
                log.exception("text spool read-back failed")
            await asyncio.sleep(every_seconds)
