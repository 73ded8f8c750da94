"""Ticket pages of the panel: the list (search, filters, paging) and one ticket with its full timeline.

Server-rendered HTML over the same ``TicketDesk`` as the JSON API (``tickets_api.py``), with the same
search semantics: ``q`` is a ticket number, part of a caller number or words of the address/description;
``from``/``to`` are local dates (the configured zone), inclusive. A bad filter is shown on the form, not
answered with a JSON 422. Also the small helpers the wallboard shares: the HTML error page (403/404)
and ISO/duration formatting for the ticking timers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ec112.domain.accounts import Permission, has_permission
from ec112.domain.errors import InvalidRequest, NotFound
from ec112.domain.ticket_query import MAX_PAGE, TicketQuery
from ec112.domain.ticket_work import Classification
from ec112.domain.tickets import TicketStatus
from ec112.services.ticket_desk import TicketDesk
from ec112.web.auth import Auth, WebAuth
from ec112.web.i18n import Translator
from ec112.web.pages import _page, _translator

PAGE_SIZE = 25
MAX_QUERY = 100


def iso_ms(value: datetime) -> str:
    """An aware datetime as ISO 8601 UTC with milliseconds (what ``Date.parse`` reads everywhere)."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def fmt_duration(seconds: float | None) -> str:
    """``m:ss`` or ``h:mm:ss`` (the same as static/js/wallboard.js writes while it ticks)."""
    if seconds is None:
        return "—"
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def error_page(web: WebAuth, request: Request, tr: Translator, status: int) -> Response:
    """The panel's own 403/404 page (the layout, the menu, a way back), never a JSON body or a crash."""
    return _page(web, request, "tickets_error.html", tr, status, error_status=status)


def ticket_pages_router(web: WebAuth, desk: TicketDesk, *, prefix: str, replay: bool = False,
                        map_tiles: tuple[str, str] = ("", "")) -> APIRouter:
    """``replay``: the ticket page shows the replayable timeline (web/replay_api.py is mounted), on the console's
    map tiles (``[web] map_tile_url`` and its attribution; none: a blank map with the circle and the markers)."""
    router = APIRouter(include_in_schema=False)
    tz = web.i18n.tz

    def helpers(tr: Translator) -> dict[str, Any]:
        language = tr.language.value
        return {"number": lambda t: t.number(prefix), "duration": fmt_duration,
                "category_label": lambda code: desk.category_label(code, language)}

    @router.get("/tickets", response_class=HTMLResponse)
    async def ticket_list(request: Request, who: Auth) -> Response:
        tr = _translator(web, request)
        if not has_permission(who.user, Permission.VIEW_TICKETS):
            return error_page(web, request, tr, 403)
        form = _Form.read(request.query_params)
        errors = list(form.errors)
        query = None
        if not errors:
            try:
                query = form.query(tz)
            except InvalidRequest:
                errors.append("bad_range")
        found, total = await desk.search(query) if query is not None else ([], 0)
        more = query is not None and total > query.count_ceiling  # counted up to the ceiling only: "more than"
        return _page(web, request, "tickets.html", tr, form=form, errors=errors, tickets=found, more=more,
                     total=query.count_ceiling if more and query else total,
                     first=form.offset + 1 if found else 0, last=form.offset + len(found),
                     prev_url=form.url(max(0, form.offset - form.limit)) if form.offset > 0 else None,
                     next_url=form.url(form.offset + form.limit) if form.offset + form.limit < total else None,
                     statuses=list(TicketStatus), classifications=list(Classification), **helpers(tr))

    @router.get("/tickets/{ticket_ref}", response_class=HTMLResponse)
    async def ticket_detail(ticket_ref: str, request: Request, who: Auth) -> Response:
        tr = _translator(web, request)
        if not has_permission(who.user, Permission.VIEW_TICKETS):
            return error_page(web, request, tr, 403)
        try:
            ticket = await desk.find(ticket_ref)
        except NotFound:
            return error_page(web, request, tr, 404)
        timeline = await desk.timeline(ticket)
        previous = await desk.previous_calls(ticket)
        replay_url = f"/api/tickets/{desk.number(ticket)}/replay" if replay else None
        return _page(web, request, "tickets_detail.html", tr, ticket=ticket, timeline=timeline, previous=previous,
                     replay_url=replay_url, tile_url=map_tiles[0], attribution=map_tiles[1], **helpers(tr))

    return router


class _Form:
    """The list's GET form, read leniently: what cannot be understood is reported, not raised."""

    def __init__(self) -> None:
        self.q = ""
        self.status = ""
        self.classification = ""
        self.date_from = ""
        self.date_to = ""
        self.limit = PAGE_SIZE
        self.offset = 0
        self.errors: list[str] = []

    @classmethod
    def read(cls, params: Any) -> _Form:
        form = cls()
        form.q = (params.get("q") or "").strip()[:MAX_QUERY]
        form.status = params.get("status") or ""
        if form.status not in {"", *(s.value for s in TicketStatus)}:
            form.errors.append("bad_status")
        form.classification = params.get("classification") or ""
        if form.classification not in {"", *(c.value for c in Classification)}:
            form.errors.append("bad_classification")
        form.date_from = params.get("from") or ""
        form.date_to = params.get("to") or ""
        if _date(form.date_from) is False or _date(form.date_to) is False:
            form.errors.append("bad_date")
        form.limit = min(MAX_PAGE, max(1, _int(params.get("limit"), PAGE_SIZE)))
        form.offset = max(0, _int(params.get("offset"), 0))
        return form

    def query(self, tz: tzinfo) -> TicketQuery:
        start, end = _date(self.date_from), _date(self.date_to)
        return TicketQuery(
            text=self.q or None,
            status=TicketStatus(self.status) if self.status else None,
            classification=Classification(self.classification) if self.classification else None,
            arrived_from=_midnight(start, tz) if isinstance(start, date) else None,
            arrived_to=_midnight(end, tz, days_after=1) if isinstance(end, date) else None,
            limit=self.limit, offset=self.offset,
        )

    def url(self, offset: int) -> str:
        params = {"q": self.q, "status": self.status, "classification": self.classification,
                  "from": self.date_from, "to": self.date_to}
        kept = {k: v for k, v in params.items() if v}
        if self.limit != PAGE_SIZE:
            kept["limit"] = str(self.limit)
        if offset:
            kept["offset"] = str(offset)
        return "/tickets" + ("?" + urlencode(kept) if kept else "")


def _date(text: str) -> date | bool | None:
    """The date, None when empty, False when not a date."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return False


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


def _midnight(day: date, tz: tzinfo, days_after: int = 0) -> datetime:
    try:
        return datetime.combine(day + timedelta(days=days_after), time(0), tz)
    except (OverflowError, ValueError) as exc:
        raise InvalidRequest(f"date out of range: {day}") from exc
