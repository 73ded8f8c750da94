"""Live KPIs for today and the current shift, from the tickets (see ``domain/kpis.py`` for definitions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from ec112.domain.kpis import Kpis, Shifts, compute_kpis
from ec112.services.intake import utcnow
from ec112.services.ports import TicketRepository


@dataclass(frozen=True, slots=True)
class PeriodKpis:
    name: str  # "today" | "shift"
    start: datetime
    end: datetime
    kpis: Kpis


class KpiService:
    def __init__(self, tickets: TicketRepository, shifts: Shifts, clock: Callable[[], datetime] = utcnow) -> None:
        self._tickets = tickets
        self._shifts = shifts
        self._clock = clock

    async def current(self) -> list[PeriodKpis]:
        now = self._clock()
        # A caller who arrived in the previous shift and still waits is the longest wait *now*.
        # Drill calls (``exercise``) are never a real figure (docs/room.md): left out of every period here.
        waiting = [t for t in await self._tickets.list_unended() if t.answered_at is None and not t.exercise]
        longest = compute_kpis(waiting, now).longest_current_wait_seconds
        bounds = (("today", self._shifts.today(now)), ("shift", self._shifts.current_shift(now)))
        # One read covers both periods (the shift lies within today, or reaches into yesterday evening).
        first, last = min(b[1][0] for b in bounds), max(b[1][1] for b in bounds)
        arrived = [t for t in await self._tickets.list_arrived_between(first, last) if not t.exercise]
        periods = []
        for name, (start, end) in bounds:
            kpis = compute_kpis([t for t in arrived if start <= t.arrived_at < end], now)
            periods.append(PeriodKpis(name, start, end, replace(kpis, longest_current_wait_seconds=longest)))
        return periods
