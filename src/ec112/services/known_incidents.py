"""Mass-incident mode: a supervisor posts a known incident; callers from its area hear it before the queue.

The service keeps the active incidents in memory (loaded at start, changed by posting and ending) and answers the
intake's question synchronously as a ``HandlingAdvisor`` (services/call_handling.py): during an active incident
whose area holds the caller — and **only while no call taker is free** (a free taker answers at once: the first
ring wins) — the call gets the ``known-incident`` prompt followed by the incident's own text, rendered at post time
with espeak-ng into ``[prompts] render_dir``. Each such call is counted (arrived, heard); the counts are written
and announced in tracked tasks, never on the caller's path. A call taker links a caller's ticket to the incident in
one action (``link``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ec112.domain.accounts import Role, User
from ec112.domain.audit import AuditDraft
from ec112.domain.call_handling import CallHandling, Prompt
from ec112.domain.errors import Forbidden, InvalidRequest, NotFound
from ec112.domain.geography import AreaLevel, Jurisdiction
from ec112.domain.known_incidents import (
    AreaKind,
    IncidentArea,
    IncidentChange,
    IncidentDraft,
    KnownIncident,
    KnownIncidentChanged,
    RenderState,
    Whereabouts,
    area_holds,
    check_draft,
    end_early,
)
from ec112.domain.location import Location
from ec112.domain.ticket_work import Classification, TicketEvent
from ec112.domain.tickets import Ticket, TicketStatus
from ec112.routing.areas import Boundary, display_name
from ec112.services.background import BackgroundTasks
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.intake import utcnow
from ec112.services.prompt_renderer import RenderError, RenderPlace
from ec112.services.ticket_desk import TicketDesk

log = logging.getLogger(__name__)
PROMPT_NAME = "known-incident"  # sounds/<lang>/known-incident: the generic announcement, before the text
LINKED_KIND = "incident.linked"
_POSTERS = {Role.ADMIN, Role.SUPERVISOR}
_LINKERS = {Role.ADMIN, Role.SUPERVISOR, Role.CALL_TAKER}


class IncidentStore(Protocol):
    async def create(self, incident: KnownIncident, audit: AuditDraft) -> KnownIncident: ...

    async def end(self, incident_id: int, *, by: str, at: datetime, audit: AuditDraft) -> KnownIncident: ...

    async def count_call(self, incident_id: int, *, heard: bool) -> None: ...

    async def get(self, incident_id: int) -> KnownIncident: ...

    async def ending_after(self, since: datetime, limit: int = 200) -> list[KnownIncident]: ...

    async def recent(self, limit: int = 50) -> list[KnownIncident]: ...


class Renderer(Protocol):
    async def render(self, text: str, language: str, target: Path) -> None: ...


class Areas(Protocol):
    """The regency's map (routing.jurisdiction.JurisdictionMap)."""

    def area(self, code: str | None) -> Boundary | None: ...

    def locate(self, lat: float, lon: float) -> Jurisdiction: ...


class KnownIncidentService:
    def __init__(self, store: IncidentStore, desk: TicketDesk, *, max_hours: int,
                 takers_free: Callable[[], bool], areas: Areas | None = None, renderer: Renderer | None = None,
                 render_place: RenderPlace | None = None, bus: EventBus | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._desk = desk
        self._max_hours = max_hours
        self._takers_free = takers_free  # presence's in-memory snapshot: is any call taker available right now?
        self._areas = areas
        self._renderer = renderer if render_place is not None else None
        self._place = render_place
        self._bus: EventBus = bus or NullEventBus()
        self._clock = clock
        self._active: dict[int, KnownIncident] = {}
        self._tasks = BackgroundTasks()

    # --- memory ----------------------------------------------------------------------------------------------

    async def load(self) -> None:
        """At start: the incidents still active, with their recordings if they were rendered before."""
        now = self._clock()
        self._active = {i.id: self._with_recordings(i) for i in await self._store.ending_after(now)
                        if i.active(now)}
        if self._active:
            log.info("known incidents active: %s", ", ".join(str(i) for i in sorted(self._active)))

    def active(self) -> list[KnownIncident]:
        now = self._clock()
        return sorted((i for i in self._active.values() if i.active(now)), key=lambda i: i.id)

    # --- the intake's question (HandlingAdvisor): synchronous, in memory ------------------------------------

    def advise(self, caller_e164: str | None, location: Location | None) -> CallHandling:
        holding = [i for i in self.active() if area_holds(i.area, location, self._whereabouts(i, location))]
        if not holding:
            return CallHandling()
        heard = not self._takers_free()
        for incident in holding:
            self._count(incident, heard=heard)
        if not heard:
            return CallHandling()
        prompts = tuple(Prompt(PROMPT_NAME, rendered=i.recordings) for i in holding)
        return CallHandling(prompts=prompts, reasons=tuple(f"incident:{i.id}" for i in holding))

    def _whereabouts(self, incident: KnownIncident, location: Location | None) -> Whereabouts | None:
        if location is None or self._areas is None or incident.area.kind not in (AreaKind.KECAMATAN, AreaKind.DESA):
            return None
        found = self._areas.locate(location.lat, location.lon)
        desa = (found.desa, *found.border_with) if found.desa else found.border_with
        return Whereabouts(found.kecamatan.code if found.kecamatan else None, tuple(a.code for a in desa))

    def _count(self, incident: KnownIncident, *, heard: bool) -> None:
        counted = replace(incident, calls=incident.calls + 1, heard=incident.heard + int(heard))
        self._active[incident.id] = counted
        self._tasks.start(self._store_count(counted, heard))

    async def _store_count(self, incident: KnownIncident, heard: bool) -> None:
        try:
            await self._store.count_call(incident.id, heard=heard)
        except Exception:
            log.exception("known incident %d: a call could not be counted", incident.id)
        self._announce(incident, IncidentChange.COUNTED, "ec112")

    # --- the supervisor --------------------------------------------------------------------------------------

    async def post(self, draft: IncidentDraft, user: User) -> KnownIncident:
        if user.role not in _POSTERS:
            raise Forbidden("only supervisors post known incidents / hanya supervisor")
        now = self._clock()
        draft = check_draft(draft, now=now, max_hours=self._max_hours)
        area = self._checked_area(draft.area)
        ticket = await self._desk.find(str(draft.ticket_id)) if draft.ticket_id is not None else None
        incident = KnownIncident(id=0, text_id=draft.text_id, text_en=draft.text_en, area=area, posted_at=now,
                                 posted_by=user.username, ends_at=draft.ends_at,
                                 ticket_id=ticket.id if ticket else None)
        audit = AuditDraft(user.username, "incident.post", None, {
            "text_id": incident.text_id, "text_en": incident.text_en, "area": area.kind.value,
            "area_code": area.code, "ends_at": incident.ends_at.isoformat(),
            "ticket": self._desk.number(ticket) if ticket else None})
        saved = await self._store.create(incident, audit)
        saved = replace(saved, render=RenderState.OFF if self._renderer is None else RenderState.PENDING)
        self._active[saved.id] = saved
        log.info("known incident %d posted by %s until %s (%s)", saved.id, user.username,
                 saved.ends_at.isoformat(timespec="minutes"), area.kind.value)
        if self._renderer is not None:
            self._tasks.start(self._render(saved))
        else:
            log.warning("known incident %d: no [prompts] render_dir, callers hear the generic prompt only", saved.id)
        self._announce(saved, IncidentChange.POSTED, user.username)
        return saved

    async def end(self, incident_id: int, user: User) -> KnownIncident:
        if user.role not in _POSTERS:
            raise Forbidden("only supervisors end known incidents / hanya supervisor")
        now = self._clock()
        current = self._active.get(incident_id) or await self._store.get(incident_id)
        end_early(current, by=user.username, at=now)  # refused when it is over already
        audit = AuditDraft(user.username, "incident.end", f"incident:{incident_id}",
                           {"planned_end": current.ends_at.isoformat(), "calls": current.calls,
                            "heard": current.heard})
        stored = await self._store.end(incident_id, by=user.username, at=now, audit=audit)
        ended = replace(stored, calls=max(stored.calls, current.calls), heard=max(stored.heard, current.heard),
                        render=current.render, recordings=current.recordings)
        self._active.pop(incident_id, None)
        log.info("known incident %d ended by %s", incident_id, user.username)
        self._announce(ended, IncidentChange.ENDED, user.username)
        return ended

    async def recent(self, limit: int = 50) -> list[KnownIncident]:
        """The latest incidents, the active ones as memory has them (live counts, recording state)."""
        return [self._active.get(i.id, i) for i in await self._store.recent(limit)]

    async def get(self, incident_id: int) -> KnownIncident:
        return self._active.get(incident_id) or await self._store.get(incident_id)

    def _checked_area(self, area: IncidentArea) -> IncidentArea:
        if area.kind in (AreaKind.REGENCY, AreaKind.CIRCLE):
            return replace(area, code=None, name=None)
        level = AreaLevel.KECAMATAN if area.kind is AreaKind.KECAMATAN else AreaLevel.DESA
        found = self._areas.area(area.code) if self._areas is not None else None
        if found is None or found.level is not level:
            raise InvalidRequest(f"no {area.kind.value} with code {area.code!r} / wilayah tidak dikenal")
        return IncidentArea(area.kind, found.code, display_name(found))

    # --- recordings ------------------------------------------------------------------------------------------

    async def _render(self, incident: KnownIncident) -> None:
        assert self._renderer is not None
        assert self._place is not None
        texts = {"id": incident.text_id, "en": incident.text_en}
        names: list[tuple[str, str]] = []
        state = RenderState.READY
        try:
            for lang, path, name in self._place.files(incident.id):
                text = texts[lang]
                if text:
                    await self._renderer.render(text, lang, path)
                    names.append((lang, name))
        except (RenderError, OSError) as exc:
            log.error("known incident %d: its text could not be rendered (%s); the generic prompt plays alone",
                      incident.id, exc)
            names, state = [], RenderState.FAILED
        current = self._active.get(incident.id)
        if current is None:  # ended meanwhile
            return
        updated = replace(current, render=state, recordings=tuple(names))
        self._active[incident.id] = updated
        self._announce(updated, IncidentChange.RENDERED, "ec112")

    def _with_recordings(self, incident: KnownIncident) -> KnownIncident:
        if self._place is None or self._renderer is None:
            return replace(incident, render=RenderState.OFF)
        texts = {"id": incident.text_id, "en": incident.text_en}
        wanted = [(lang, path, name) for lang, path, name in self._place.files(incident.id) if texts[lang]]
        if all(path.exists() for _, path, _ in wanted):
            return replace(incident, render=RenderState.READY,
                           recordings=tuple((lang, name) for lang, _, name in wanted))
        self._tasks.start(self._render(incident))  # rendered before a crash, or never: render it again
        return replace(incident, render=RenderState.PENDING)

    # --- the call taker --------------------------------------------------------------------------------------

    async def link(self, ticket_ref: str, incident_id: int, user: User) -> Ticket:
        """Link a caller's ticket to the incident: an ``incident.linked`` event on its timeline. A ticket not yet
        classified becomes ``informasi`` (closed: the caller reported what the incident's own ticket already
        handles); one the call taker has classified keeps her classification."""
        if user.role not in _LINKERS:
            raise Forbidden("only call takers and supervisors link tickets / tidak berhak")
        incident = await self.get(incident_id)
        ticket = await self._desk.find(ticket_ref)
        if incident.ticket_id == ticket.id:
            raise InvalidRequest("this is the incident's own ticket / ini tiket kejadian itu sendiri")
        if any(e.kind == LINKED_KIND and e.data.get("incident_id") == incident.id
               for e in await self._desk.timeline(ticket)):
            return ticket  # linked already: one click too many changes nothing
        own = await self._own_ticket_number(incident)
        changed = ticket
        if ticket.classification is None:
            note = f"Kejadian diketahui #{incident.id}" + (f" ({own})" if own else "") + f": {incident.text_id}"
            changed = replace(ticket, classification=Classification.INFORMATION.value,
                              description=ticket.description or note[:4000], classified_by=user.username,
                              classified_at=self._clock(), status=TicketStatus.CLOSED)
        at = self._clock()
        event = TicketEvent(ticket.id, at, LINKED_KIND, user.username,
                            {"incident_id": incident.id, "incident_ticket": own,
                             "classification": changed.classification})
        audit = AuditDraft(user.username, "ticket.link_incident", self._desk.number(ticket),
                           {"incident_id": incident.id, "incident_ticket": own})
        return await self._desk.save_change(ticket, changed, event, audit)

    async def _own_ticket_number(self, incident: KnownIncident) -> str | None:
        if incident.ticket_id is None:
            return None
        try:
            return self._desk.number(await self._desk.find(str(incident.ticket_id)))
        except NotFound:
            return None

    # --- plumbing --------------------------------------------------------------------------------------------

    def _announce(self, incident: KnownIncident, change: IncidentChange, actor: str) -> None:
        self._bus.publish_nowait(KnownIncidentChanged(at=self._clock(), actor=actor, incident=incident,
                                                      change=change))

    async def drain(self) -> None:
        await self._tasks.drain()

    async def close(self, grace: float) -> None:
        await self._tasks.close(grace)
