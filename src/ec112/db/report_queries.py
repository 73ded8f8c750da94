"""The rows a report needs, read in pages (implements ``services.reports.ReportSource``).

A month of a real room is a few thousand tickets: they are read in pages of ``page`` rows by primary key (keyset,
so page n costs what page 1 does), and the figures are computed by the same pure functions as the live KPIs
(domain/reports.py) rather than by a second definition in SQL. Exercise tickets (drills) and their dispatches are
left out here, in the query. Works on SQLite and PostgreSQL: bounds go in as UTC (SQLite keeps wall-clock text).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ec112.db.dispatches import dispatch_from_row
from ec112.db.models import DispatchRow, TicketRow
from ec112.db.ticket_rows import ticket_from_row
from ec112.domain.dispatch import Dispatch
from ec112.domain.tickets import Ticket

PAGE = 1000


class SqlReportQueries:
    def __init__(self, engine: AsyncEngine, *, page: int = PAGE) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self._page = page

    async def tickets_arrived_between(self, start: datetime, end: datetime) -> list[Ticket]:
        """Real (non-exercise) tickets with ``start <= arrived_at < end``, oldest first."""
        found: list[Ticket] = []
        after = 0
        async with self._sessions() as session:
            while True:
                stmt = (select(TicketRow)
                        .where(TicketRow.arrived_at >= _utc(start), TicketRow.arrived_at < _utc(end),
                               TicketRow.exercise.is_(False), TicketRow.id > after)
                        .order_by(TicketRow.id).limit(self._page))
                rows = list((await session.execute(stmt)).scalars())
                found += [ticket_from_row(r) for r in rows]
                if len(rows) < self._page:
                    break
                after = rows[-1].id
        found.sort(key=lambda t: (t.arrived_at, t.id))
        return found

    async def dispatches_between(self, start: datetime, end: datetime) -> list[Dispatch]:
        """Dispatches made in ``[start, end)`` for real (non-exercise) tickets, in id order."""
        found: list[Dispatch] = []
        after = 0
        async with self._sessions() as session:
            while True:
                stmt = (select(DispatchRow).join(TicketRow, TicketRow.id == DispatchRow.ticket_id)
                        .where(DispatchRow.dispatched_at >= _utc(start), DispatchRow.dispatched_at < _utc(end),
                               TicketRow.exercise.is_(False), DispatchRow.id > after)
                        .order_by(DispatchRow.id).limit(self._page))
                rows = list((await session.execute(stmt)).scalars())
                found += [dispatch_from_row(r) for r in rows]
                if len(rows) < self._page:
                    break
                after = rows[-1].id
        return found

    async def tickets_by_id(self, ids: Iterable[int]) -> dict[int, Ticket]:
        """The tickets of these ids (a dispatch of the period whose call arrived before it)."""
        wanted = sorted(set(ids))
        found: dict[int, Ticket] = {}
        async with self._sessions() as session:
            for i in range(0, len(wanted), self._page):
                stmt = select(TicketRow).where(TicketRow.id.in_(wanted[i:i + self._page]))
                found.update((r.id, ticket_from_row(r)) for r in (await session.execute(stmt)).scalars())
        return found


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
