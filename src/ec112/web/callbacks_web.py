"""Callbacks over HTTP: the JSON API and the panel the console and the wallboard show.

JSON: ``GET /api/callbacks`` (the active tasks, most urgent first), ``POST /api/callbacks/{id}/take``,
``POST /api/callbacks/{id}/call`` (her phone rings first, then the citizen's), ``POST /api/callbacks/{id}/outcome``
(what Asterisk cannot tell, e.g. a wrong number that answered). The panel (``/callbacks/panel``) is the same list
as HTML with the countdowns (ticking in the browser, ``static/js/callbacks.js``) and the buttons (htmx posts to
``/callbacks/{id}/…``, answered with the panel again). A taker acts for her own desk phone only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.callbacks import CallbackOutcome, CallbackTask, offers
from ec112.domain.errors import DomainError, Forbidden, InvalidRequest
from ec112.services.callbacks import CallbackService
from ec112.services.intake import utcnow
from ec112.web.auth import CurrentUser, TicketViewer, WebAuth
from ec112.web.pages import _page, _translator
from ec112.web.schemas import ErrorOut

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}, 422: {"model": ErrorOut},
    503: {"model": ErrorOut}}
_STATUS = {"invalid_request": 422, "forbidden": 403, "unavailable": 503, "not_found": 404, "conflict": 409}


class CallbackOut(BaseModel):
    id: int
    ticket_id: int
    ticket: str  # the ticket's number
    number: str
    reason: str
    status: str
    escalated: bool
    created_at: datetime
    deadline: datetime
    seconds_left: float  # negative once overdue
    taken_by: str | None
    attempts: int
    outcome: str | None
    outcome_by: str | None
    linked_ticket_id: int | None
    revision: int


class OutcomeIn(BaseModel):
    outcome: CallbackOutcome


def _desk_user(user: User) -> User:
    if not has_permission(user, Permission.AGENT_SELF):
        raise Forbidden(f"your role ({user.role.value}) does not call citizens back")
    return user


def callbacks_router(web: WebAuth, service: CallbackService,
                     free_takers: Callable[[], Sequence[tuple[str, datetime]]] = tuple) -> APIRouter:
    """``free_takers``: the call takers free right now and since when (presence's in-memory snapshot): each open
    task is offered in the console to one of them (``domain.callbacks.offers``)."""
    router = APIRouter()

    async def out(task: CallbackTask, now: datetime) -> CallbackOut:
        return CallbackOut(
            id=task.id, ticket_id=task.ticket_id, ticket=await service.number_of(task), number=task.number,
            reason=task.reason.value, status=task.status.value, escalated=task.escalated_at is not None,
            created_at=task.created_at, deadline=task.deadline, seconds_left=round(task.seconds_left(now), 1),
            taken_by=task.taken_by, attempts=task.attempts, outcome=task.outcome.value if task.outcome else None,
            outcome_by=task.outcome_by, linked_ticket_id=task.linked_ticket_id, revision=task.revision)

    async def act(task_id: int, action: str, user: User, outcome: CallbackOutcome | None = None) -> CallbackTask:
        _desk_user(user)
        endpoint, name = user.sip_endpoint, user.username
        if action == "take":
            return await service.take(task_id, endpoint=endpoint, user=name)
        if action == "call":
            return await service.call(task_id, endpoint=endpoint, user=name)
        assert outcome is not None
        return await service.set_outcome(task_id, outcome, endpoint=endpoint, user=name)

    # --- JSON ----------------------------------------------------------------------------------------------

    @router.get("/api/callbacks", response_model=list[CallbackOut], tags=["callbacks"])
    async def list_callbacks(_user: TicketViewer) -> list[CallbackOut]:
        """Open, taken and ringing callback tasks, the nearest deadline first."""
        now = utcnow()
        return [await out(t, now) for t in await service.active()]

    @router.get("/api/callbacks/{task_id}", response_model=CallbackOut, responses=_ERRORS, tags=["callbacks"])
    async def get_callback(task_id: int, _user: TicketViewer) -> CallbackOut:
        return await out(await service.get(task_id), utcnow())

    @router.post("/api/callbacks/{task_id}/take", response_model=CallbackOut, responses=_ERRORS, tags=["callbacks"])
    async def take_callback(task_id: int, user: CurrentUser) -> CallbackOut:
        return await out(await act(task_id, "take", user), utcnow())

    @router.post("/api/callbacks/{task_id}/call", response_model=CallbackOut, responses=_ERRORS, tags=["callbacks"])
    async def call_back(task_id: int, user: CurrentUser) -> CallbackOut:
        """Rings the caller's own desk phone first; when she answers, the citizen's phone through the trunk."""
        return await out(await act(task_id, "call", user), utcnow())

    @router.post("/api/callbacks/{task_id}/outcome", response_model=CallbackOut, responses=_ERRORS,
                 tags=["callbacks"])
    async def set_callback_outcome(task_id: int, body: OutcomeIn, user: CurrentUser) -> CallbackOut:
        return await out(await act(task_id, "outcome", user, body.outcome), utcnow())

    # --- the panel (console and wallboard) -------------------------------------------------------------------

    async def panel(request: Request, user: User, view: str, error: str | None = None, status: int = 200) -> Response:
        tr = _translator(web, request)
        now = utcnow()
        active = await service.active()
        tasks = [await out(t, now) for t in active]
        offered = offers(active, free_takers())
        return _page(web, request, "callbacks_panel.html", tr, status, tasks=tasks, view=view, now=now,
                     offered=offered,
                     me=user.sip_endpoint, may_call=has_permission(user, Permission.AGENT_SELF) and bool(
                         user.sip_endpoint), error=error, outcomes=[o.value for o in CallbackOutcome])

    @router.get("/callbacks/panel", include_in_schema=False)
    async def panel_fragment(request: Request, user: TicketViewer,
                             view: Literal["console", "wallboard"] = "console") -> Response:
        return await panel(request, user, view)

    @router.post("/callbacks/{task_id}/{action}", include_in_schema=False)
    async def panel_action(request: Request, task_id: int, action: Literal["take", "call", "outcome"],
                           user: CurrentUser, outcome: Annotated[CallbackOutcome | None, Form()] = None) -> Response:
        try:
            if action == "outcome" and outcome is None:
                raise InvalidRequest("choose an outcome / pilih hasilnya")
            await act(task_id, action, user, outcome)
        except DomainError as exc:
            return await panel(request, user, "console", exc.message, _STATUS.get(exc.code, 400))
        return await panel(request, user, "console")

    return router
