"""Reports for supervisors and the regency's monthly report to Kominfo (docs/room.md, part D).

A period is whole local days in the centre's zone (``[callcenter] timezone``): ``from`` day 00:00 to the day after
``to`` 00:00, the boundaries the live "today" KPI uses. The rows come from a ``ReportSource`` (db/report_queries.py)
and the figures from domain/reports.py, so that the report and the wallboard agree for the same period.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from ec112.domain.dispatch import Dispatch
from ec112.domain.errors import InvalidRequest
from ec112.domain.kpis import Shifts
from ec112.domain.reports import Report, build_report
from ec112.domain.tickets import Ticket
from ec112.services.intake import utcnow

MAX_DAYS = 366  # a year at most: a report is read by people, and a month is its usual size


class ReportSource(Protocol):
    async def tickets_arrived_between(self, start: datetime, end: datetime) -> list[Ticket]: ...
    async def dispatches_between(self, start: datetime, end: datetime) -> list[Dispatch]: ...
    async def tickets_by_id(self, ids: Iterable[int]) -> dict[int, Ticket]: ...


@dataclass(frozen=True, slots=True)
class ReportHeader:
    """Who reports ([reports] settings): the regency, the service and the office that runs it."""

    regency: str
    service_name: str
    operator: str


def parse_month(text: str) -> date:
    """``YYYY-MM`` → the first day of that month; InvalidRequest otherwise."""
    try:
        year, month = (int(p) for p in text.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise InvalidRequest(f"month must be YYYY-MM, got {text[:20]!r}") from exc


def month_days(first: date) -> tuple[date, date]:
    """The first and last day of the month of ``first``."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


class ReportService:
    def __init__(self, source: ReportSource, shifts: Shifts, header: ReportHeader,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._source = source
        self._shifts = shifts
        self.header = header
        self._clock = clock

    def today(self) -> date:
        return self._clock().astimezone(self._shifts.timezone).date()

    def bounds(self, first: date, last: date) -> tuple[datetime, datetime]:
        """UTC bounds of the local days ``first``..``last`` (both included)."""
        if last < first:
            raise InvalidRequest("the period ends before it starts")
        if (last - first).days >= MAX_DAYS:
            raise InvalidRequest(f"a report covers at most {MAX_DAYS} days")
        zone = self._shifts.timezone
        start = self._shifts.today(datetime(first.year, first.month, first.day, 12, tzinfo=zone))[0]
        end = self._shifts.today(datetime(last.year, last.month, last.day, 12, tzinfo=zone))[1]
        return start, end

    async def report(self, first: date, last: date) -> Report:
        start, end = self.bounds(first, last)
        tickets = await self._source.tickets_arrived_between(start, end)
        dispatches = await self._source.dispatches_between(start, end)
        known = {t.id for t in tickets}
        earlier = await self._source.tickets_by_id(d.ticket_id for d in dispatches if d.ticket_id not in known)
        return build_report(tickets, dispatches, start=start, end=end, shifts=self._shifts, now=self._clock(),
                            chain_tickets=earlier)

    async def monthly(self, month: str) -> Report:
        return await self.report(*month_days(parse_month(month)))
