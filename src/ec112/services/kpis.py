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
        periods = []
        for name, (start, end) in (("today", self._shifts.today(now)), ("shift", self._shifts.current_shift(now))):
            real = [t for t in await self._tickets.list_arrived_between(start, end) if not t.exercise]
            kpis = compute_kpis(real, now)
            periods.append(PeriodKpis(name, start, end, replace(kpis, longest_current_wait_seconds=longest)))
        return periods
