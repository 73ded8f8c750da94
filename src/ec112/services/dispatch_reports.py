"""Reports on the chain after the call: per-agency / per-responder KPIs and the EIDO-style export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ec112.domain.dispatch_kpis import CallProcessing, ChainKpis, call_processing, chain_kpis
from ec112.domain.eido import export_ticket
from ec112.domain.kpis import Shifts
from ec112.routing.agencies import AgencyDirectory
from ec112.routing.current_agencies import CurrentAgencies
from ec112.services.dispatch import DispatchStore
from ec112.services.intake import utcnow
from ec112.services.ports import TicketRepository
from ec112.services.ticket_desk import TicketDesk


@dataclass(frozen=True, slots=True)
class DispatchPeriod:
    name: str  # today | shift
    start: datetime
    end: datetime
    call_processing: CallProcessing
    agencies: list[ChainKpis]
    responders: list[ChainKpis]


class DispatchReports:
    def __init__(self, store: DispatchStore, tickets: TicketRepository, desk: TicketDesk,
                 directory: AgencyDirectory | CurrentAgencies,
                 shifts: Shifts, *, version: str, clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._tickets = tickets
        self._desk = desk
        self._agencies = CurrentAgencies.of(directory)
        self._shifts = shifts
        self._version = version
        self._clock = clock

    async def kpis(self) -> list[DispatchPeriod]:
        now = self._clock()
        periods = []
        for name, (start, end) in (("today", self._shifts.today(now)), ("shift", self._shifts.current_shift(now))):
            dispatches = await self._store.dispatched_between(start, end)
            tickets = {}
            for ticket_id in {d.ticket_id for d in dispatches}:
                ticket = await self._tickets.get(ticket_id)
                if ticket is not None and not ticket.exercise:  # a drill's dispatches are not real figures
                    tickets[ticket_id] = ticket
            dispatches = [d for d in dispatches if d.ticket_id in tickets]
            periods.append(DispatchPeriod(name, start, end, call_processing(dispatches, tickets),
                                          chain_kpis(dispatches, tickets, by="agency"),
                                          chain_kpis(dispatches, tickets, by="responder")))
        return periods

    async def export(self, ticket_ref: str) -> dict[str, Any]:
        ticket = await self._desk.find(ticket_ref)
        timeline = [{"at": e.at, "kind": e.kind, "actor": e.actor, "data": e.data}
                    for e in await self._desk.timeline(ticket)]
        return export_ticket(
            ticket, number=self._desk.number(ticket), dispatches=await self._store.for_ticket(ticket.id),
            timeline=timeline, agency_names={a.code: a.name for a in self._agencies.directory.agencies},
            category_label=self._desk.category_label(ticket.category), exported_at=self._clock(),
            system_version=self._version)
