"""Junk-call triage on the web: supervisors set and lift measures (page ``/caller-measures`` and JSON API
``/api/caller-measures``), the console shows a waiting or ringing caller's score and history before she
answers (``/console/callers``), the wallboard shows today's junk share and pocket-dial waves
(``/wallboard/panel/junk``).

Measures are for supervisors (and admins) only: ``Permission.VIEW_WALLBOARD`` is the supervisor's right here as on
the AML page. A refused measure (until in the past, beyond ``[junk] max_measure_hours``, no reason…) is a 422
with the reason in Indonesian and English.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.errors import DomainError
from ec112.domain.junk_calls import CallerMeasure
from ec112.services.junk_calls import JunkCallService
from ec112.services.junk_watch import CallerProfile, JunkWatch
from ec112.services.presence import PresenceService
from ec112.services.ticket_desk import TicketDesk
from ec112.web.auth import Auth, CurrentUser, TicketViewer, WebAuth, require
from ec112.web.pages import _page, _translator
from ec112.web.ticket_pages import error_page

Supervisor = Annotated[User, Depends(require(Permission.VIEW_WALLBOARD))]
MAX_WAITING_SHOWN = 8


class MeasureIn(BaseModel):
    subject_kind: Literal["number", "imei"] = "number"
    subject: str = Field("", max_length=40)  # empty: the caller number of ``ticket``
    kind: Literal["warning", "low_priority", "restriction"]
    reason: str = Field(min_length=1, max_length=300)
    until: datetime | None = None  # give until or hours
    hours: float | None = Field(None, gt=0, le=24 * 365)
    ticket: str | None = Field(None, max_length=40)  # the call it is set from: its timeline says so


def measure_json(m: CallerMeasure, now: datetime) -> dict[str, Any]:
    return {"id": m.id, "subject_kind": m.subject_kind.value, "subject": m.subject, "kind": m.kind.value,
            "reason": m.reason, "set_by": m.set_by, "set_at": m.set_at.isoformat(), "until": m.until.isoformat(),
            "status": m.status(now), "lifted_at": m.lifted_at.isoformat() if m.lifted_at else None,
            "lifted_by": m.lifted_by, "lift_reason": m.lift_reason}


def profile_json(p: CallerProfile, now: datetime) -> dict[str, Any]:
    s = p.score
    return {"number": p.number, "score": s.score, "level": s.level, "calls": s.calls, "junk": s.junk,
            "emergencies": s.emergencies, "imeis": p.imeis,
            "recent": [{"ticket": c.ticket, "at": c.at.isoformat(), "classification": c.classification,
                        "answered": c.answered, "silent_confirmed": c.silent_confirmed} for c in p.recent],
            "measures": [measure_json(m, now) for m in p.measures]}


def _until(until: datetime | None, hours: float | None, now: datetime) -> datetime:
    if until is not None:
        return until
    if hours is not None:
        return now + timedelta(hours=hours)
    return datetime.min.replace(tzinfo=UTC)  # refused by the domain's check, with its clear message


def junk_router(web: WebAuth, junk: JunkCallService, watch: JunkWatch, presence: PresenceService,
                desk: TicketDesk) -> APIRouter:
    router = APIRouter(tags=["junk calls"])

    @router.get("/api/caller-measures")
    async def list_measures(_user: Supervisor, all: bool = False) -> list[dict[str, Any]]:
        """The measures in force (``?all=true``: also the last ended ones), newest first."""
        now = datetime.now(UTC)
        found = await junk.recent(100) if all else sorted(junk.in_force(), key=lambda m: -m.id)
        return [measure_json(m, now) for m in found]

    @router.post("/api/caller-measures", status_code=201, responses={422: {}})
    async def set_measure(body: MeasureIn, user: Supervisor) -> dict[str, Any]:
        now = datetime.now(UTC)
        subject, ticket_id = body.subject, None
        if body.ticket:
            ticket = await desk.find(body.ticket)
            ticket_id, subject = ticket.id, subject or ticket.caller_number_e164 or ""
        measure = await junk.set_measure(subject_kind=body.subject_kind, subject=subject, kind=body.kind,
                                         reason=body.reason, until=_until(body.until, body.hours, now),
                                         by=user.username, ticket_id=ticket_id)
        return measure_json(measure, now)

    @router.delete("/api/caller-measures/{measure_id}", responses={404: {}, 422: {}})
    async def lift_measure(measure_id: int, user: Supervisor,
                           reason: Annotated[str, Query(min_length=1, max_length=300)]) -> dict[str, Any]:
        """Lift a measure early; ``reason`` says why (audited)."""
        return measure_json(await junk.lift(measure_id, by=user.username, reason=reason), datetime.now(UTC))

    @router.get("/api/callers/{number}/profile")
    async def caller_profile(number: str, _user: TicketViewer) -> dict[str, Any]:
        """A caller's repeat score, last calls and measures in force (``number`` in E.164)."""
        return profile_json(await watch.profile(number), datetime.now(UTC))

    # --- the supervisor's page ---------------------------------------------------------------------------

    @router.get("/caller-measures", include_in_schema=False)
    async def measures_page(request: Request, who: Auth, done: str = "", error: str = "") -> Response:
        tr = _translator(web, request)
        if not has_permission(who.user, Permission.VIEW_WALLBOARD):
            return error_page(web, request, tr, 403)
        return _page(web, request, "caller_measures.html", tr, measures=await junk.recent(100),
                     now=datetime.now(UTC), max_hours=junk.max_hours, done=done, error=error,
                     state_of=lambda m: m.status(datetime.now(UTC)))

    def back(done: str = "", error: str = "") -> Response:
        query = f"?done={quote(done)}" if done else f"?error={quote(error)}"
        return RedirectResponse("/caller-measures" + query, status_code=303)

    @router.post("/caller-measures", include_in_schema=False)
    async def measures_form(request: Request, who: Auth, subject: Annotated[str, Form(max_length=40)],
                            kind: Annotated[str, Form(max_length=20)], reason: Annotated[str, Form(max_length=300)],
                            hours: Annotated[float, Form(gt=0, le=24 * 365)],
                            subject_kind: Annotated[str, Form(max_length=8)] = "number") -> Response:
        if not has_permission(who.user, Permission.VIEW_WALLBOARD):
            return error_page(web, request, _translator(web, request), 403)
        try:
            m = await junk.set_measure(subject_kind=subject_kind, subject=subject, kind=kind, reason=reason,
                                       until=datetime.now(UTC) + timedelta(hours=hours), by=who.user.username)
        except DomainError as exc:
            return back(error=exc.message)
        return back(done=f"set:{m.id}")

    @router.post("/caller-measures/{measure_id}/lift", include_in_schema=False)
    async def lift_form(request: Request, measure_id: int, who: Auth,
                        reason: Annotated[str, Form(max_length=300)] = "") -> Response:
        if not has_permission(who.user, Permission.VIEW_WALLBOARD):
            return error_page(web, request, _translator(web, request), 403)
        try:
            await junk.lift(measure_id, by=who.user.username, reason=reason)
        except DomainError as exc:
            return back(error=exc.message)
        return back(done=f"lifted:{measure_id}")

    # --- the console's waiting/ringing callers, the wallboard's panel ----------------------------------------

    @router.get("/console/callers", include_in_schema=False)
    async def console_callers(request: Request, user: CurrentUser) -> Response:
        """The call ringing on her phone and the callers waiting, each with score and history."""
        tr = _translator(web, request)
        if not has_permission(user, Permission.AGENT_SELF):
            return error_page(web, request, tr, 403)
        snap = presence.snapshot()
        ringing = {c.linkedid for c in snap.calls if c.state == "ringing" and c.taker == user.sip_endpoint}
        cards = []
        for w in snap.queue.waiting[:MAX_WAITING_SHOWN]:
            number = junk.normalize(w.caller_number)
            profile = await watch.profile(number, current_ticket=w.ticket) if number else None
            cards.append({"caller": w, "ringing": w.linkedid in ringing, "profile": profile})
        cards.sort(key=lambda c: not c["ringing"])
        return _page(web, request, "console_callers.html", tr, cards=cards, now=datetime.now(UTC))

    @router.get("/wallboard/panel/junk", include_in_schema=False)
    async def wallboard_junk(request: Request, who: Auth) -> Response:
        tr = _translator(web, request)
        if not has_permission(who.user, Permission.VIEW_WALLBOARD):
            return error_page(web, request, tr, 403)
        return _page(web, request, "wallboard_junk.html", tr, share=await watch.share_today(),
                     waves=watch.waves(), in_force=len(junk.in_force()))

    return router
