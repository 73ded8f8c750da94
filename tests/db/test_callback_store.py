"""Callback tasks on SQLite and PostgreSQL: one per ticket, steps guarded by revision, with their timeline events
and audit entries in the same transaction."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.audit import SqlAuditStore
from ec112.db.callbacks import SqlCallbackStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.audit import AuditDraft
from ec112.domain.callbacks import CallbackReason, CallbackStatus, escalate, new_task, take
from ec112.domain.errors import Conflict, NotFound
from ec112.domain.tickets import CallOutcome, IntakeChannel, NewCall, Ticket, ended, joined_queue

T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
S = timedelta(seconds=1)


async def _abandoned(repo: SqlTicketRepository, linkedid: str, number: str = "+6281355501234") -> Ticket:
    ticket, _ = await repo.open(NewCall(linkedid, linkedid, "PJSIP/trunk-1", number, number, None, T0,
                                        IntakeChannel.AGI))
    gone = ended(joined_queue(ticket, T0 + S), T0 + 6 * S)
    assert gone.outcome is CallOutcome.ABANDONED
    await repo.save(gone)
    return gone


async def test_one_task_per_ticket_even_when_two_doors_create_it_at_once(engine: AsyncEngine) -> None:
    repo, store = SqlTicketRepository(engine), SqlCallbackStore(engine)
    ticket = await _abandoned(repo, "l1")
    step = new_task(ticket, CallbackReason.ABANDONED, at=T0 + 7 * S, deadline_seconds=120)
    results = await asyncio.gather(store.create(step), store.create(step))
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0].id == results[1][0].id
    [task] = await store.active()
    assert (task.number, task.status, task.deadline) == ("+6281355501234", CallbackStatus.OPEN, T0 + 127 * S)
    [event] = await repo.events(ticket.id)
    assert (event.kind, event.actor, event.data["task"], event.data["reason"]) == (
        "callback.created", "ec112", task.id, "abandoned")


async def test_steps_are_guarded_by_revision_and_audited_with_their_event(engine: AsyncEngine) -> None:
    repo, store = SqlTicketRepository(engine), SqlCallbackStore(engine)
    ticket = await _abandoned(repo, "l1")
    task, _ = await store.create(new_task(ticket, CallbackReason.ABANDONED, at=T0, deadline_seconds=60))
    taken = take(task, by="taker01", at=T0 + S)
    assert taken is not None
    audit = AuditDraft("sari", "callback.taken", f"callback:{task.id}")
    saved = await store.record(replace(taken, actor="sari"), audit)
    assert (saved.status, saved.taken_by, saved.revision) == (CallbackStatus.TAKEN, "taker01", 1)
    with pytest.raises(Conflict):
        await store.record(taken)  # made from the stale revision 0
    [audit] = [e for e in await SqlAuditStore(engine).recent(10) if e.action == "callback.taken"]
    assert (audit.actor, audit.target) == ("sari", f"callback:{task.id}")
    assert [e.kind for e in await repo.events(ticket.id)] == ["callback.created", "callback.taken"]
    with pytest.raises(NotFound):
        await store.get(2**40)


async def test_active_lists_by_deadline_and_by_number(engine: AsyncEngine) -> None:
    repo, store = SqlTicketRepository(engine), SqlCallbackStore(engine)
    first = await _abandoned(repo, "l1")
    other = await _abandoned(repo, "l2", "+6281399900011")
    late, _ = await store.create(new_task(first, CallbackReason.ABANDONED, at=T0, deadline_seconds=300))
    soon, _ = await store.create(new_task(other, CallbackReason.ABANDONED, at=T0, deadline_seconds=30))
    assert [t.id for t in await store.active()] == [soon.id, late.id]
    assert [t.id for t in await store.active_for_number("+6281355501234")] == [late.id]
    step = escalate(soon, at=T0 + 30 * S)
    assert step is not None
    escalated = await store.record(step)
    assert escalated.escalated_at == T0 + 30 * S
    assert (await store.for_ticket(other.id)) == escalated
