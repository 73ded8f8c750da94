"""Known incidents over HTTP (mass-incident mode): list, post, end; link a caller's ticket to one.

``GET /api/incidents`` (the room), ``POST /api/incidents`` and ``POST /api/incidents/{id}/end`` (supervisors: the
service checks the role), ``POST /api/tickets/{ref}/link-incident`` (call takers). The supervisor's page, the
banners and the live ``incident`` event are in ``incidents_pages.py`` / ``live_feed.py``; this JSON shape is the one
both use (``incident_json``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ec112.domain.errors import InvalidRequest
from ec112.domain.known_incidents import MAX_TEXT, AreaKind, IncidentArea, IncidentDraft, KnownIncident
from ec112.services.known_incidents import KnownIncidentService
from ec112.services.ticket_desk import TicketDesk
from ec112.web.auth import CurrentUser, LiveViewer, TicketWorker
from ec112.web.schemas import ErrorOut

_ERRORS: dict[int | str, dict[str, Any]] = {403: {"model": ErrorOut}, 404: {"model": ErrorOut},
                                            409: {"model": ErrorOut}, 422: {"model": ErrorOut}}


class AreaIn(BaseModel):
    kind: Literal["regency", "kecamatan", "desa", "circle"] = "regency"
    code: str | None = Field(default=None, max_length=32)
    lat: float | None = Field(default=None, ge=-90.0, le=90.0)
    lon: float | None = Field(default=None, ge=-180.0, le=180.0)
    radius_m: float | None = Field(default=None, gt=0.0, le=50_000.0)


class IncidentIn(BaseModel):
    text_id: str = Field(min_length=1, max_length=MAX_TEXT * 2)
    text_en: str | None = Field(default=None, max_length=MAX_TEXT * 2)
    area: AreaIn = Field(default_factory=AreaIn)
    ends_at: datetime | None = None  # an aware time …
    minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)  # … or how long from now
    ticket: str | None = Field(default=None, max_length=40)  # the incident's own ticket (id or number)


class LinkIn(BaseModel):
    incident_id: int = Field(ge=1, le=2**31 - 1)


def incident_json(i: KnownIncident, now: datetime, ticket_number: str | None = None) -> dict[str, Any]:
    a = i.area
    return {
        "id": i.id, "text_id": i.text_id, "text_en": i.text_en,
        "area": {"kind": a.kind.value, "code": a.code, "name": a.name, "lat": a.lat, "lon": a.lon,
                 "radius_m": a.radius_m},
        "posted_at": i.posted_at.isoformat(), "posted_by": i.posted_by, "ends_at": i.ends_at.isoformat(),
        "ended_at": i.ended_at.isoformat() if i.ended_at else None, "ended_by": i.ended_by,
        "active": i.active(now), "seconds_left": round(i.seconds_left(now)), "ticket_id": i.ticket_id,
        "ticket": ticket_number, "calls": i.calls, "heard": i.heard, "render": i.render.value,
    }


def draft_of(data: IncidentIn, now: datetime, ticket_id: int | None = None) -> IncidentDraft:
    if data.ends_at is not None:
        ends_at = data.ends_at
    elif data.minutes is not None:
        ends_at = now + timedelta(minutes=data.minutes)
    else:
        raise InvalidRequest("give ends_at or minutes / waktu selesai wajib")
    area = IncidentArea(AreaKind(data.area.kind), (data.area.code or "").strip() or None, None, data.area.lat,
                        data.area.lon, data.area.radius_m)
    return IncidentDraft(data.text_id, area, ends_at, data.text_en, ticket_id)


async def ticket_number_of(desk: TicketDesk, ticket_id: int | None) -> str | None:
    if ticket_id is None:
        return None
    return desk.number(await desk.find(str(ticket_id)))


def incidents_router(incidents: KnownIncidentService, desk: TicketDesk) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["incidents"])

    async def as_json(i: KnownIncident) -> dict[str, Any]:
        return incident_json(i, datetime.now(UTC), await ticket_number_of(desk, i.ticket_id))

    @router.get("/incidents")
    async def list_incidents(_user: LiveViewer) -> dict[str, Any]:
        """The active known incidents (what callers hear now) and the latest ones."""
        recent = await incidents.recent()
        return {"active": [await as_json(i) for i in incidents.active()],
                "recent": [await as_json(i) for i in recent]}

    @router.post("/incidents", status_code=201, responses=_ERRORS)
    async def post_incident(data: IncidentIn, user: CurrentUser) -> dict[str, Any]:
        """Post a known incident (supervisors): callers from its area hear it before the queue until it ends."""
        ticket_id = (await desk.find(data.ticket.strip())).id if data.ticket and data.ticket.strip() else None
        draft = draft_of(data, datetime.now(UTC), ticket_id)
        return await as_json(await incidents.post(draft, user))

    @router.get("/incidents/{incident_id}", responses=_ERRORS)
    async def get_incident(incident_id: int, _user: LiveViewer) -> dict[str, Any]:
        return await as_json(await incidents.get(incident_id))

    @router.post("/incidents/{incident_id}/end", responses=_ERRORS)
    async def end_incident(incident_id: int, user: CurrentUser) -> dict[str, Any]:
        """End it now (supervisors): the next caller hears nothing of it."""
        return await as_json(await incidents.end(incident_id, user))

    @router.post("/tickets/{ticket_ref}/link-incident", responses=_ERRORS)
    async def link_incident(ticket_ref: str, data: LinkIn, user: TicketWorker) -> dict[str, Any]:
        """Link a caller's ticket to a known incident in one action (``incident.linked`` on its timeline)."""
        ticket = await incidents.link(ticket_ref, data.incident_id, user)
        return {"ticket": desk.number(ticket), "ticket_id": ticket.id, "status": ticket.status.value,
                "classification": ticket.classification, "revision": ticket.revision,
                "incident_id": data.incident_id}

    return router
