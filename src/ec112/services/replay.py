"""A ticket replayed on one time axis (issue 14, docs/room.md E): arrival, every location fix, classification
and dispatch steps, the responders' positions and the recording, each at its offset from the arrival.

``assemble`` is pure (tested without a database): the ticket page's slider walks the steps it returns, and
``known_at`` says what the map shows at a moment — the latest caller fix and each responder's last position.
The service only gathers the ticket's stored events, its location reports and (when the recordings part is
wired) its recording; no second copy of any of them is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ec112.domain.categories import CategoryCatalogue
from ec112.domain.location import LocationReport
from ec112.domain.recordings import Recording
from ec112.domain.ticket_work import TicketEvent
from ec112.domain.tickets import Ticket
from ec112.services.ports import LocationRepository, RecordingLookup, TicketRepository
from ec112.services.replay_labels import CLASSIFICATIONS, EVENTS, SOURCES
from ec112.services.ticket_desk import TicketDesk


@dataclass(frozen=True, slots=True)
class ReplayStep:
    at: datetime
    offset_seconds: float
    kind: str  # arrived | queued | answered | ended | location | classified | dispatch.* | recording.started | …
    label_id: str
    label_en: str
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    dispatch_id: int | None = None  # a responder position belongs to one dispatch (one marker per dispatch)
    agency: str | None = None


@dataclass(frozen=True, slots=True)
class ReplayRecording:
    url: str | None  # None when there is nothing to play (missing, unreadable, deleted)
    state: str
    started_at: datetime
    offset_seconds: float
    duration_seconds: float | None


@dataclass(frozen=True, slots=True)
class Replay:
    start: datetime  # the arrival: offset 0
    end: datetime  # the last step (or the recording's end, whichever is later)
    duration_seconds: float
    steps: list[ReplayStep]
    recording: ReplayRecording | None

    def known_at(self, offset_seconds: float) -> tuple[ReplayStep | None, dict[int, ReplayStep]]:
        """The caller's latest fix and each dispatch's latest responder position at ``offset_seconds``."""
        fix: ReplayStep | None = None
        responders: dict[int, ReplayStep] = {}
        for step in self.steps:
            if step.offset_seconds > offset_seconds:
                break
            if step.lat is None:
                continue
            if step.kind == "location":
                fix = step
            elif step.dispatch_id is not None:
                responders[step.dispatch_id] = step
        return fix, responders


def assemble(ticket: Ticket, events: Sequence[TicketEvent], reports: Sequence[LocationReport],
             recording: Recording | None, recording_url: str | None,
             categories: CategoryCatalogue | None = None) -> Replay:
    """The replay of one ticket: steps sorted by time (ties keep the order of the call's life, then storage)."""
    start = ticket.arrived_at
    raw: list[tuple[datetime, str, str, str, dict[str, object]]] = []

    def add(at: datetime, kind: str, detail: str | tuple[str, str] = "", **extra: object) -> None:
        label_id, label_en = EVENTS.get(kind, (kind, kind))
        detail_id, detail_en = (detail, detail) if isinstance(detail, str) else detail
        raw.append((at, kind, label_id + (f" · {detail_id}" if detail_id else ""),
                    label_en + (f" · {detail_en}" if detail_en else ""), extra))

    add(ticket.arrived_at, "arrived")
    if ticket.queued_at is not None:
        add(ticket.queued_at, "queued")
    if ticket.answered_at is not None:
        add(ticket.answered_at, "answered", ticket.answered_by or "")
    if ticket.ended_at is not None:
        add(ticket.ended_at, "ended")
    if recording is not None:
        add(recording.started_at, "recording.started")
    fixes = [(r.received_at, r.location) for r in reports]
    if not fixes and ticket.location is not None:  # a ticket located before per-report storage existed
        fixes = [(ticket.location.observed_at, ticket.location)]
    for at, loc in fixes:
        source_id, source_en = SOURCES.get(loc.source.value, (loc.source.value, loc.source.value))
        radius = f" · ±{round(loc.radius_m)} m" if loc.radius_m is not None else ""
        raw.append((at, "location", f"{EVENTS['located'][0]} · {source_id}{radius}",
                    f"{EVENTS['located'][1]} · {source_en}{radius}",
                    {"lat": loc.lat, "lon": loc.lon, "radius_m": loc.radius_m}))
    for event in events:
        if recording is not None and event.kind == "recording.started":
            continue  # the recording's own start (above) already stands for it: once on the axis
        add(event.at, event.kind, _detail(event, categories), **_position(event))
    steps = [_step(start, *item) for item in sorted(raw, key=lambda item: item[0])]
    end = max([start, *(s.at for s in steps)])
    played = None
    if recording is not None:
        rec_offset = _offset(start, recording.started_at)
        if recording.duration_seconds is not None:
            end = max(end, recording.started_at + timedelta(seconds=recording.duration_seconds))
        played = ReplayRecording(recording_url if recording.playable else None, recording.state.value,
                                 recording.started_at, rec_offset, recording.duration_seconds)
    return Replay(start, end, _offset(start, end), steps, played)


def _detail(event: TicketEvent, categories: CategoryCatalogue | None) -> str | tuple[str, str]:
    data = event.data
    if event.kind in ("classified", "reclassified"):
        code = str(data.get("classification") or "")
        named = CLASSIFICATIONS.get(code, (code, code))
        category = categories.get(str(data["category"])) if categories and data.get("category") else None
        if category is not None:
            return f"{named[0]} · {category.label_id}", f"{named[1]} · {category.label_en}"
        extra = f" · {data['category']}" if data.get("category") else ""
        return named[0] + extra, named[1] + extra
    if event.kind in ("closed", "cancelled"):
        return str(data.get("note") or "")
    if event.kind.startswith("dispatch."):
        who = data.get("responder") if event.kind == "dispatch.assigned" else None
        return str(who or data.get("agency") or "")
    return ""


def _position(event: TicketEvent) -> dict[str, object]:
    if not event.kind.startswith("dispatch."):
        return {}
    extra: dict[str, object] = {"dispatch_id": event.data.get("dispatch_id"), "agency": event.data.get("agency")}
    position = event.data.get("position")
    if isinstance(position, dict) and isinstance(position.get("lat"), int | float) \
            and isinstance(position.get("lon"), int | float):
        extra.update(lat=float(position["lat"]), lon=float(position["lon"]))
    return extra


def _step(start: datetime, at: datetime, kind: str, label_id: str, label_en: str,
          extra: dict[str, object]) -> ReplayStep:
    return ReplayStep(at, _offset(start, at), kind, label_id, label_en, **extra)  # type: ignore[arg-type]


def _offset(start: datetime, at: datetime) -> float:
    """Seconds since the arrival; a fix stamped a little before it (another clock) counts as at the arrival."""
    return round(max(0.0, (at - start).total_seconds()), 3)


class ReplayService:
    """Reads what the stores already hold; ``recordings`` is None until the recordings part is wired."""

    def __init__(self, desk: TicketDesk, tickets: TicketRepository, locations: LocationRepository,
                 recordings: RecordingLookup | None = None) -> None:
        self._desk = desk
        self._tickets = tickets
        self._locations = locations
        self._recordings = recordings

    async def replay(self, ref: str) -> Replay:
        """``NotFound`` for an unknown ticket (the caller checked the viewer may see tickets)."""
        ticket = await self._desk.find(ref)
        events = await self._tickets.events(ticket.id)
        reports = await self._locations.reports(ticket.id)
        recording = await self._recordings.for_ticket(ticket.id) if self._recordings is not None else None
        url = f"/api/tickets/{self._desk.number(ticket)}/recording"
        return assemble(ticket, events, reports, recording, url, self._desk.categories)
