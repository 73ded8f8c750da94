"""The call taker's console (``/console``): her state with the queue buttons, the current call's ticket, its
classification.

Server-rendered (Jinja) and kept live by the SSE stream ``/api/events``: htmx refetches the state and the
"to classify" fragments on ``sse:`` triggers; ``static/js/console.js`` pops the current call's ticket up
(``/console/ticket/{number}``), draws its map, saves the classification through the JSON API with the
ticket's revision, and never replaces a form the taker has typed in. Every string is in the templates
(translated, Indonesian first); times are in the centre's zone.

Only roles that may take calls (``Permission.AGENT_SELF``: call takers, supervisors, admins) open it, always
for their own SIP endpoint: there is no picker to act as someone else here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from babel.dates import format_time
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.errors import DomainError, Forbidden, NotFound
from ec112.domain.presence import AgentState, PresenceSnapshot
from ec112.domain.ticket_query import MAX_PAGE, TicketQuery
from ec112.domain.ticket_work import Classification
from ec112.domain.tickets import Ticket, TicketStatus
from ec112.routing.agencies import AgencyDirectory, dispatch_options
from ec112.routing.current_agencies import CurrentAgencies
from ec112.services.agents import AgentService
from ec112.services.dispatch import DispatchService
from ec112.services.intake import utcnow
from ec112.services.presence import PresenceService
from ec112.services.ticket_desk import TicketDesk
from ec112.web.auth import CurrentUser, TicketViewer, WebAuth
from ec112.web.i18n import Translator
from ec112.web.pages import _page, _translator

PENDING_HOURS = 12  # "my calls to classify" looks this far back (a shift and its overtime)
# The classification form's choices, in the order of their shortcut keys (1, 2, …), each with whether it needs a
# category: the templates render them, console_form.js reads them from the page instead of knowing the codes.
CLASSIFICATIONS = tuple((c.value, c is Classification.EMERGENCY) for c in Classification)
_ERROR_STATUS = {"invalid_request": 422, "forbidden": 403, "unavailable": 503, "not_found": 404, "conflict": 409}


@dataclass(frozen=True, slots=True)
class ConsoleOptions:
    """What the console needs from the settings (built by the composition root)."""

    wrapup_seconds: float = 5.0
    map_tile_url: str = ""  # empty: no tiles fetched; point, circle and scale on a blank map
    map_attribution: str = ""


@dataclass(frozen=True, slots=True)
class MyState:
    """A call taker's own state as her console shows it."""

    endpoint: str
    state: str  # logged_out | unreachable | available | ringing | on_call | wrap_up | paused
    since: datetime | None
    paused_reason: str | None
    in_queue: bool
    phone_unreachable: bool  # a queue member whose phone cannot ring: unregistered or not answering qualify
    wrapup_remaining: float | None  # seconds left of the wrap-up
    ticket: str | None  # the current call's ticket number
    calls_today: int


def my_state(endpoint: str, snapshot: PresenceSnapshot, now: datetime, wrapup_seconds: float) -> MyState:
    agent = next((a for a in snapshot.agents if a.endpoint == endpoint), None)
    if agent is None:
        return MyState(endpoint, AgentState.LOGGED_OUT.value, None, None, False, False, None, None, 0)
    remaining = None
    if agent.state is AgentState.WRAP_UP:
        remaining = max(0.0, (agent.since + timedelta(seconds=wrapup_seconds) - now).total_seconds())
    return MyState(endpoint, agent.state.value, agent.since, agent.paused_reason, True,
                   agent.state is AgentState.UNREACHABLE, remaining, agent.ticket, agent.calls_today)


def may_use_console(user: User) -> bool:
    return has_permission(user, Permission.AGENT_SELF)


def console_router(web: WebAuth, *, presence: PresenceService, agents: AgentService, desk: TicketDesk,
                   prefix: str, options: ConsoleOptions, directory: AgencyDirectory | CurrentAgencies | None = None,
                   dispatcher: DispatchService | None = None) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    agencies = CurrentAgencies.of(directory or AgencyDirectory(()))  # read at use: the admin page may replace it

    def own_endpoint(user: User) -> str:
        if not may_use_console(user):
            raise Forbidden(f"your role ({user.role.value}) does not take calls")
        if not user.sip_endpoint:
            raise Forbidden(f"{user.username} has no SIP endpoint")
        return user.sip_endpoint

    def helpers(tr: Translator) -> dict[str, Any]:
        """Formatting the templates share (numbers, categories, local times)."""
        language = tr.language.value
        return {
            "number": lambda t: t.number(prefix),
            "category_label": lambda code: desk.category_label(code, language),
            "clock": lambda value: format_time(value.astimezone(tr.tz), "medium", locale=language),
            "categories": [(c.code, c.label(language)) for c in desk.categories.all()],
            "classifications": CLASSIFICATIONS,
            "agency_of": agencies.directory.get,
            "responder_name": lambda username: (
                found.name if (found := agencies.directory.responder(username)) else username),
        }

    def state_context(endpoint: str) -> dict[str, Any]:
        state = my_state(endpoint, presence.snapshot(), utcnow(), options.wrapup_seconds)
        return {"state": state, "reasons": agents.pause_reasons}

    async def pending(endpoint: str) -> list[Ticket]:
        """Her answered calls of the last hours that nobody has classified yet, oldest first."""
        found, _ = await desk.search(TicketQuery(status=TicketStatus.NEW, limit=MAX_PAGE,
                                                 arrived_from=utcnow() - timedelta(hours=PENDING_HOURS)))
        return sorted((t for t in found if t.answered_by == endpoint), key=lambda t: t.id)

    async def ticket_context(ref: str) -> dict[str, Any]:
        ticket = await desk.find(ref)
        return {"t": ticket, "previous": list(await desk.previous_calls(ticket)),
                "tile_url": options.map_tile_url, "attribution": options.map_attribution,
                **await dispatch_view(ticket, agencies.directory, dispatcher)}

    @router.get("/console")
    async def console_page(request: Request, user: CurrentUser) -> Response:
        tr = _translator(web, request)
        if not may_use_console(user):
            return _page(web, request, "console.html", tr, 403, forbidden=True)
        context: dict[str, Any] = {"endpoint": user.sip_endpoint, **helpers(tr),
                                   "tile_url": options.map_tile_url, "attribution": options.map_attribution}
        if user.sip_endpoint:
            context |= state_context(user.sip_endpoint)
            context["pending"] = await pending(user.sip_endpoint)
            current = context["state"].ticket
            if current:
                with contextlib.suppress(NotFound):  # not in the database yet: console.js loads it from the stream
                    context |= await ticket_context(current)
        return _page(web, request, "console.html", tr, **context)

    @router.get("/console/state")
    async def state_fragment(request: Request, user: CurrentUser) -> Response:
        tr = _translator(web, request)
        return _page(web, request, "console_state.html", tr, **state_context(own_endpoint(user)), **helpers(tr))

    @router.get("/console/pending")
    async def pending_fragment(request: Request, user: CurrentUser) -> Response:
        tr = _translator(web, request)
        return _page(web, request, "console_pending.html", tr, pending=await pending(own_endpoint(user)),
                     **helpers(tr))

    @router.get("/console/ticket/{ticket_ref}")
    async def ticket_fragment(request: Request, ticket_ref: str, user: TicketViewer) -> Response:
        tr = _translator(web, request)
        own_endpoint(user)
        try:
            context = await ticket_context(ticket_ref)
        except NotFound:
            return _page(web, request, "console_message.html", tr, 404, error="not_found")
        return _page(web, request, "console_ticket.html", tr, **context, **helpers(tr))

    @router.get("/console/ticket/{ticket_ref}/dispatch")
    async def dispatch_fragment(request: Request, ticket_ref: str, user: TicketViewer) -> Response:
        """The card's dispatch section alone: console.js reads it again on every ``dispatch`` event of the ticket."""
        tr = _translator(web, request)
        own_endpoint(user)
        try:
            ticket = await desk.find(ticket_ref)
        except NotFound:
            return _page(web, request, "console_message.html", tr, 404, error="not_found")
        return _page(web, request, "console_dispatch.html", tr, t=ticket,
                     **await dispatch_view(ticket, agencies.directory, dispatcher), **helpers(tr))

    async def act(request: Request, user: User, action: str, reason: str | None = None) -> Response:
        """Log in/out of the queue or pause/unpause her own endpoint; the answer is a message fragment."""
        tr = _translator(web, request)
        try:
            endpoint = own_endpoint(user)
            if action == "login":
                await agents.login(endpoint, by=user)
            elif action == "logout":
                await agents.logout(endpoint, by=user)
            elif action == "pause":
                await agents.pause(endpoint, reason or "", by=user)
            else:
                await agents.unpause(endpoint, by=user)
        except DomainError as exc:
            error = "not_in_queue" if isinstance(exc, NotFound) else exc.code
            return _page(web, request, "console_message.html", tr, _ERROR_STATUS.get(exc.code, 400), error=error)
        response = _page(web, request, "console_message.html", tr)  # empty: the live state shows the change
        response.headers["HX-Trigger"] = "console-refresh"  # and the state fragment reloads at once
        return response

    @router.post("/console/login")
    async def queue_login(request: Request, user: CurrentUser) -> Response:
        return await act(request, user, "login")

    @router.post("/console/logout")
    async def queue_logout(request: Request, user: CurrentUser) -> Response:
        return await act(request, user, "logout")

    @router.post("/console/pause")
    async def pause(request: Request, user: CurrentUser, reason: Annotated[str, Form(max_length=60)] = "") -> Response:
        return await act(request, user, "pause", reason)

    @router.post("/console/unpause")
    async def unpause(request: Request, user: CurrentUser) -> Response:
        return await act(request, user, "unpause")

    return router


async def dispatch_view(ticket: Ticket, directory: AgencyDirectory,
                        dispatcher: DispatchService | None) -> dict[str, Any]:
    """What the card's dispatch section shows: the agencies proposed for the category first (the others on
    request), each dispatch with its live sub-status, and whether the ticket may be closed. The rules are
    ``ec112.routing.agencies.dispatch_options``; this only fetches and hands them to the template."""
    if dispatcher is None:
        return {"dispatching": False}
    dispatches = await dispatcher.of_ticket(ticket)
    options = dispatch_options(ticket, dispatches, directory)
    return {
        "dispatching": True,
        "dispatchable": options.dispatchable,
        "finished": options.finished,
        "dispatches": dispatches,
        "proposed": options.proposed,
        "other_agencies": options.others,
        "open_codes": options.open_codes,
        "can_close": options.closable,
    }
