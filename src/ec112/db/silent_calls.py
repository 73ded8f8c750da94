"""A ticket's silent-call state (implements ``services.silent_calls.SilentCallStore``).

One row per ticket (a new prompt overwrites it); each change is written with its ticket timeline event
(``silent.prompted`` / ``silent.confirmed`` / ``silent.no_keypress``) in ONE transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from ec112.db.models import Base, TicketEventRow
from ec112.db.utc_datetime import UtcDateTime
from ec112.domain.silent_calls import SilentCall, SilentState
from ec112.domain.ticket_work import TicketEvent

_MAX_ID = 2**31 - 1


class SilentCallRow(Base):
    __tablename__ = "silent_calls"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    prompted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    prompted_by: Mapped[str] = mapped_column(String(40))
    deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    digits: Mapped[str] = mapped_column(String(16), default="", server_default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class SqlSilentCallStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)

    async def get(self, ticket_id: int) -> SilentCall | None:
        if not 0 < ticket_id <= _MAX_ID:
            return None
        async with self._sessions() as session:
            row = await session.get(SilentCallRow, ticket_id)
            return None if row is None else _domain(row)

    async def prompted(self) -> Sequence[SilentCall]:
        """Every call still waiting for its keys (settled at start when ec112 was away meanwhile)."""
        stmt = select(SilentCallRow).where(SilentCallRow.state == SilentState.PROMPTED.value)
        async with self._sessions() as session:
            return [_domain(r) for r in (await session.execute(stmt)).scalars()]

    async def save(self, call: SilentCall, event: TicketEvent) -> SilentCall:
        async with self._sessions.begin() as session:
            row = await session.get(SilentCallRow, call.ticket_id)
            if row is None:
                row = SilentCallRow(ticket_id=call.ticket_id, attempts=0)
                session.add(row)
            if call.state is SilentState.PROMPTED:
                row.attempts = (row.attempts or 0) + 1
            row.state = call.state.value
            row.prompted_at = _to_utc(call.prompted_at)
            row.prompted_by = call.prompted_by
            row.deadline = _to_utc(call.deadline)
            row.settled_at = _to_utc(call.settled_at) if call.settled_at else None
            row.digits = call.digits[-16:]
            session.add(TicketEventRow(ticket_id=event.ticket_id, at=_to_utc(event.at), kind=event.kind,
                                       actor=event.actor, data=json.dumps(event.data, ensure_ascii=False)))
        return call


def _domain(r: SilentCallRow) -> SilentCall:
    return SilentCall(r.ticket_id, SilentState(r.state), _utc(r.prompted_at), r.prompted_by, _utc(r.deadline),
                      _utc(r.settled_at) if r.settled_at else None, r.digits or "")


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
