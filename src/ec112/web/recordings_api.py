"""A 112 call's recording over HTTP (issue 14, docs/room.md part A).

``GET /api/tickets/{ref}/recording``: the WAV, with HTTP Range (Starlette's FileResponse answers ``Range`` with
206), so the ticket page's ``<audio>`` can seek; ``?download=1`` sends it as an attachment. Only a supervisor or
admin, or the call taker who answered that call; anyone else 403. Each replay is audited by the service (once,
not per Range chunk). ``GET …/recording/info``: its state, length and hash (any staff who may see the ticket).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ec112.domain.recordings import Recording, may_replay
from ec112.domain.tickets import Ticket
from ec112.services.recordings import RecordingService
from ec112.web.auth import TicketViewer
from ec112.web.schemas import ErrorOut


def recording_json(ticket: Ticket, rec: Recording | None, prefix: str, *, url: bool = True) -> dict[str, Any]:
    """A ticket's recording (``state`` None: none was made, e.g. ``[recording] start = off``)."""
    number = ticket.number(prefix)
    return {
        "ticket": number, "ticket_id": ticket.id,
        "state": rec.state.value if rec else None,
        "started_at": rec.started_at.isoformat() if rec else None,
        "ended_at": rec.ended_at.isoformat() if rec and rec.ended_at else None,
        "duration_seconds": rec.duration_seconds if rec else None,
        "size_bytes": rec.size_bytes if rec else None,
        "sha256": rec.sha256 if rec else None,
        "deleted_at": rec.deleted_at.isoformat() if rec and rec.deleted_at else None,
        "url": f"/api/tickets/{number}/recording" if url and rec is not None and rec.playable else None,
    }


def recordings_router(recordings: RecordingService, *, prefix: str) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["recordings"])

    @router.get("/tickets/{ticket_ref}/recording/info", responses={404: {"model": ErrorOut}})
    async def recording_info(ticket_ref: str, user: TicketViewer) -> dict[str, Any]:
        """State (recording, sealed, missing, unreadable, deleted or null), length, size, sha256; ``url`` only for
        those who may play it."""
        ticket, rec = await recordings.info(ticket_ref)
        return recording_json(ticket, rec, prefix, url=may_replay(user, ticket))

    @router.get("/tickets/{ticket_ref}/recording", response_class=FileResponse,
                responses={200: {"content": {"audio/wav": {}}}, 206: {"content": {"audio/wav": {}}},
                           403: {"model": ErrorOut}, 404: {"model": ErrorOut}})
    async def recording_file(ticket_ref: str, user: TicketViewer, download: bool = False) -> FileResponse:
        """The recording (audio/wav; Range requests answered with 206)."""
        ticket, _rec, path = await recordings.open_for(ticket_ref, user, download=download)
        name = f"{ticket.number(prefix)}.wav"
        return FileResponse(path, media_type="audio/wav", filename=name if download else None,
                            content_disposition_type="attachment" if download else "inline",
                            headers={"Cache-Control": "private, no-store"})

    return router
