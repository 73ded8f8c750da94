"""Tickets of a KPI period on SQLite and PostgreSQL: half-open bounds, oldest first, any bound offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.db.tickets import SqlTicketRepository
from ec112.domain.tickets import IntakeChannel, NewCall

START = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 23:00 WIB: the night shift
END = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)  # 07:00 WIB


def _call(linkedid: str, arrived_at: datetime) -> NewCall:
    return NewCall(
        linkedid=linkedid,
        uniqueid=linkedid,
        channel="PJSIP/trunk-00000001",
        caller_number_raw=None,
        caller_number_e164=None,
        caller_name=None,
        arrived_at=arrived_at,
        intake=IntakeChannel.AGI,
    )


async def _seed(repo: SqlTicketRepository) -> None:
    # Opened out of arrival order, as a backfill after an outage would.
    for linkedid, at in [
        ("late", END - timedelta(microseconds=1)),
        ("before", START - timedelta(microseconds=1)),
        ("midnight", START + timedelta(hours=1)),  # 00:00 WIB, the local date changes inside
        ("first", START),
        ("at-end", END),
        ("next-day", END + timedelta(days=1)),
    ]:
        await repo.open(_call(linkedid, at))


async def test_lists_the_period_half_open_and_oldest_first(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    await _seed(repo)
    tickets = await repo.list_arrived_between(START, END)
    assert [t.linkedid for t in tickets] == ["first", "midnight", "late"]
    assert tickets[0].arrived_at == START
    assert all(t.arrived_at.tzinfo is not None for t in tickets)


async def test_bounds_in_local_time_select_the_same_calls(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    await _seed(repo)
    wib = ZoneInfo("Asia/Jakarta")
    tickets = await repo.list_arrived_between(START.astimezone(wib), END.astimezone(wib))
    assert [t.linkedid for t in tickets] == ["first", "midnight", "late"]


async def test_empty_period(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    await _seed(repo)
    assert await repo.list_arrived_between(START + timedelta(hours=2), START + timedelta(hours=3)) == []


async def test_naive_bounds_are_refused(engine: AsyncEngine) -> None:
    repo = SqlTicketRepository(engine)
    with pytest.raises(ValueError, match="timezone-aware"):
        await repo.list_arrived_between(datetime(2026, 11, 27), datetime(2026, 11, 28))
