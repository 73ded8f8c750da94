"""The wallboard's listen/whisper/barge panel: every busy call taker with the supervisor's buttons, and who is
being listened to, in which mode (refreshed on the live stream's ``spy`` and ``agent`` events).

The buttons post here (htmx, the session's CSRF header) and get the panel back, with Asterisk's or the rules'
refusal shown in it; the same ``SpyService`` as ``/api/spy``. Supervisors and admins only (403 otherwise).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ec112.domain.accounts import Permission, User
from ec112.domain.errors import DomainError
from ec112.domain.spy import SpyMode, parse_mode
from ec112.services.presence import PresenceService
from ec112.services.spy import SpyService
from ec112.web.auth import WebAuth, require
from ec112.web.pages import _page, _translator
from ec112.web.spy_api import spy_json

Supervisor = Annotated[User, Depends(require(Permission.AGENT_ANY))]
_STATUS = {"invalid_request": 422, "forbidden": 403, "unavailable": 503, "not_found": 404, "conflict": 409}


def spy_panel_router(web: WebAuth, spy: SpyService, presence: PresenceService) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def panel(request: Request, user: User, error: str | None = None, status: int = 200) -> Response:
        sessions = {s.taker: spy_json(s) for s in spy.sessions()}
        busy = [a for a in presence.snapshot().agents if a.call_linkedid is not None or a.endpoint in sessions]
        return _page(web, request, "wallboard_spy.html", _translator(web, request), status, busy=busy,
                     sessions=sessions, modes=[m.value for m in SpyMode], error=error,
                     has_phone=bool(user.sip_endpoint))

    @router.get("/wallboard/spy")
    async def spy_fragment(request: Request, user: Supervisor) -> Response:
        return panel(request, user)

    @router.post("/wallboard/spy/{action}")
    async def spy_action(request: Request, action: Literal["start", "mode", "stop"], user: Supervisor,
                         taker: Annotated[str, Form()] = "", mode: Annotated[str, Form()] = "listen",
                         session: Annotated[str, Form()] = "") -> Response:
        try:
            if action == "start":
                await spy.start(user, taker, parse_mode(mode))
            elif action == "mode":
                await spy.switch(session, parse_mode(mode), user)
            else:
                await spy.stop(session, user)
        except DomainError as exc:
            return panel(request, user, exc.message, _STATUS.get(exc.code, 400))
        return panel(request, user)

    return router
