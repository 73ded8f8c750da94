"""A ticket's locations over HTTP: every source, the best one, what could not be placed, earlier locations of
the same number as hints, the jurisdiction; and the call taker's own pin or picked place (POST).

The console's map is built on this (JSON shape: docs/location.md); a late location arrives on the live
stream as the ``location`` event, in the same shape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ec112.domain.errors import InvalidRequest
from ec112.domain.location import Location, LocationSource
from ec112.domain.tickets import ticket_number
from ec112.services.locations import LocationService
from ec112.services.ticket_desk import TicketDesk
from ec112.web.auth import TicketViewer, TicketWorker
from ec112.web.location_json import best_json, jurisdiction_json, location_json, report_json, unlocated_json
from ec112.web.schemas import ErrorOut

MAX_RADIUS_M = 100_000.0


class LocationIn(BaseModel):
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    radius_m: float | None = Field(default=None, ge=0.0, le=MAX_RADIUS_M)
    source: Literal["manual", "gazetteer"] = "manual"
    label: str | None = Field(default=None, max_length=200)


def locations_router(locations: LocationService, desk: TicketDesk, *, prefix: str) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["locations"])

    async def body(ref: str) -> dict[str, Any]:
        ticket = await desk.find(ref)
        found = await locations.ticket_locations(ticket.id)
        best = best_json(found.best, found.reports)
        best_id = best["id"] if best else None
        return {
            "ticket": ticket.number(prefix), "ticket_id": ticket.id,
            "best": best,
            "reports": [report_json(r, best=r.id == best_id) for r in found.reports],
            "unlocated": [unlocated_json(u) for u in found.unlocated],
            "hints": [{"ticket": ticket_number(prefix, h.ticket_id, h.arrived_at),
                       "arrived_at": h.arrived_at.isoformat(), "age_seconds": round(h.age_seconds),
                       "location": location_json(h.location)} for h in found.hints],
            "jurisdiction": jurisdiction_json(found.jurisdiction),
        }

    @router.get("/tickets/{ticket_ref}/locations", responses={404: {"model": ErrorOut}})
    async def get_locations(ticket_ref: str, _user: TicketViewer) -> dict[str, Any]:
        """Every location of a ticket; ``best`` is the one the ticket shows."""
        return await body(ticket_ref)

    @router.post("/tickets/{ticket_ref}/locations", status_code=201,
                 responses={400: {}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    async def add_location(ticket_ref: str, data: LocationIn, user: TicketWorker) -> dict[str, Any]:
        """The call taker's pin (``manual``) or a place she picked in the gazetteer (``gazetteer``)."""
        ticket = await desk.find(ticket_ref)
        try:
            location = Location(lat=data.lat, lon=data.lon, radius_m=data.radius_m,
                                source=LocationSource(data.source), observed_at=datetime.now(UTC),
                                shape="point" if data.radius_m is None else "circle",
                                label=(data.label or "").strip() or None)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        report = await locations.add(ticket.id, location, actor=user.username)
        return report_json(report, best=(await locations.ticket_locations(ticket.id)).best == report.location)

    return router
