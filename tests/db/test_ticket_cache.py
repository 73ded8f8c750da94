"""The daemon's ticket cache (db/ticket_cache.py) on SQLite and PostgreSQL: with the stores wired as the daemon
wires them (one cache shared by every writer of the tickets table), a read never returns a ticket older than the
last write, whoever wrote it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.dispatches import SqlDispatchStore
from ec112.db.locations import SqlLocationRepository
from ec112.db.ticket_cache import TicketCache
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.categories import CategoryCatalogue
from ec112.domain.dispatch import DispatchStep, acknowledge, new_dispatch
from ec112.domain.location import Location, LocationSource
from ec112.domain.ticket_work import Classification, ClassificationInput, classify
from ec112.domain.tickets import CallOutcome, IntakeChannel, NewCall, TicketStatus, answered, ended, joined_queue

T0 = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
S = timedelta(seconds=1)
PIDF = Location(-1.30, 116.70, 2000.0, LocationSource.PIDF_LO, T0, "Cell")
AML = Location(-1.25, 116.83, 12.0, LocationSource.AML, T0 + 5 * S, "GPS")


def stores(engine: AsyncEngine) -> tuple[SqlTicketRepository, SqlDispatchStore, SqlLocationRepository]:
    cache = TicketCache()
    return (SqlTicketRepository(engine, cache=cache), SqlDispatchStore(engine, ticket_cache=cache),
            SqlLocationRepository(engine, ticket_cache=cache))


def call(linkedid: str, location: Location | None = None) -> NewCall:
    return NewCall(linkedid, linkedid, "PJSIP/trunk-1", "0811", "+62811", None, T0, IntakeChannel.AGI, location)


async def test_a_call_s_life_from_the_tracker_s_copy_keeps_the_call_taker_s_work(engine: AsyncEngine) -> None:
    tickets, _, _ = stores(engine)
    opened, created = await tickets.open(call("k1"))
    assert created
    tracker_copy = joined_queue(opened, T0 + S)
    await tickets.save(tracker_copy)
    work, event = classify(answered(tracker_copy, "taker01", T0 + 2 * S),
                           ClassificationInput(Classification.EMERGENCY, "kebakaran"), by="taker01", at=T0 + 9 * S,
                           categories=CategoryCatalogue())
    await tickets.save_work(work, event)
    await tickets.save(ended(answered(tracker_copy, "taker01", T0 + 2 * S), T0 + 20 * S))  # the tracker's stale copy
    for read in (await tickets.get(opened.id), await tickets.get_by_linkedid("k1"),
                 await SqlTicketRepository(engine).get(opened.id)):  # the cache, and the database itself
        assert read is not None
        assert (read.classification, read.status, read.answered_by, read.outcome) == (
            Classification.EMERGENCY.value, TicketStatus.CLASSIFIED, "taker01", CallOutcome.ANSWERED)


async def test_a_dispatch_moves_the_ticket_the_cache_hands_out(engine: AsyncEngine) -> None:
    tickets, dispatches, _ = stores(engine)
    opened, _ = await tickets.open(call("k2"))
    ticket = await tickets.save_work(*classify(opened, ClassificationInput(Classification.EMERGENCY, "kebakaran"),
                                               by="taker01", at=T0 + 9 * S, categories=CategoryCatalogue()))
    assert await tickets.get(ticket.id) == ticket
    d = new_dispatch(ticket.id, "damkar", by="taker01", at=T0 + 10 * S, ack_timeout=60 * S)
    [damkar] = await dispatches.create(ticket.id, [DispatchStep(d, "dispatch.created", "taker01", T0 + 10 * S, {})],
                                       ticket_revision=ticket.revision)
    seen = await tickets.get(ticket.id)
    assert seen is not None
    assert (seen.status, seen.revision) == (TicketStatus.DISPATCHED, ticket.revision + 1)
    await dispatches.record(acknowledge(damkar, by="officer.damkar", at=T0 + 20 * S))
    seen = await tickets.get_by_linkedid("k2")
    assert seen is not None
    assert seen.status is TicketStatus.ACKNOWLEDGED


async def test_a_location_report_moves_the_ticket_and_a_stale_copy_does_not_undo_it(engine: AsyncEngine) -> None:
    tickets, _, locations = stores(engine)
    opened, _ = await tickets.open(call("k3", PIDF))
    await locations.add(opened.id, AML, actor="aml-https", received_at=T0 + 6 * S)
    await tickets.save(ended(opened, T0 + 30 * S))  # ``opened`` still holds the network's location
    for read in (await tickets.get(opened.id), await SqlTicketRepository(engine).get(opened.id)):
        assert read is not None
        assert read.location is not None
        assert (read.location.source, read.ended_at) == (LocationSource.AML, T0 + 30 * S)


async def test_an_intake_location_on_a_ticket_another_door_opened_is_stored_once(engine: AsyncEngine) -> None:
    tickets, _, locations = stores(engine)
    opened, _ = await tickets.open(call("k4"))  # the AMI door, no location
    await tickets.save(replace(opened, location=PIDF))
    await tickets.save(replace(joined_queue(opened, T0 + S), location=PIDF))
    seen = await tickets.get(opened.id)
    assert seen is not None
    assert seen.location is not None
    assert (seen.location.source, seen.queued_at) == (LocationSource.PIDF_LO, T0 + S)
    assert [r.location.source for r in await locations.reports(opened.id)] == [LocationSource.PIDF_LO]


async def test_a_read_that_a_write_overtook_is_not_kept(engine: AsyncEngine) -> None:
    cache = TicketCache()
    tickets = SqlTicketRepository(engine, cache=cache)
    opened, _ = await tickets.open(call("k5"))
    cache.forget(opened.id)
    generation = cache.generation
    async with engine.begin() as conn:  # another writer of the same process, which then says so
        await conn.execute(text("UPDATE tickets SET answered_by = 'taker02' WHERE id = :id"), {"id": opened.id})
    cache.forget(opened.id)
    cache.fill(opened, generation)  # the slow reader's copy, read before that write
    seen = await tickets.get(opened.id)
    assert seen is not None
    assert seen.answered_by == "taker02"
