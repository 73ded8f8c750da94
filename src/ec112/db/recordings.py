"""Recordings of 112 calls (implements ``services.recordings.RecordingStore`` and the ``RecordingLookup`` port).

One row per ticket. Every change is written with its ticket timeline event (``recording.started``,
``recording.sealed``, ``recording.missing``, ``recording.deleted``) and, when the change is evidence (a seal, a
deletion), its audit entry — in ONE transaction: a sealed row without its hash in the chain cannot exist.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.audit_chain import AuditChain
from ec112.db.models import TicketEventRow, TicketRow
from ec112.db.recording_rows import RecordingRow
from ec112.domain.audit import AuditDraft
from ec112.domain.recordings import Recording, RecordingState
from ec112.domain.ticket_work import TicketEvent

_MAX_ID = 2**31 - 1
_KEPT = (RecordingState.SEALED.value, RecordingState.UNREADABLE.value, RecordingState.RECORDING.value)


_RECORDINGS: Table = RecordingRow.__table__  # type: ignore[assignment]  # a declarative class's Table
_EVENTS: Table = TicketEventRow.__table__  # type: ignore[assignment]


class SqlRecordingStore:
    """Every 112 call starts and seals one recording: Core statements, no ORM loads (issue 16, CPU per call)."""

    def __init__(self, engine: AsyncEngine, *, audit_chain: AuditChain | None = None) -> None:
        self._engine = engine
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self._audit = audit_chain or AuditChain(engine)
        self._insert: Any = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def for_ticket(self, ticket_id: int) -> Recording | None:
        if not 0 < ticket_id <= _MAX_ID:
            return None
        async with self._sessions() as session:
            row = await session.get(RecordingRow, ticket_id)
            return None if row is None else _domain(row)

    async def add(self, rec: Recording, event: TicketEvent) -> bool:
        """Insert a ticket's recording (state ``recording``); False when it already has one."""
        stmt = (self._insert(_RECORDINGS).values(_values(rec)).on_conflict_do_nothing(index_elements=["ticket_id"])
                .returning(_RECORDINGS.c.ticket_id))
        async with self._engine.begin() as conn:
            if (await conn.execute(stmt)).first() is None:
                return False
            await conn.execute(_EVENTS.insert().values(_event_values(event)))
        return True

    async def save(self, rec: Recording, event: TicketEvent, audit: AuditDraft | None) -> Recording:
        """Write ``rec`` (inserting it if needed), its timeline event and audit entry in one transaction."""

        async def transaction() -> Recording:
            async with self._sessions.begin() as session:
                values = _values(rec)
                result: Any = await session.execute(
                    update(_RECORDINGS).where(_RECORDINGS.c.ticket_id == rec.ticket_id).values(values))
                if result.rowcount == 0:
                    await session.execute(_RECORDINGS.insert().values(values))
                await session.execute(_EVENTS.insert().values(_event_values(event)))
                if audit is not None:
                    await self._audit.append_in(session, audit, event.at)
            return rec

        return await (self._audit.retrying(transaction) if audit is not None else transaction())

    async def unsealed(self, since: datetime, limit: int = 500) -> Sequence[int]:
        """The ticket ids of ended calls (arrived after ``since``) whose recording was never sealed: calls that
        ended while ec112 was down, or whose seal was interrupted."""
        stmt = (select(TicketRow.id)
                .outerjoin(RecordingRow, RecordingRow.ticket_id == TicketRow.id)
                .where(TicketRow.ended_at.is_not(None), TicketRow.arrived_at >= since.astimezone(UTC),
                       or_(RecordingRow.ticket_id.is_(None), RecordingRow.state == RecordingState.RECORDING.value))
                .order_by(TicketRow.id).limit(limit))
        async with self._sessions() as session:
            return list((await session.execute(stmt)).scalars())

    async def ended_before(self, before: datetime, limit: int = 500) -> Sequence[Recording]:
        """Recordings with a file still kept whose call ended before ``before`` (the retention sweep's list)."""
        stmt = (select(RecordingRow)
                .where(and_(RecordingRow.state.in_(_KEPT), RecordingRow.ended_at.is_not(None),
                            RecordingRow.ended_at < before.astimezone(UTC)))
                .order_by(RecordingRow.ended_at).limit(limit))
        async with self._sessions() as session:
            return [_domain(r) for r in (await session.execute(stmt)).scalars()]


def _values(rec: Recording) -> dict[str, Any]:
    return {
        "ticket_id": rec.ticket_id, "linkedid": rec.linkedid, "path": rec.path, "state": rec.state.value,
        "started_at": rec.started_at.astimezone(UTC),
        "ended_at": rec.ended_at.astimezone(UTC) if rec.ended_at else None,
        "duration_seconds": rec.duration_seconds, "size_bytes": rec.size_bytes, "sha256": rec.sha256,
        "deleted_at": rec.deleted_at.astimezone(UTC) if rec.deleted_at else None,
    }


def _event_values(event: TicketEvent) -> dict[str, Any]:
    return {"ticket_id": event.ticket_id, "at": event.at.astimezone(UTC), "kind": event.kind, "actor": event.actor,
            "data": json.dumps(event.data, ensure_ascii=False)}


def _domain(r: RecordingRow) -> Recording:
    return Recording(r.ticket_id, r.linkedid, r.path, RecordingState(r.state), _utc(r.started_at),
                     _utc(r.ended_at) if r.ended_at else None, r.duration_seconds, r.size_bytes, r.sha256,
                     _utc(r.deleted_at) if r.deleted_at else None)


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
