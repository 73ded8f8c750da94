"""Where the caller is: every location of a ticket kept, the best one shown, late ones announced live.

The network's PIDF-LO (by value at intake, by reference fetched in the background), a civic address placed by
the gazetteer, the handset's own AML, the call taker's pin or picked place: each is stored as a report, the
ticket's location becomes ``best_location()`` of all of them (in the same transaction), and ``TicketLocated``
goes on the bus so the console moves its map without touching what the call taker is typing.

The geography (jurisdiction, gazetteer) and the reference fetcher are ports given by the composition root;
None means "not available here" and every use of them degrades to "unknown", never to an error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ec112.domain.aml_match import CLOCK_SLACK, AmlDraft, UnmatchedAml, attachable, matching_ticket
from ec112.domain.errors import NotFound
from ec112.domain.events import TicketLocated, TicketOpened
from ec112.domain.geography import Jurisdiction, Place
from ec112.domain.location import (
    Location,
    LocationReport,
    LocationSource,
    UnlocatedKind,
    UnlocatedReport,
    UnlocatedStatus,
    best_location,
)
from ec112.domain.phone import to_e164
from ec112.domain.tickets import Ticket
from ec112.services.background import BackgroundTasks
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.ports import LocationRepository, TicketRepository

log = logging.getLogger(__name__)

ReferenceFetcher = Callable[[str], Awaitable[Location]]  # raises ValueError with a ``code`` (location/by_reference)
PlaceCivic = Callable[[Mapping[str, str]], Place | None]  # the gazetteer's find_civic
Locate = Callable[[float, float], Jurisdiction]  # routing.jurisdiction
Spawn = Callable[[Coroutine[Any, Any, None]], None]

HINT_AGE = timedelta(days=30)
HINT_LIMIT = 5
FETCH_MARGIN = 0.5  # seconds on top of the fetcher's own timeout: the fetch is bounded here too


class AmlReading(Protocol):
    """What the service needs of a parsed AML message (``location.aml.AmlMessage`` is one)."""

    @property
    def location(self) -> Location: ...

    @property
    def confidence_pct(self) -> float | None: ...

    @property
    def notes(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class LocationHint:
    """Where the same number was on an earlier call: shown with its age, never used as this ticket's location."""

    ticket_id: int
    arrived_at: datetime
    location: Location
    age_seconds: float


@dataclass(frozen=True, slots=True)
class TicketLocations:
    ticket: Ticket
    best: Location | None
    reports: list[LocationReport]  # newest first
    unlocated: list[UnlocatedReport]  # newest first
    hints: list[LocationHint]  # newest first
    jurisdiction: Jurisdiction | None  # of the best one; None when unknown or not wired


def utcnow() -> datetime:
    return datetime.now(UTC)


class LocationService:
    def __init__(
        self,
        repository: LocationRepository,
        tickets: TicketRepository,
        *,
        default_region: str,
        match_window: timedelta,
        reference_timeout: float,
        bus: EventBus | None = None,
        fetch_reference: ReferenceFetcher | None = None,
        place_civic: PlaceCivic | None = None,
        locate: Locate | None = None,
        spawn: Spawn | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._repo = repository
        self._tickets = tickets
        self._region = default_region
        self._window = match_window
        self._fetch_timeout = reference_timeout + FETCH_MARGIN
        self._bus: EventBus = bus or NullEventBus()
        self._fetch = fetch_reference
        self._place_civic = place_civic
        self._locate = locate
        self._background = BackgroundTasks()
        self._spawn = spawn or self._background.start
        self._clock = clock

    # --- reports ---------------------------------------------------------------------------------------------
    async def add(self, ticket_id: int, location: Location, *, actor: str) -> LocationReport:
        """Store a report, make the best one the ticket's location, announce it (``TicketLocated``)."""
        now = self._clock()
        try:
            report, ticket = await self._repo.add(ticket_id, location, actor=actor, received_at=now)
        except LookupError:
            raise NotFound(f"ticket {ticket_id} not found / tiket tidak ditemukan") from None
        log.info("ticket %d: %s location added by %s", ticket_id, location.source.value, actor)
        log.debug("ticket %d location %s", ticket_id, location)
        await self._announce(ticket, actor, report=report)
        return report

    async def add_reference(self, ticket_id: int, uri: str, *, actor: str) -> None:
        """Keep the reference (pending) and return at once; a tracked task fetches it."""
        ticket = await self._ticket(ticket_id)
        report = UnlocatedReport(UnlocatedKind.REFERENCE, uri, self._clock(), UnlocatedStatus.PENDING)
        report_id = await self._repo.add_unlocated(ticket_id, report)
        await self._announce(ticket, actor, unlocated=report)
        self._spawn(self._resolve_reference(ticket_id, report_id, report, actor))

    async def add_civic(self, ticket_id: int, text: str, fields: Mapping[str, str], *, actor: str) -> None:
        """Place a civic address through the gazetteer; when it cannot, keep it as text (FAILED)."""
        place = None
        if self._place_civic is not None:
            try:
                place = self._place_civic(fields)
            except Exception:
                log.exception("ticket %d: the gazetteer failed on a civic address", ticket_id)
        if place is not None:
            await self.add(ticket_id, Location(lat=place.lat, lon=place.lon, radius_m=place.radius_m,
                                               source=LocationSource.CIVIC, observed_at=self._clock(),
                                               shape="civic", label=text[:200]), actor=actor)
            return
        ticket = await self._ticket(ticket_id)
        reason = "not_in_gazetteer" if self._place_civic is not None else "no_gazetteer"
        report = UnlocatedReport(UnlocatedKind.CIVIC, text, self._clock(), UnlocatedStatus.FAILED, reason)
        await self._repo.add_unlocated(ticket_id, report)
        log.info("ticket %d: civic address kept unplaced (%s)", ticket_id, reason)
        await self._announce(ticket, actor, unlocated=report)

    async def ticket_locations(self, ticket_id: int) -> TicketLocations:
        ticket = await self._ticket(ticket_id)
        reports = list(await self._repo.reports(ticket_id))
        best = best_location(r.location for r in reports) if reports else ticket.location
        now = self._clock()
        hints: list[LocationHint] = []
        if ticket.caller_number_e164:
            earlier = await self._repo.previous_located(ticket.caller_number_e164, before_ticket_id=ticket.id,
                                                        since=now - HINT_AGE, limit=HINT_LIMIT)
            hints = [LocationHint(t.id, t.arrived_at, t.location, max(0.0, (now - t.location.observed_at)
                                  .total_seconds())) for t in earlier if t.location is not None]
        jurisdiction = self.locate(best.lat, best.lon) if best is not None else None
        return TicketLocations(ticket, best, reports, list(await self._repo.unlocated(ticket_id)), hints,
                               jurisdiction)

    def locate(self, lat: float, lon: float) -> Jurisdiction | None:
        """Who serves this point; None when the geography is not wired or fails."""
        if self._locate is None:
            return None
        try:
            return self._locate(lat, lon)
        except Exception:
            log.exception("jurisdiction lookup failed")
            return None

    # --- AML -------------------------------------------------------------------------------------------------
    async def receive_aml(self, message: AmlReading, *, channel: str, received_at: datetime,
                          caller_number: str | None) -> int | None:
        """Store an AML message and put it on its call's ticket (``domain.aml_match``); the ticket id, or None
        when it is kept as unmatched (a later call of that number takes it: ``on_ticket_opened``)."""
        raw = caller_number.strip() if caller_number and caller_number.strip() else None
        e164 = to_e164(raw, self._region)
        confidence = None if message.confidence_pct is None else round(message.confidence_pct)
        # Stored first, matched after: a ticket opened meanwhile finds it among the unmatched ones.
        aml_id = await self._repo.add_aml(AmlDraft(channel, raw, e164, message.location, received_at, confidence,
                                                   message.notes, getattr(message, "imei", None)))
        ticket = None
        if e164 is not None:
            calls = await self._repo.calls_of(e164, arrived_from=received_at - self._window,
                                              arrived_to=received_at + CLOCK_SLACK)
            ticket = matching_ticket(calls, received_at, window=self._window)
        if ticket is None:
            log.info("AML %d (%s) kept unmatched%s", aml_id, channel, "" if e164 else ": no usable number")
            return None
        if await self._repo.claim_aml(aml_id, ticket.id, self._clock()):
            log.info("AML %d (%s) matched to ticket %d", aml_id, channel, ticket.id)
            await self.add(ticket.id, message.location, actor=f"aml-{channel}")
        return ticket.id

    async def unmatched_aml(self) -> list[UnmatchedAml]:
        return list(await self._repo.unmatched_aml())

    async def on_ticket_opened(self, event: TicketOpened) -> None:
        """Bus subscriber: a new call takes the unmatched AML of its number received within the window. In a
        tracked task: the FastAGI intake awaits the TicketOpened subscribers, and a 112 call must not wait."""
        if event.ticket.caller_number_e164 is not None:
            self._spawn(self._attach_waiting(event.ticket))

    async def _attach_waiting(self, ticket: Ticket) -> None:
        assert ticket.caller_number_e164 is not None
        try:
            waiting = await self._repo.unmatched_aml(caller_e164=ticket.caller_number_e164,
                                                     since=ticket.arrived_at - self._window)
            for aml in attachable(waiting, ticket, window=self._window):
                if await self._repo.claim_aml(aml.id, ticket.id, self._clock()):
                    log.info("AML %d (%s) attached to new ticket %d", aml.id, aml.channel, ticket.id)
                    await self.add(ticket.id, aml.location, actor=f"aml-{aml.channel}")
        except Exception:
            log.exception("ticket %d: attaching the waiting AML failed", ticket.id)

    # --- background work -------------------------------------------------------------------------------------
    async def drain(self) -> None:
        """Wait for the background work in flight: reference fetches, waiting AML attached (tests, shutdown)."""
        await self._background.drain()

    async def close(self, timeout: float) -> None:  # noqa: ASYNC109 - a shutdown grace, not a network wait
        await self._background.close(timeout)

    async def _resolve_reference(self, ticket_id: int, report_id: int, report: UnlocatedReport, actor: str) -> None:
        try:
            reason = await self._fetch_and_add(ticket_id, report.text, actor)
            status = UnlocatedStatus.RESOLVED if reason is None else UnlocatedStatus.FAILED
            now = self._clock()
            await self._repo.update_unlocated(report_id, status, reason, now)
            if reason is not None:
                log.info("ticket %d: location reference not fetched (%s)", ticket_id, reason)
                failed = replace(report, status=status, reason=reason)
                await self._announce(await self._ticket(ticket_id), actor, unlocated=failed)
        except Exception:
            log.exception("ticket %d: location reference handling failed", ticket_id)

    async def _fetch_and_add(self, ticket_id: int, uri: str, actor: str) -> str | None:
        """None when fetched and added, else the reason code."""
        if self._fetch is None:
            return "no_fetcher"
        try:
            async with asyncio.timeout(self._fetch_timeout):
                location = await self._fetch(uri)
        except TimeoutError:
            return "timeout"
        except ValueError as exc:
            return str(getattr(exc, "code", None) or "invalid")[:40]
        except Exception:
            log.exception("ticket %d: the reference fetcher failed", ticket_id)
            return "error"
        if location.source is not LocationSource.PIDF_LO_REF:
            location = replace(location, source=LocationSource.PIDF_LO_REF)
        await self.add(ticket_id, location, actor=actor)
        return None

    async def _announce(self, ticket: Ticket, actor: str, *, report: LocationReport | None = None,
                        unlocated: UnlocatedReport | None = None) -> None:
        """``TicketLocated`` with the ticket's best location in full (label, confidence) and its count."""
        reports = await self._repo.reports(ticket.id)
        best = best_location(r.location for r in reports) or ticket.location
        await self._bus.publish(TicketLocated(at=self._clock(), actor=actor, ticket=replace(ticket, location=best),
                                              report=report, unlocated=unlocated, count=len(reports)))

    async def _ticket(self, ticket_id: int) -> Ticket:
        ticket = await self._tickets.get(ticket_id)
        if ticket is None:
            raise NotFound(f"ticket {ticket_id} not found / tiket tidak ditemukan")
        return ticket
