"""The known incidents in the panel: the supervisor's page to post and end them, and the banner the console and the
wallboard show while one is active (a fragment htmx fetches again on the live ``incident`` event).

Forms post as plain HTML forms (the CSRF field is checked by ``AuthMiddleware``); a refusal is shown on the page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from ec112.domain.accounts import Permission, Role, has_permission
from ec112.domain.errors import DomainError
from ec112.domain.geography import AreaLevel
from ec112.routing.areas import display_name
from ec112.routing.geography import Geography
from ec112.services.known_incidents import KnownIncidentService
from ec112.services.ticket_desk import TicketDesk
from ec112.web.auth import Auth, WebAuth
from ec112.web.incidents_api import AreaIn, IncidentIn, draft_of, incident_json, ticket_number_of
from ec112.web.pages import _page, _translator
from ec112.web.ticket_pages import error_page, fmt_duration, iso_ms

_POSTERS = {Role.ADMIN, Role.SUPERVISOR}


def _areas(geography: Geography | None) -> list[dict[str, str]]:
    """The regency's kecamatan and desa for the area picker, each desa under its kecamatan's name."""
    if geography is None:
        return []
    regency = geography.jurisdiction.regency_code
    kecamatan = {b.code: b for b in geography.boundaries if b.level is AreaLevel.KECAMATAN and b.parent == regency}
    found = [{"kind": "kecamatan", "code": b.code, "name": display_name(b)}
             for b in sorted(kecamatan.values(), key=lambda b: b.name)]
    desa = [b for b in geography.boundaries if b.level is AreaLevel.DESA and b.parent in kecamatan]
    found += [{"kind": "desa", "code": b.code, "name": f"{display_name(b)} ({kecamatan[b.parent or ''].name})"}
              for b in sorted(desa, key=lambda b: b.name)]
    return found


def incidents_pages_router(web: WebAuth, incidents: KnownIncidentService, desk: TicketDesk,
                           geography: Geography | None = None) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    areas = _areas(geography)

    async def listing() -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "active": [incident_json(i, now, await ticket_number_of(desk, i.ticket_id)) for i in incidents.active()],
            "recent": [incident_json(i, now, await ticket_number_of(desk, i.ticket_id))
                       for i in await incidents.recent(20)],
            "now": now, "iso": iso_ms, "duration": fmt_duration,
        }

    async def page(request: Request, who: Any, status: int = 200, **extra: Any) -> Response:
        tr = _translator(web, request)
        return _page(web, request, "incidents.html", tr, status, areas=areas, can_post=who.user.role in _POSTERS,
                     local=lambda value: tr.datetime(datetime.fromisoformat(value), "short"),
                     **await listing(), **extra)

    @router.get("/incidents", response_class=HTMLResponse)
    async def incidents_page(request: Request, who: Auth) -> Response:
        if not has_permission(who.user, Permission.VIEW_LIVE):
            return error_page(web, request, _translator(web, request), 403)
        return await page(request, who)

    @router.post("/incidents", response_class=HTMLResponse)
    async def post_form(request: Request, who: Auth, text_id: Annotated[str, Form()] = "",
                        text_en: Annotated[str, Form()] = "", area: Annotated[str, Form()] = "regency",
                        lat: Annotated[str, Form()] = "", lon: Annotated[str, Form()] = "",
                        radius_m: Annotated[str, Form()] = "", minutes: Annotated[str, Form()] = "60",
                        ticket: Annotated[str, Form()] = "") -> Response:
        """``area``: ``regency``, ``circle`` (with lat/lon/radius_m) or ``kecamatan:<code>`` / ``desa:<code>``."""
        form = {"text_id": text_id, "text_en": text_en, "area": area, "lat": lat, "lon": lon, "radius_m": radius_m,
                "minutes": minutes, "ticket": ticket}
        kind, _, code = area.partition(":")
        try:
            data = IncidentIn(text_id=text_id or " ", text_en=text_en or None, minutes=int(minutes or 0) or None,
                              area=AreaIn(kind=kind,  # pydantic refuses a wrong kind (422)
                                          code=code or None, lat=float(lat) if lat else None,
                                          lon=float(lon) if lon else None,
                                          radius_m=float(radius_m) if radius_m else None))
            ticket_id = (await desk.find(ticket.strip())).id if ticket.strip() else None
            await incidents.post(draft_of(data, datetime.now(UTC), ticket_id), who.user)
        except (DomainError, ValidationError, ValueError) as exc:
            message = exc.message if isinstance(exc, DomainError) else str(exc).splitlines()[0]
            return await page(request, who, 403 if _forbidden(exc) else 422, error=message, form=form)
        return RedirectResponse("/incidents", status_code=303)

    @router.post("/incidents/{incident_id}/end", response_class=HTMLResponse)
    async def end_form(incident_id: int, request: Request, who: Auth) -> Response:
        try:
            await incidents.end(incident_id, who.user)
        except DomainError as exc:
            return await page(request, who, 403 if _forbidden(exc) else 422, error=exc.message)
        return RedirectResponse("/incidents", status_code=303)

    @router.get("/incidents/banner", response_class=HTMLResponse)
    async def banner(request: Request, who: Auth, view: str = "console") -> Response:
        """The active incidents as a banner (``view``: console, with the link button; wallboard)."""
        tr = _translator(web, request)
        if not has_permission(who.user, Permission.VIEW_LIVE):
            return error_page(web, request, tr, 403)
        now = datetime.now(UTC)
        html = web.i18n.render("incidents_banner.html", tr, view=view, now=now, iso=iso_ms, duration=fmt_duration,
                               active=[incident_json(i, now, await ticket_number_of(desk, i.ticket_id))
                                       for i in incidents.active()])
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "Content-Language": tr.language.value})

    return router


def _forbidden(exc: Exception) -> bool:
    return isinstance(exc, DomainError) and exc.code == "forbidden"
