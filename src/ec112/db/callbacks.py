"""Callback tasks (implements ``services.callbacks.CallbackStore``).

A task's change, its ticket's timeline event (``callback.*``) and the audit entry of whoever made it are one
transaction. One task per ticket (a unique ``ticket_id``): creating it again is a no-op, so every door that sees
a call end (AMI, a re-read after a reconnect) can try safely.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.audit_chain import AuditChain
from ec112.db.callback_rows import CallbackTaskRow
from ec112.db.models import TicketEventRow
from ec112.domain.audit import AuditDraft
from ec112.domain.callbacks import ACTIVE, CallbackOutcome, CallbackReason, CallbackStatus, CallbackStep, CallbackTask
from ec112.domain.errors import Conflict, NotFound

_MAX_ID = 2**31 - 1


_COLUMNS = ("ticket_id", "number", "reason", "status", "created_at", "deadline", "taken_by", "taken_at", "calling_at",
            "attempts", "outcome", "outcome_by", "done_at", "escalated_at", "closed_at", "linked_ticket_id")


class SqlCallbackStore:
    def __init__(self, engine: AsyncEngine, *, audit_chain: AuditChain | None = None) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self._audit = audit_chain or AuditChain(engine)

    async def create(self, step: CallbackStep) -> tuple[CallbackTask, bool]:
        """The ticket's task, created from ``step`` unless it exists; the bool says whether it was created."""
        existing = await self.for_ticket(step.task.ticket_id)
        if existing is not None:
            return existing, False
        try:
            async with self._sessions.begin() as session:
                row = CallbackTaskRow(**_values(step.task), revision=0)
                session.add(row)
                await session.flush()
                session.add(_event(step, row.id))
                return _to_domain(row), True
        except IntegrityError:  # another door created it meanwhile
            found = await self.for_ticket(step.task.ticket_id)
            if found is None:
                raise
            return found, False

    async def record(self, step: CallbackStep, audit: AuditDraft | None = None) -> CallbackTask:
        """A step of an existing task (+ its audit entry); ``Conflict`` when the task changed since it was read."""
        t = step.task

        async def transaction() -> CallbackTask:
            async with self._sessions.begin() as session:
                row_of = CallbackTaskRow
                stmt = (update(row_of).where(row_of.id == t.id, row_of.revision == t.revision)
                        .values(**_values(t), revision=t.revision + 1))
                result: Any = await session.execute(stmt)
                if result.rowcount != 1:
                    raise Conflict(f"callback {t.id} was changed meanwhile: reload / sudah diubah, muat ulang")
                session.add(_event(step, t.id))
                if audit is not None:
                    await self._audit.append_in(session, audit, step.at)
                row = await session.get(CallbackTaskRow, t.id, populate_existing=True)
                assert row is not None
                return _to_domain(row)

        return await (self._audit.retrying(transaction) if audit is not None else transaction())

    async def get(self, task_id: int) -> CallbackTask:
        if not 0 < task_id <= _MAX_ID:
            raise NotFound(f"no callback {task_id}")
        async with self._sessions() as session:
            row = await session.get(CallbackTaskRow, task_id)
            if row is None:
                raise NotFound(f"no callback {task_id}")
            return _to_domain(row)

    async def for_ticket(self, ticket_id: int) -> CallbackTask | None:
        found = await self._list(CallbackTaskRow.ticket_id == ticket_id)
        return found[0] if found else None

    async def active(self) -> list[CallbackTask]:
        """Open, taken or being called: the console's and the wallboard's list, most urgent first."""
        return await self._list(CallbackTaskRow.status.in_([s.value for s in ACTIVE]))

    async def active_for_number(self, number: str) -> list[CallbackTask]:
        return await self._list(CallbackTaskRow.number == number,
                                CallbackTaskRow.status.in_([s.value for s in ACTIVE]))

    async def recent(self, since: datetime) -> list[CallbackTask]:
        """Every task created since ``since`` (done and closed ones too)."""
        return await self._list(CallbackTaskRow.created_at >= since.astimezone(UTC))

    async def _list(self, *where: Any) -> list[CallbackTask]:
        stmt = select(CallbackTaskRow).where(*where).order_by(CallbackTaskRow.deadline, CallbackTaskRow.id)
        async with self._sessions() as session:
            return [_to_domain(r) for r in (await session.execute(stmt)).scalars()]


def _values(t: CallbackTask) -> dict[str, Any]:
    values = {name: getattr(t, name) for name in _COLUMNS}
    for key, value in values.items():
        if isinstance(value, datetime):
            values[key] = value.astimezone(UTC)
        elif isinstance(value, CallbackReason | CallbackStatus | CallbackOutcome):
            values[key] = value.value
    return values


def _event(step: CallbackStep, task_id: int) -> TicketEventRow:
    data = {"task": task_id, **step.data}
    return TicketEventRow(ticket_id=step.task.ticket_id, at=step.at.astimezone(UTC), kind=step.kind,
                          actor=step.actor[:40], data=json.dumps(data, ensure_ascii=False))


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _to_domain(r: CallbackTaskRow) -> CallbackTask:
    created, deadline = _utc(r.created_at), _utc(r.deadline)
    assert created is not None
    assert deadline is not None
    return CallbackTask(
        id=r.id, ticket_id=r.ticket_id, number=r.number, reason=CallbackReason(r.reason),
        status=CallbackStatus(r.status), created_at=created, deadline=deadline, taken_by=r.taken_by,
        taken_at=_utc(r.taken_at), calling_at=_utc(r.calling_at), attempts=r.attempts or 0,
        outcome=CallbackOutcome(r.outcome) if r.outcome else None, outcome_by=r.outcome_by,
        done_at=_utc(r.done_at), escalated_at=_utc(r.escalated_at), closed_at=_utc(r.closed_at),
        linked_ticket_id=r.linked_ticket_id, revision=r.revision or 0,
    )

