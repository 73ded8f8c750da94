"""The call taker's desk: find tickets, classify a call, read a ticket's timeline.

Classification goes through ``domain.ticket_work`` (rules) and ``save_work`` (the change, its timeline event and
its audit entry in one transaction, refused when someone changed the ticket meanwhile). Each change is published
on the bus as ``TicketChanged``, so every open console and the wallboard see it without reloading.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ec112.domain.audit import AuditDraft
from ec112.domain.categories import CategoryCatalogue
from ec112.domain.errors import Conflict, InvalidRequest, NotFound
from ec112.domain.events import TicketChanged
from ec112.domain.ticket_query import TicketQuery
from ec112.domain.ticket_work import ClassificationInput, TicketEvent, classify
from ec112.domain.tickets import Ticket, parse_ticket_number
from ec112.routing.current_agencies import CurrentAgencies
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.intake import utcnow
from ec112.services.ports import TicketRepository

log = logging.getLogger(__name__)
PREVIOUS_CALLS = 10


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    kind: str  # arrived | located | queued | answered | ended | classified | reclassified | …
    actor: str | None  # who did it: "ec112" / the call taker's endpoint / a user name
    data: dict[str, Any]


class TicketDesk:
    def __init__(
        self,
        tickets: TicketRepository,
        *,
        categories: CategoryCatalogue | CurrentAgencies,
        ticket_prefix: str,
        bus: EventBus | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._tickets = tickets
        # The admin page may replace the catalogue at run time: read at use (routing.current_agencies).
        self._categories = categories
        self._prefix = ticket_prefix
        self._bus: EventBus = bus or NullEventBus()
        self._clock = clock

    @property
    def categories(self) -> CategoryCatalogue:
        found = self._categories
        return found.categories if isinstance(found, CurrentAgencies) else found

    async def find(self, ref: str) -> Ticket:
        """A ticket by id (``42``) or number (``112-261128-00042``); ``NotFound`` otherwise."""
        ticket_id = int(ref) if ref.isascii() and ref.isdigit() and len(ref) <= 9 else parse_ticket_number(ref)
        ticket = await self._tickets.get(ticket_id) if ticket_id is not None else None
        if ticket is None or (not ref.isdigit() and ticket.number(self._prefix) != ref):
            raise NotFound(f"no ticket {ref}")
        return ticket

    async def search(self, query: TicketQuery) -> tuple[Sequence[Ticket], int]:
        return await self._tickets.search(query)

    async def previous_calls(self, ticket: Ticket) -> Sequence[Ticket]:
        """Earlier tickets of the same caller, newest first: a repeat prank caller shows at once."""
        if ticket.caller_number_e164 is None:
            return []
        found, _ = await self._tickets.search(
            TicketQuery(caller_e164=ticket.caller_number_e164, before_id=ticket.id, limit=PREVIOUS_CALLS))
        return found

    async def classify(self, ref: str, change: ClassificationInput, *, revision: int | None, actor: str) -> Ticket:
        ticket = await self.find(ref)
        if revision is not None and revision != ticket.revision:
            raise Conflict("the ticket was changed meanwhile by someone else: reload it / tiket sudah diubah")
        updated, event = classify(ticket, change, by=actor, at=self._clock(), categories=self.categories)
        audit = AuditDraft(actor, "ticket.classify", ticket.number(self._prefix),
                           {"classification": updated.classification, "category": updated.category})
        saved = await self._tickets.save_work(updated, event, audit)
        log.info("ticket %s %s as %s by %s", saved.number(self._prefix), event.kind, saved.classification, actor)
        await self._bus.publish(TicketChanged(at=event.at, actor=actor, ticket=saved, kind=event.kind))
        return saved

    def number(self, ticket: Ticket) -> str:
        return ticket.number(self._prefix)

    async def save_change(self, current: Ticket, changed: Ticket, event: TicketEvent,
                          audit: AuditDraft | None = None) -> Ticket:
        """Store a change made by a rule of ``domain.ticket_work`` (close, …) with its audit entry; announce it."""
        saved = await self._tickets.save_work(replace(changed, revision=current.revision), event, audit)
        log.info("ticket %s %s by %s", saved.number(self._prefix), event.kind, event.actor)
        await self._bus.publish(TicketChanged(at=event.at, actor=event.actor, ticket=saved, kind=event.kind))
        return saved

    async def timeline(self, ticket: Ticket) -> list[TimelineEntry]:
        entries = _call_life(ticket) + [_from_event(e) for e in await self._tickets.events(ticket.id)]
        return sorted(entries, key=lambda e: e.at)

    def category_label(self, code: str | None, language: str = "id") -> str | None:
        category = self.categories.get(code) if code else None
        return category.label(language) if category else code


def _call_life(t: Ticket) -> list[TimelineEntry]:
    """The call's own steps, read from the ticket (Asterisk's clock), not stored twice."""
    entries = [TimelineEntry(t.arrived_at, "arrived", "ec112", {"intake": t.intake.value})]
    if t.location is not None:
        entries.append(TimelineEntry(t.location.observed_at, "located", "ec112",
                                     {"source": t.location.source.value, "radius_m": t.location.radius_m}))
    if t.queued_at is not None:
        entries.append(TimelineEntry(t.queued_at, "queued", "ec112", {}))
    if t.answered_at is not None:
        entries.append(TimelineEntry(t.answered_at, "answered", t.answered_by, {}))
    if t.ended_at is not None:
        entries.append(TimelineEntry(t.ended_at, "ended", None, {"outcome": t.outcome.value if t.outcome else None}))
    return entries


def _from_event(event: TicketEvent) -> TimelineEntry:
    return TimelineEntry(event.at, event.kind, event.actor, dict(event.data))


def parse_revision(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and value >= 0:
        return value
    raise InvalidRequest("revision must be a non-negative integer")
