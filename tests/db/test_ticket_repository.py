"""The ticket repository on SQLite and PostgreSQL: idempotent open, round trip, migrations."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.engine import migrate
from ec112.db.tickets import SqlTicketRepository
from ec112.domain.location import Location, LocationSource
from ec112.domain.tickets import CallOutcome, IntakeChannel, NewCall, TicketStatus, answered, ended

T0 = datetime(2026, 11, 27, 23, 0, 0, tzinfo=UTC)


def _call(linkedid: str = "ec112lab-1795820610.7", **kw: object) -> NewCall:
    base = NewCall(
        linkedid=linkedid,
        uniqueid=linkedid,
        channel="PJSIP/trunk-00000007",
        caller_number_raw="081234567890",
        caller_number_e164="+6281234567890",
        caller_name="Budi Santoso",
        arrived_at=T0,
        intake=IntakeChannel.AGI,
        location=Location(-6.2, 106.816666, 25.0, LocationSource.PIDF_LO, T0, "GPS"),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


async def test_open_creates_once_per_linkedid(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    first, created = await repo.open(_call())
    again, created_again = await repo.open(_call(caller_name="Someone Else", intake=IntakeChannel.AMI))
    assert created is True
    assert created_again is False
    assert again.id == first.id
    assert again.caller_name == "Budi Santoso"  # the second opener changes nothing
    assert again.intake is IntakeChannel.AGI
    assert len(await repo.list_recent(limit=10)) == 1


async def test_concurrent_open_of_the_same_call_yields_one_ticket(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    results = await asyncio.gather(*(repo.open(_call()) for _ in range(8)))
    assert len({t.id for t, _ in results}) == 1
    assert sum(1 for _, created in results if created) == 1


async def test_round_trip_keeps_every_field(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    ticket, _ = await repo.open(_call())
    assert ticket.status is TicketStatus.NEW
    assert ticket.location is not None
    assert ticket.location.radius_m == 25.0
    assert ticket.arrived_at == T0
    done = ended(answered(ticket, "taker01", T0 + timedelta(seconds=4)), T0 + timedelta(seconds=60))
    await repo.save(done)
    loaded = await repo.get(ticket.id)
    assert loaded == done
    assert loaded is not None
    assert loaded.outcome is CallOutcome.ANSWERED
    assert loaded.wait_seconds == 4.0
    assert await repo.get_by_linkedid("ec112lab-1795820610.7") == done
    assert await repo.list_unended() == []


async def test_ticket_without_location_or_number(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    ticket, _ = await repo.open(
        _call("x-1", location=None, caller_number_raw="anonymous", caller_number_e164=None, caller_name=None)
    )
    loaded = await repo.get(ticket.id)
    assert loaded is not None
    assert loaded.location is None
    assert loaded.caller_number_e164 is None
    assert [t.id for t in await repo.list_unended()] == [ticket.id]


async def test_list_recent_newest_first_with_paging(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    ids = [(await repo.open(_call(f"call-{i}")))[0].id for i in range(5)]
    page = await repo.list_recent(limit=2, offset=1)
    assert [t.id for t in page] == [ids[3], ids[2]]
    assert await repo.get(999_999) is None


async def test_migrations_are_idempotent(engine: AsyncEngine) -> None:
    await migrate(engine)  # second run at start-up must be a no-op

    def tables(conn: object) -> list[str]:
        return sorted(inspect(conn).get_table_names())  # type: ignore[arg-type]

    async with engine.connect() as conn:
        names = await conn.run_sync(tables)
    assert "tickets" in names
    assert "alembic_version" in names
