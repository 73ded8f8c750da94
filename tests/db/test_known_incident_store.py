"""Known incidents on SQLite and PostgreSQL: posting and ending with their audit entries in the chain, the counts of
calls under concurrent intakes, a call's ticket linked to the incident (timeline ``incident.linked``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.audit import SqlAuditStore
from ec112.db.known_incidents import SqlIncidentStore
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.accounts import Role, User
from ec112.domain.audit import AuditDraft
from ec112.domain.categories import CategoryCatalogue
from ec112.domain.errors import Conflict, InvalidRequest
from ec112.domain.known_incidents import AreaKind, IncidentArea, IncidentDraft
from ec112.domain.tickets import IntakeChannel, NewCall, TicketStatus
from ec112.services.audit import AuditService
from ec112.services.known_incidents import KnownIncidentService
from ec112.services.ticket_desk import TicketDesk

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
SPV = User(2, "spv", "Supervisor", Role.SUPERVISOR)
TAKER = User(3, "taker01", "Taker", Role.CALL_TAKER, "taker01")


def _call(n: int) -> NewCall:
    return NewCall(linkedid=f"lab-{n}", uniqueid=f"lab-{n}", channel=f"PJSIP/trunk-{n:08x}",
                   caller_number_raw="081234567890", caller_number_e164="+6281234567890", caller_name=None,
                   arrived_at=T0, intake=IntakeChannel.AGI)


def _service(engine: AsyncEngine, store: SqlIncidentStore | None = None) -> KnownIncidentService:
    desk = TicketDesk(SqlTicketRepository(engine), categories=CategoryCatalogue(), ticket_prefix="112",
                      clock=lambda: T0 + timedelta(minutes=5))
    return KnownIncidentService(store or SqlIncidentStore(engine), desk, max_hours=24, takers_free=lambda: False,
                                clock=lambda: T0 + timedelta(minutes=5))


async def test_post_count_and_end_are_stored_and_audited_in_the_chain(engine: AsyncEngine) -> None:
    tickets = SqlTicketRepository(engine)
    own, _ = await tickets.open(_call(1))
    service = _service(engine)
    posted = await service.post(IncidentDraft("Kebakaran di Pasar Penajam sudah ditangani Damkar",
                                              IncidentArea(AreaKind.CIRCLE, lat=-1.2586, lon=116.8306, radius_m=800),
                                              T0 + timedelta(hours=3), None, own.id), SPV)
    for _ in range(5):
        service.advise(None, None)
    await service.drain()
    store = SqlIncidentStore(engine)
    stored = await store.get(posted.id)
    assert (stored.calls, stored.heard, stored.ticket_id, stored.area.radius_m) == (5, 5, own.id, 800)
    # A restart finds it active with its counts.
    again = _service(engine)
    await again.load()
    assert [(i.id, i.calls) for i in again.active()] == [(posted.id, 5)]

    await service.end(posted.id, SPV)
    with pytest.raises(Conflict):  # a second supervisor's click from a stale page
        await store.end(posted.id, by="spv2", at=T0 + timedelta(minutes=6),
                        audit=AuditDraft("spv2", "incident.end"))
    ended = await store.get(posted.id)
    assert (ended.ended_by, ended.ended_at) == ("spv", T0 + timedelta(minutes=5))
    audit = AuditService(SqlAuditStore(engine))
    entries = [(e.actor, e.action, e.target) for e in await audit.recent(10)]
    assert ("spv", "incident.post", f"incident:{posted.id}") in entries
    assert ("spv", "incident.end", f"incident:{posted.id}") in entries
    assert (await audit.verify()).ok


async def test_concurrent_calls_are_all_counted(engine: AsyncEngine) -> None:
    store = SqlIncidentStore(engine)
    posted = await _service(engine, store).post(
        IncidentDraft("Banjir", IncidentArea(AreaKind.REGENCY), T0 + timedelta(hours=1)), SPV)
    await asyncio.gather(*(store.count_call(posted.id, heard=n % 2 == 0) for n in range(20)))
    stored = await store.get(posted.id)
    assert (stored.calls, stored.heard) == (20, 10)


async def test_linking_a_call_to_the_incident_classifies_it_information_once(engine: AsyncEngine) -> None:
    tickets = SqlTicketRepository(engine)
    own, _ = await tickets.open(_call(1))
    caller, _ = await tickets.open(_call(2))
    service = _service(engine)
    posted = await service.post(IncidentDraft("Kebakaran di Pasar Penajam", IncidentArea(AreaKind.REGENCY),
                                              T0 + timedelta(hours=1), None, own.id), SPV)
    linked = await service.link(str(caller.id), posted.id, TAKER)
    assert (linked.classification, linked.status, linked.classified_by) == ("informasi", TicketStatus.CLOSED,
                                                                            "taker01")
    assert linked.description is not None
    assert "Kejadian diketahui" in linked.description
    again = await service.link(str(caller.id), posted.id, TAKER)  # a second click changes nothing
    assert again.revision == linked.revision
    events = [e for e in await tickets.events(caller.id) if e.kind == "incident.linked"]
    assert len(events) == 1
    assert events[0].data["incident_id"] == posted.id
    assert events[0].data["incident_ticket"] == own.number("112")
    with pytest.raises(InvalidRequest, match="own ticket"):
        await service.link(str(own.id), posted.id, TAKER)
