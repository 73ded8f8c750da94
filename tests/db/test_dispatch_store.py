"""Dispatches on SQLite and PostgreSQL: a step, the ticket's status and the timeline move together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.dispatches import SqlDispatchStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.categories import CategoryCatalogue
from ec112.domain.dispatch import DispatchStatus, DispatchStep, acknowledge, advance, assign, new_dispatch
from ec112.domain.errors import Conflict
from ec112.domain.ticket_work import Classification, ClassificationInput, classify
from ec112.domain.tickets import IntakeChannel, NewCall, Ticket, TicketStatus

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
S = timedelta(seconds=1)


async def _emergency(repo: SqlTicketRepository) -> Ticket:
    ticket, _ = await repo.open(NewCall("l1", "l1", "PJSIP/trunk-1", "0811", "+62811", None, T0, IntakeChannel.AGI))
    updated, event = classify(ticket, ClassificationInput(Classification.EMERGENCY, "kebakaran"), by="taker01",
                              at=T0 + 30 * S, categories=CategoryCatalogue())
    return await repo.save_work(updated, event)


def _created(ticket: Ticket, agency: str) -> DispatchStep:
    d = new_dispatch(ticket.id, agency, by="taker01", at=T0 + 50 * S, ack_timeout=60 * S)
    return DispatchStep(d, "dispatch.created", "taker01", d.dispatched_at, {"agency": agency})


async def test_dispatch_steps_move_the_ticket_and_its_timeline(engine: AsyncEngine) -> None:
    repo, store = SqlTicketRepository(engine), SqlDispatchStore(engine)
    ticket = await _emergency(repo)
    damkar, dinkes = await store.create(ticket.id, [_created(ticket, "damkar"), _created(ticket, "dinkes")],
                                        ticket_revision=ticket.revision)
    assert (damkar.status, damkar.ack_deadline) == (DispatchStatus.DISPATCHED, T0 + 110 * S)
    stored = await repo.get(ticket.id)
    assert stored is not None
    assert (stored.status, stored.revision) == (TicketStatus.DISPATCHED, ticket.revision + 1)
    assert [d.agency for d in await store.unacknowledged()] == ["damkar", "dinkes"]

    damkar = await store.record(acknowledge(damkar, by="officer.damkar", at=T0 + 70 * S))
    damkar = await store.record(assign(damkar, "resp.budi", by="officer.damkar", at=T0 + 75 * S))
    assert [d.id for d in await store.for_responder("resp.budi")] == [damkar.id]
    stored = await repo.get(ticket.id)
    assert stored is not None
    assert stored.status is TicketStatus.DISPATCHED  # dinkes has not acknowledged yet
    dinkes = await store.record(acknowledge(dinkes, by="officer.dinkes", at=T0 + 80 * S))
    stored = await repo.get(ticket.id)
    assert stored is not None
    assert stored.status is TicketStatus.ACKNOWLEDGED
    assert await store.unacknowledged() == []

    damkar = await store.record(advance(damkar, DispatchStatus.RESPONDING, by="resp.budi", at=T0 + 90 * S))
    events = await repo.events(ticket.id)
    assert [(e.kind, e.actor) for e in events] == [
        ("classified", "taker01"), ("dispatch.created", "taker01"), ("dispatch.created", "taker01"),
        ("dispatch.acknowledged", "officer.damkar"), ("dispatch.assigned", "officer.damkar"),
        ("dispatch.acknowledged", "officer.dinkes"), ("dispatch.responding", "resp.budi")]
    assert events[1].data["dispatch_id"] == damkar.id
    assert [d.agency for d in await store.open_for_agency("damkar")] == ["damkar"]


async def test_a_stale_step_is_refused(engine: AsyncEngine) -> None:
    repo, store = SqlTicketRepository(engine), SqlDispatchStore(engine)
    ticket = await _emergency(repo)
    (d,) = await store.create(ticket.id, [_created(ticket, "damkar")], ticket_revision=ticket.revision)
    await store.record(acknowledge(d, by="officer.a", at=T0 + 60 * S))
    with pytest.raises(Conflict):  # a second officer acknowledging from the same old page
        await store.record(acknowledge(d, by="officer.b", at=T0 + 61 * S))
    with pytest.raises(Conflict):  # a dispatch based on a stale read of the ticket
        await store.create(ticket.id, [_created(ticket, "bpbd")], ticket_revision=ticket.revision)
