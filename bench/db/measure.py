"""The questions users ask of a big ticket table, asked through ec112's own code, each many times with varied
parameters: a ticket by its number (TicketDesk.find, as the API/CLI/web resolve ``112-yymmdd-nnnnn``), a caller's
previous calls (TicketDesk.previous_calls) and a search by part of a caller number, a text search, a page of the
ticket list with filters (the TicketQuery the web list / JSON API build from their form), and the day's KPIs
(KpiService.current, what the wallboard and /api/kpis show)."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from ec112.db.tickets import SqlTicketRepository
from ec112.domain.categories import CategoryCatalogue
from ec112.domain.kpis import Shifts
from ec112.domain.ticket_query import TicketQuery
from ec112.domain.ticket_work import Classification
from ec112.domain.tickets import TicketStatus
from ec112.services.kpis import KpiService
from ec112.services.ticket_desk import TicketDesk

from . import words as w
from .seed import Seeded, days_between

ZONE = ZoneInfo("Asia/Makassar")  # the daemon's default [centre] timezone
PREFIX = "112"
# The goals (ms, p99): every lookup, search and page under 50 ms, a day's KPIs under 100 ms.
GOALS = {"lookup_by_number": 50.0, "previous_calls": 50.0, "search_caller_digits": 50.0, "search_text": 50.0,
         "list_page_filtered": 50.0, "kpis_day": 100.0}


@dataclass
class Operation:
    name: str
    samples: list[float]  # ms
    found: int = 0  # how many samples returned something (a bench that only misses proves nothing)


async def _timed(op: Operation, call: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    started = time.perf_counter()
    result = await call(*args)
    op.samples.append((time.perf_counter() - started) * 1000)
    return result


def _local_midnight(day: date, days_after: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=days_after), dtime(0), ZONE)  # as web/tickets_api.py does


def _text(rng: random.Random) -> str:
    """What a call taker types: a street, a village, a word of a report; sometimes a word nobody wrote."""
    kind = rng.random()
    if kind < 0.3:
        return rng.choice(w.STREETS)
    if kind < 0.55:
        return rng.choice(w.VILLAGES).lower()
    if kind < 0.85:  # a word of at least 3 letters: a shorter one has no trigram, it is scanned (README)
        return rng.choice([x.strip(",") for x in rng.choice(w.EMERGENCIES)[1].split() if len(x.strip(",")) >= 3])
    if kind < 0.95:
        return f"{rng.choice(w.LANDMARKS)}"
    return rng.choice(w.ABSENT)


_FILTERS: tuple[tuple[TicketStatus | None, Classification | None], ...] = (
    (None, None), (TicketStatus.NEW, None), (TicketStatus.CLOSED, None), (TicketStatus.DISPATCHED, None),
    (TicketStatus.RESOLVED, None), (None, Classification.EMERGENCY), (None, Classification.PRANK),
    (TicketStatus.CLOSED, Classification.PRANK), (TicketStatus.CLOSED, Classification.GHOST),
    (TicketStatus.RESOLVED, Classification.EMERGENCY), (TicketStatus.CANCELLED, Classification.EMERGENCY))


def _page_query(rng: random.Random, seeded: Seeded) -> TicketQuery:
    """A filtered page of the list: a status, a classification or both (mostly pairs that occur, sometimes one
    that never does), often a day, a week or a month; page 1 to 5."""
    day = days_between(seeded, 1, rng)[0].astimezone(ZONE).date()
    span = rng.choice((0, 0, 6, 30))
    with_dates = rng.random() < 0.6
    status, classification = rng.choice(_FILTERS) if rng.random() < 0.8 else (
        rng.choice((None, *TicketStatus)), rng.choice((None, *Classification)))
    return TicketQuery(
        status=status, classification=classification,
        arrived_from=_local_midnight(day - timedelta(days=span)) if with_dates else None,
        arrived_to=_local_midnight(day, days_after=1) if with_dates else None,
        limit=50, offset=50 * rng.randrange(5))


async def run(repo: SqlTicketRepository, seeded: Seeded, *, samples: int = 200,
              seed: int = 16) -> list[Operation]:
    rng = random.Random(seed)
    desk = TicketDesk(repo, categories=CategoryCatalogue(), ticket_prefix=PREFIX)
    ops = {name: Operation(name, []) for name in GOALS}
    ids = [rng.randint(1, seeded.tickets) for _ in range(samples)]
    tickets = [t for t in [await repo.get(i) for i in ids] if t is not None]
    for ticket in tickets:
        found = await _timed(ops["lookup_by_number"], desk.find, ticket.number(PREFIX))
        ops["lookup_by_number"].found += found.id == ticket.id
    callers = [t for t in tickets if t.caller_number_e164]
    callers += [t for t in [await _latest_of(repo, n) for n in seeded.repeaters[:samples // 4]] if t]
    for ticket in callers[:samples]:
        previous = await _timed(ops["previous_calls"], desk.previous_calls, ticket)
        ops["previous_calls"].found += bool(previous)
    numbers = [rng.choice(seeded.repeaters + seeded.callers) for _ in range(samples)]
    for number in numbers:  # a call taker types the middle of a number she half remembers
        start = rng.randrange(3, 7)
        part = number[start:start + rng.randrange(6, 9)]
        found, _ = await _timed(ops["search_caller_digits"], desk.search, TicketQuery(text=part))
        ops["search_caller_digits"].found += bool(found)
    for _ in range(samples):
        query = TicketQuery(text=_text(rng), limit=50)
        found, _ = await _timed(ops["search_text"], desk.search, query)
        ops["search_text"].found += bool(found)
    for _ in range(samples):
        query = _page_query(rng, seeded)
        found, _ = await _timed(ops["list_page_filtered"], desk.search, query)
        ops["list_page_filtered"].found += bool(found)
    for instant in days_between(seeded, samples, rng):
        kpis = KpiService(repo, Shifts(), clock=functools.partial(_at, instant))
        periods = await _timed(ops["kpis_day"], kpis.current)
        ops["kpis_day"].found += periods[0].kpis.offered > 0
    return list(ops.values())


def _at(instant: datetime) -> datetime:
    return instant


async def _latest_of(repo: SqlTicketRepository, e164: str) -> Any:
    found, _ = await repo.search(TicketQuery(caller_e164=e164, limit=1))
    return found[0] if found else None
