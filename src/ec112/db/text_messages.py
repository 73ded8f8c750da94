"""Text to 112: the messages of a ticket's conversation (implements ``services.text_to_112.TextStore``).

A message and its timeline event (``text.in`` / ``text.out`` in ``ticket_events``) are written in ONE transaction;
the message's ``key`` is unique, so the FastAGI route and the spool read-back can both store the same message
safely (the second is a no-op). Only the delivery status of an outgoing message is ever updated.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Integer, String, Text, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from ec112.db.models import Base, TicketEventRow, TicketRow
from ec112.db.utc_datetime import UtcDateTime
from ec112.domain.text_messages import TEXT_IN, TEXT_OUT, TextDirection, TextMessage, TextStatus
from ec112.domain.tickets import IntakeChannel


class TextMessageRow(Base):
    __tablename__ = "text_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(4))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(String(200))


class SqlTextStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)

    async def add(self, ticket_id: int, message: TextMessage) -> tuple[TextMessage, bool]:
        """Store a message with its timeline event; (the stored one, False) when its key is already there."""
        try:
            async with self._sessions.begin() as session:
                row = TextMessageRow(ticket_id=ticket_id, key=message.key, direction=message.direction.value,
                                     at=message.at.astimezone(UTC), author=message.author, body=message.body,
                                     status=message.status.value, source=message.source, error=message.error)
                session.add(row)
                await session.flush()
                kind = TEXT_IN if message.direction is TextDirection.IN else TEXT_OUT
                session.add(TicketEventRow(ticket_id=ticket_id, at=row.at, kind=kind, actor=message.author[:40],
                                           data=json.dumps({"message_id": row.id, "body": message.body},
                                                           ensure_ascii=False)))
                return _to_domain(row), True
        except IntegrityError:
            found = await self.by_key(message.key)
            if found is None:
                raise
            return found, False

    async def by_key(self, key: str) -> TextMessage | None:
        async with self._sessions() as session:
            row = (await session.execute(select(TextMessageRow).where(TextMessageRow.key == key))).scalar_one_or_none()
            return _to_domain(row) if row else None

    async def messages(self, ticket_id: int) -> Sequence[TextMessage]:
        stmt = select(TextMessageRow).where(TextMessageRow.ticket_id == ticket_id).order_by(TextMessageRow.id)
        async with self._sessions() as session:
            return [_to_domain(r) for r in (await session.execute(stmt)).scalars()]

    async def set_status(self, message_id: int, status: TextStatus, error: str | None = None) -> TextMessage:
        async with self._sessions.begin() as session:
            await session.execute(update(TextMessageRow).where(TextMessageRow.id == message_id)
                                  .values(status=status.value, error=error))
            row = await session.get(TextMessageRow, message_id, populate_existing=True)
            if row is None:
                raise LookupError(f"text message {message_id} does not exist")
            return _to_domain(row)

    async def latest_conversation(self, caller_e164: str) -> tuple[int, datetime] | None:
        """The newest text ticket of this number and the time of its last message, if any."""
        stmt = (select(TextMessageRow.ticket_id, func.max(TextMessageRow.at))
                .join(TicketRow, TicketRow.id == TextMessageRow.ticket_id)
                .where(TicketRow.caller_number_e164 == caller_e164, TicketRow.intake == IntakeChannel.TEXT.value)
                .group_by(TextMessageRow.ticket_id).order_by(TextMessageRow.ticket_id.desc()).limit(1))
        async with self._sessions() as session:
            found = (await session.execute(stmt)).first()
        return (found[0], _utc(found[1])) if found else None

    async def open_conversations(self, since: datetime) -> Sequence[tuple[int, datetime]]:
        """Text tickets with a message at or after ``since``: (ticket id, last message), newest first."""
        last = func.max(TextMessageRow.at)
        stmt = (select(TextMessageRow.ticket_id, last).group_by(TextMessageRow.ticket_id)
                .having(last >= since.astimezone(UTC)).order_by(last.desc()))
        async with self._sessions() as session:
            return [(r[0], _utc(r[1])) for r in (await session.execute(stmt)).all()]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _to_domain(row: TextMessageRow) -> TextMessage:
    return TextMessage(id=row.id, ticket_id=row.ticket_id, key=row.key, direction=TextDirection(row.direction),
                       at=_utc(row.at), author=row.author, body=row.body, status=TextStatus(row.status),
                       source=row.source, error=row.error)
