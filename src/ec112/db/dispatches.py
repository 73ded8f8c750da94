"""Dispatches to agencies (implements ``services.dispatch.DispatchStore``).

A step and its consequences are one transaction: the dispatch row (guarded by its revision), the ticket's
derived status, the timeline event and the audit entry of whoever made the step. So the ticket, its agencies
and its timeline never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.audit_chain import AuditChain
from ec112.db.models import DispatchRow, TicketEventRow, TicketRow
from ec112.db.ticket_cache import TicketCache
from ec112.domain.audit import AuditDraft
from ec112.domain.dispatch import Dispatch, DispatchStatus, DispatchStep, Escalation, ticket_status
from ec112.domain.errors import Conflict, NotFound
from ec112.domain.tickets import TicketStatus

_MAX_ID = 2**31 - 1  # Integer primary keys (int4 on PostgreSQL)
_COLUMNS = ("ticket_id", "agency", "status", "dispatched_at", "dispatched_by", "ack_deadline", "acknowledged_at",
            "acknowledged_by", "responder", "responding_at", "processing_at", "resolved_at", "resolution_note",
            "cancelled_at", "escalation")


class SqlDispatchStore:
    def __init__(self, engine: AsyncEngine, *, audit_chain: AuditChain | None = None,
                 ticket_cache: TicketCache | None = None) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self._audit = audit_chain or AuditChain(engine)
        self._tickets = ticket_cache or TicketCache(size=0)  # a step moves its ticket's status and revision

    async def create(self, ticket_id: int, steps: Sequence[DispatchStep], *, ticket_revision: int,
                     audit: AuditDraft | None = None) -> list[Dispatch]:
        """New dispatches (``step.dispatch.id`` is 0) for one ticket, with their events (and the audit entry when
        given); ``Conflict`` when the ticket changed since ``ticket_revision`` was read."""
        async def transaction() -> list[Dispatch]:
            async with self._sessions.begin() as session:
                created: list[Dispatch] = []
                for step in steps:
                    row = DispatchRow(**_values(step.dispatch), revision=0)
                    session.add(row)
                    await session.flush()
                    created.append(dispatch_from_row(row))
                    session.add(_event(ticket_id, step, dispatch_id=row.id))
                await self._follow(session, ticket_id, expected_revision=ticket_revision)
                if audit is not None and steps:
                    await self._audit.append_in(session, audit, steps[0].at)
                return created

        try:
            return await (self._audit.retrying(transaction) if audit is not None else transaction())
        finally:
            self._tickets.forget(ticket_id)

    async def record(self, step: DispatchStep, audit: AuditDraft | None = None) -> Dispatch:
        """One step of an existing dispatch (and its audit entry when given); ``Conflict`` when the dispatch
        changed since it was read."""
        d = step.dispatch

        async def transaction() -> Dispatch:
            async with self._sessions.begin() as session:
                stmt = (update(DispatchRow).where(DispatchRow.id == d.id, DispatchRow.revision == d.revision)
                        .values(**_values(d), revision=d.revision + 1))
                result: Any = await session.execute(stmt)
                if result.rowcount != 1:
                    raise Conflict(f"dispatch {d.id} was changed meanwhile: reload / sudah diubah, muat ulang")
                session.add(_event(d.ticket_id, step, dispatch_id=d.id))
                await self._follow(session, d.ticket_id, expected_revision=None)
                if audit is not None:
                    await self._audit.append_in(session, audit, step.at)
                row = await session.get(DispatchRow, d.id, populate_existing=True)
                assert row is not None
                return dispatch_from_row(row)

        try:
            return await (self._audit.retrying(transaction) if audit is not None else transaction())
        finally:
            self._tickets.forget(d.ticket_id)

    async def get(self, dispatch_id: int) -> Dispatch:
        if not 0 < dispatch_id <= _MAX_ID:  # SQLite/asyncpg raise on an out-of-range integer: it is just unknown
            raise NotFound(f"no dispatch {dispatch_id}")
        async with self._sessions() as session:
            row = await session.get(DispatchRow, dispatch_id)
            if row is None:
                raise NotFound(f"no dispatch {dispatch_id}")
            return dispatch_from_row(row)

    async def for_ticket(self, ticket_id: int) -> list[Dispatch]:
        return await self._list(DispatchRow.ticket_id == ticket_id)

    async def open_for_agency(self, agency: str) -> list[Dispatch]:
        return await self._list(DispatchRow.agency == agency, DispatchRow.status.in_(_open_values()))

    async def for_responder(self, username: str) -> list[Dispatch]:
        return await self._list(DispatchRow.responder == username, DispatchRow.status.in_(_open_values()))

    async def unacknowledged(self) -> list[Dispatch]:
        """Dispatched, not yet acknowledged and not fully escalated: the escalation loop's work list."""
        return await self._list(DispatchRow.status == DispatchStatus.DISPATCHED.value,
                                DispatchRow.escalation < int(Escalation.ALTERNATE))

    async def escalated_unacknowledged(self) -> list[Dispatch]:
        """Still not acknowledged and already escalated: the wallboard's alarms (one query, every agency)."""
        return await self._list(DispatchRow.status == DispatchStatus.DISPATCHED.value,
                                DispatchRow.escalation >= int(Escalation.SUPERVISOR))

    async def dispatched_between(self, start: datetime, end: datetime) -> list[Dispatch]:
        """Dispatches made in ``[start, end)`` (aware datetimes): a KPI period."""
        return await self._list(DispatchRow.dispatched_at >= start.astimezone(UTC),
                                DispatchRow.dispatched_at < end.astimezone(UTC))

    async def _list(self, *where: Any) -> list[Dispatch]:
        async with self._sessions() as session:
            rows = (await session.execute(select(DispatchRow).where(*where).order_by(DispatchRow.id))).scalars()
            return [dispatch_from_row(r) for r in rows]

    @staticmethod
    async def _follow(session: AsyncSession, ticket_id: int, *, expected_revision: int | None) -> None:
        """The ticket's status follows its dispatches; its revision moves so stale edits are refused."""
        ticket = await session.get(TicketRow, ticket_id, with_for_update=True)
        if ticket is None:
            raise NotFound(f"no ticket {ticket_id}")
        if expected_revision is not None and ticket.revision != expected_revision:
            raise Conflict("the ticket was changed meanwhile by someone else: reload it / tiket sudah diubah")
        rows = (await session.execute(select(DispatchRow).where(DispatchRow.ticket_id == ticket_id))).scalars()
        status = ticket_status(TicketStatus.CLASSIFIED, [dispatch_from_row(r) for r in rows])
        ticket.status = status.value
        ticket.revision = (ticket.revision or 0) + 1


def _open_values() -> list[str]:
    return [s.value for s in (DispatchStatus.DISPATCHED, DispatchStatus.ACKNOWLEDGED, DispatchStatus.RESPONDING,
                              DispatchStatus.PROCESSING)]


def _values(d: Dispatch) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(d, name) for name in _COLUMNS}
    values["status"] = d.status.value
    values["escalation"] = int(d.escalation)
    for key, value in values.items():
        if isinstance(value, datetime):
            values[key] = value.astimezone(UTC)
    return values


def _event(ticket_id: int, step: DispatchStep, *, dispatch_id: int) -> TicketEventRow:
    data = {**step.data, "dispatch_id": dispatch_id}
    return TicketEventRow(ticket_id=ticket_id, at=step.at.astimezone(UTC), kind=step.kind, actor=step.actor,
                          data=json.dumps(data, ensure_ascii=False))


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def dispatch_from_row(row: DispatchRow) -> Dispatch:
    return Dispatch(
        id=row.id, ticket_id=row.ticket_id, agency=row.agency, status=DispatchStatus(row.status),
        dispatched_at=_utc(row.dispatched_at) or datetime.now(UTC), dispatched_by=row.dispatched_by,
        ack_deadline=_utc(row.ack_deadline) or datetime.now(UTC), acknowledged_at=_utc(row.acknowledged_at),
        acknowledged_by=row.acknowledged_by, responder=row.responder, responding_at=_utc(row.responding_at),
        processing_at=_utc(row.processing_at), resolved_at=_utc(row.resolved_at),
        resolution_note=row.resolution_note, cancelled_at=_utc(row.cancelled_at),
        escalation=Escalation(row.escalation or 0), revision=row.revision or 0,
    )
