"""``GET /api/tickets/{ref}/replay`` (issue 14, docs/room.md E): the ticket on one time axis for the ticket page's
slider (static/js/replay.js). Whoever may see the ticket may replay it; the audio itself stays behind the
recordings part's own, stricter, permission (``/api/tickets/{ref}/recording``)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from ec112.services.replay import Replay, ReplayService
from ec112.web.auth import TicketViewer
from ec112.web.schemas import ErrorOut


class LabelOut(BaseModel):
    id: str
    en: str


class StepOut(BaseModel):
    at: datetime
    offset_seconds: float
    kind: str
    label: LabelOut
    lat: float | None = None
    lon: float | None = None
    radius: float | None = None  # metres
    dispatch_id: int | None = None
    agency: str | None = None


class RecordingOut(BaseModel):
    url: str | None  # None: nothing to play (missing, unreadable, deleted)
    state: str
    started_at: datetime
    offset_seconds: float
    duration: float | None  # seconds


class ReplayOut(BaseModel):
    start: datetime
    end: datetime
    duration_seconds: float
    recording: RecordingOut | None
    steps: list[StepOut]

    @classmethod
    def of(cls, replay: Replay) -> ReplayOut:
        rec = replay.recording
        return cls(
            start=replay.start, end=replay.end, duration_seconds=replay.duration_seconds,
            recording=RecordingOut(url=rec.url, state=rec.state, started_at=rec.started_at,
                                   offset_seconds=rec.offset_seconds, duration=rec.duration_seconds) if rec else None,
            steps=[StepOut(at=s.at, offset_seconds=s.offset_seconds, kind=s.kind,
                           label=LabelOut(id=s.label_id, en=s.label_en), lat=s.lat, lon=s.lon, radius=s.radius_m,
                           dispatch_id=s.dispatch_id, agency=s.agency) for s in replay.steps])


def replay_router(service: ReplayService) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["tickets"])

    @router.get("/tickets/{ticket_ref}/replay", response_model=ReplayOut, responses={404: {"model": ErrorOut}})
    async def replay(ticket_ref: str, _user: TicketViewer) -> ReplayOut:
        """Arrival to the last step, sorted: each step's offset from the arrival, its label (id/en) and, for a
        location fix or a responder's position, where."""
        return ReplayOut.of(await service.replay(ticket_ref))

    return router
