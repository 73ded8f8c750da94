"""The pages of the people after the call, made for a phone (390 px wide and up):

- ``/agency``: an agency officer's open dispatches of her own agency, newest first, each with what the
  call taker learnt (ticket, category, address, description, caller's number, location), how long ago it
  came and how long is left to acknowledge it (escalated ones stand out); a big "Terima" button and the
  choice of one of her agency's responders (from the agencies file).
- ``/responder``: a responder's open assignments with one big button for the next step — berangkat,
  menangani, selesai (with a closing note, and a photo if she wants); the phone's position goes with each
  step when the browser allows it.

Both are server-rendered; ``static/js/field.js`` acts through the JSON API (``web/dispatch_api.py``, which
checks who may do what and audits it), refreshes the list (``/agency/list``, ``/responder/list``) when the
filtered live stream ``/api/field/events`` (``web/field_live.py``) says something of hers changed, and never
replaces a card she is typing in. Officers and responders do not get ``/api/events``: it shows the whole
room, callers of other agencies included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from babel.dates import format_time
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.dispatch import Dispatch
from ec112.domain.errors import NotFound
from ec112.domain.tickets import Ticket
from ec112.services.dispatch import DispatchService
from ec112.services.ticket_desk import TicketDesk
from ec112.web.auth import Auth, WebAuth
from ec112.web.field_live import field_live_router
from ec112.web.i18n import Translator
from ec112.web.live_feed import LiveFeed
from ec112.web.pages import _page, _translator
from ec112.web.ticket_pages import error_page, fmt_duration, iso_ms


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One dispatch on an officer's or a responder's list, with its ticket."""

    d: Dispatch
    t: Ticket
    responder_name: str | None  # from the agencies file


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str  # agency | responder
    permission: Permission
    template: str  # the page; the list fragment is f"{name}_list.html"


AGENCY = _Kind("agency", Permission.AGENCY_WORK, "agency.html")
RESPONDER = _Kind("responder", Permission.FIELD_WORK, "responder.html")


def field_router(web: WebAuth, dispatcher: DispatchService, desk: TicketDesk, feed: LiveFeed,
                 *, photo_max_bytes: int, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    directory = dispatcher.directory
    router.include_router(field_live_router(dispatcher, feed))

    async def items(user: User) -> list[WorkItem]:
        found = []
        for d in await dispatcher.work_of(user):
            try:
                ticket = await desk.find(str(d.ticket_id))
            except NotFound:
                continue
            known = directory.responder(d.responder) if d.responder else None
            found.append(WorkItem(d, ticket, known.name if known else d.responder))
        return sorted(found, key=lambda i: (i.d.dispatched_at, i.d.id), reverse=True)  # newest first

    def helpers(tr: Translator) -> dict[str, Any]:
        language = tr.language.value
        return {
            "number": desk.number,
            "category_label": lambda code: desk.category_label(code, language),
            "clock": lambda value: format_time(value.astimezone(tr.tz), "short", locale=language),
            "iso": iso_ms, "duration": fmt_duration, "now": clock(),
            "agency_of": directory.get,
        }

    def context(user: User, tr: Translator) -> dict[str, Any]:
        agency = directory.get(user.agency) if user.agency else None
        return {"agency": agency, "responders": directory.responders_of(agency.code) if agency else (),
                "photo_max_bytes": photo_max_bytes, **helpers(tr)}

    async def page(kind: _Kind, request: Request, user: User, *, fragment: bool) -> Response:
        tr = _translator(web, request)
        if not has_permission(user, kind.permission):
            return error_page(web, request, tr, 403)
        work = await items(user)
        ctx = context(user, tr)
        if fragment:
            html = web.i18n.render(f"{kind.name}_list.html", tr, user=user, items=work, **ctx)
            return HTMLResponse(html, headers={"Cache-Control": "no-store", "Content-Language": tr.language.value})
        return _page(web, request, kind.template, tr, items=work, kind=kind.name, **ctx)

    @router.get("/agency", response_class=HTMLResponse)
    async def agency_page(request: Request, who: Auth) -> Response:
        return await page(AGENCY, request, who.user, fragment=False)

    @router.get("/agency/list", response_class=HTMLResponse)
    async def agency_list(request: Request, who: Auth) -> Response:
        return await page(AGENCY, request, who.user, fragment=True)

    @router.get("/responder", response_class=HTMLResponse)
    async def responder_page(request: Request, who: Auth) -> Response:
        return await page(RESPONDER, request, who.user, fragment=False)

    @router.get("/responder/list", response_class=HTMLResponse)
    async def responder_list(request: Request, who: Auth) -> Response:
        return await page(RESPONDER, request, who.user, fragment=True)

    return router
