"""Listen, whisper, barge over HTTP: the wallboard's buttons on a busy call taker and ``ec112 spy``.

``POST /api/spy {"taker", "mode"}`` rings the supervisor's own phone into the call (202 with the session; 403 for
a call taker, 409 when the taker has no live call, is listened to already, or he has no phone; 503 when Asterisk
cannot); ``GET /api/spy`` lists the sessions; ``POST /api/spy/{id}/mode`` switches; ``DELETE /api/spy/{id}``
leaves. The live stream's ``spy`` event carries the same JSON plus ``change``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ec112.domain.accounts import Permission, User
from ec112.domain.spy import SpySession, parse_mode
from ec112.services.spy import SpyService
from ec112.web.auth import require
from ec112.web.schemas import ErrorOut

Supervisor = Annotated[User, Depends(require(Permission.AGENT_ANY))]
_REFUSALS: dict[int | str, dict[str, Any]] = {403: {"model": ErrorOut}, 404: {"model": ErrorOut},
                                             409: {"model": ErrorOut}, 503: {"model": ErrorOut}}


class SpyIn(BaseModel):
    taker: str
    mode: str = "listen"


class ModeIn(BaseModel):
    mode: str


def spy_json(session: SpySession) -> dict[str, Any]:
    return {"id": session.id, "supervisor": session.supervisor, "phone": session.supervisor_endpoint,
            "taker": session.taker, "mode": session.mode.value,
            "state": "switching" if session.switching else session.state.value,
            "ticket": session.ticket, "started_at": session.started_at.isoformat()}


def spy_router(spy: SpyService) -> APIRouter:
    router = APIRouter(prefix="/api/spy", tags=["listen, whisper, barge"])

    @router.get("")
    async def list_sessions(_user: Supervisor) -> list[dict[str, Any]]:
        """Every supervisor's sessions, ringing or active."""
        return [spy_json(s) for s in spy.sessions()]

    @router.post("", status_code=202, responses=_REFUSALS)
    async def start(body: SpyIn, user: Supervisor) -> dict[str, Any]:
        """Ring my phone; on answer I am on the taker's call in the mode asked."""
        return spy_json(await spy.start(user, body.taker, parse_mode(body.mode)))

    @router.post("/{session_id}/mode", responses=_REFUSALS)
    async def switch(session_id: str, body: ModeIn, user: Supervisor) -> dict[str, Any]:
        return spy_json(await spy.switch(session_id, parse_mode(body.mode), user))

    @router.delete("/{session_id}", responses=_REFUSALS)
    async def stop(session_id: str, user: Supervisor) -> dict[str, Any]:
        return spy_json(await spy.stop(session_id, user))

    return router
