"""The supervisor's wallboard: the queue and its waiting callers, the call takers, today's and this shift's
KPIs with red/amber/green, the open tickets by status, the dispatch alarms (an agency that has not
acknowledged in time, with how long it is overdue) and the 60-second call-processing target — live.

The page is rendered whole on the server. Each panel is also a fragment (``/wallboard/panel/{name}``) that
htmx fetches again when the live stream (``/api/events``, htmx-ext-sse) says its part changed, and on every
``snapshot`` and ``reload`` event: a new or re-established connection starts with a snapshot, so after any
reconnect (a network drop, an ec112 restart) every panel is re-read from the server and the board is right
again whatever it missed. ``static/js/wallboard.js`` only makes the timers tick between fragments and shows
when the browser has lost the stream.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ec112.domain.accounts import Permission, has_permission
from ec112.domain.errors import NotFound
from ec112.domain.kpi_ratings import KpiThresholds, higher_pct
from ec112.domain.presence import AgentState
from ec112.domain.ticket_query import TicketQuery
from ec112.domain.tickets import TicketStatus
from ec112.routing.no_answer import NO_ANSWER_REASON
from ec112.services.dispatch import DispatchService
from ec112.services.dispatch_reports import DispatchReports
from ec112.services.kpis import KpiService
from ec112.services.no_answer import NoAnswerGuard
from ec112.services.presence import PresenceService
from ec112.services.ticket_desk import TicketDesk
from ec112.web.auth import Auth, WebAuth
from ec112.web.i18n import Translator
from ec112.web.pages import _page, _translator
from ec112.web.ticket_pages import error_page, fmt_duration, iso_ms

# NFPA 1225: answer → dispatch within 60 s for 90 % of the tickets; amber is the early warning.
CALL_PROCESSING = higher_pct(90.0, 80.0)
STATE_ORDER = (AgentState.ON_CALL, AgentState.RINGING, AgentState.WRAP_UP, AgentState.AVAILABLE,
               AgentState.PAUSED, AgentState.UNREACHABLE)


class Wallboard:
    """What each panel shows, read fresh from presence, the KPIs and the tickets at every request."""

    def __init__(self, web: WebAuth, presence: PresenceService, kpis: KpiService, desk: TicketDesk,
                 thresholds: KpiThresholds, clock: Callable[[], datetime] = lambda: datetime.now(UTC), *,
                 dispatcher: DispatchService | None = None, reports: DispatchReports | None = None,
                 no_answer: NoAnswerGuard | None = None) -> None:
        self.web = web
        self.no_answer = no_answer
        self.presence = presence
        self.kpis = kpis
        self.desk = desk
        self.thresholds = thresholds
        self.clock = clock
        self.dispatcher = dispatcher
        self.reports = reports
        self.panels: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
            "status": self.status, "queue": self.queue, "agents": self.agents, "kpis": self.kpi_panel,
            "tickets": self.tickets, "alarms": self.alarms, "dispatch": self.dispatch_panel,
        }

    async def status(self) -> dict[str, Any]:
        return {"ami_down_since": self.presence.ami_down_since}

    async def queue(self) -> dict[str, Any]:
        snap = self.presence.snapshot()
        arrived = {c.linkedid: c.started_at for c in snap.calls}
        # The citizen waits from the first ring (intake included), as the KPIs count it; the queue entry
        # time only when the call's arrival is unknown.
        waiting = [{"caller": w, "since": arrived.get(w.linkedid, w.joined_at)} for w in snap.queue.waiting]
        states = Counter(c.state for c in snap.calls)
        return {"queue": snap.queue, "waiting": waiting, "in_intake": states["intake"],
                "talking": states["talking"], "wait_limits": self.thresholds.longest_wait_seconds}

    async def agents(self) -> dict[str, Any]:
        snap = self.presence.snapshot()
        names = {u.sip_endpoint: u.display_name for u in await self.web.users.list()
                 if u.sip_endpoint and not u.disabled}
        counts = Counter(a.state for a in snap.agents)
        return {"agents": snap.agents, "names": names, "state_counts": [(s, counts[s]) for s in STATE_ORDER]}

    async def kpi_panel(self) -> dict[str, Any]:
        periods = await self.kpis.current()
        rated = [{"period": p, "kpis": p.kpis, "ratings": self.thresholds.rate(p.kpis)} for p in periods]
        longest = periods[0].kpis.longest_current_wait_seconds if periods else None
        since = self.clock() - timedelta(seconds=longest) if longest is not None else None
        return {"periods": rated, "longest_wait": longest, "longest_since": since,
                "longest_rating": self.thresholds.longest_wait_seconds.rate(longest), "thresholds": self.thresholds}

    async def tickets(self) -> dict[str, Any]:
        """Open tickets by status (all of them, however old: an old one still open is the one to chase),
        and how many were closed today (local day)."""
        tz = self.web.i18n.tz
        midnight = datetime.combine(self.clock().astimezone(tz).date(), time(0), tz)
        counts = {}
        for status, since in ((TicketStatus.NEW, None), (TicketStatus.CLASSIFIED, None),
                              (TicketStatus.CLOSED, midnight)):
            _found, total = await self.desk.search(TicketQuery(status=status, arrived_from=since, limit=1))
            counts[status.value] = total
        return {"counts": counts}

    async def alarms(self) -> dict[str, Any]:
        """Dispatches past their acknowledgement deadline: red until the agency acknowledges. Call takers paused
        because they let a 112 call ring out (until resumed), and those who rang out but were kept in the
        queue as the last ones serving (for a quarter of an hour)."""
        no_answer = [a for a in self.presence.snapshot().agents if a.paused_reason == NO_ANSWER_REASON]
        kept = self.no_answer.recent_kept() if self.no_answer else []
        return {"alarms": await self._dispatch_alarms(), "no_answer": no_answer, "kept": kept}

    async def _dispatch_alarms(self) -> list[dict[str, Any]]:
        found = []
        for d in await self.dispatcher.alarms() if self.dispatcher else []:
            try:
                number = self.desk.number(await self.desk.find(str(d.ticket_id)))
            except NotFound:
                number = str(d.ticket_id)
            agency = self.dispatcher.directory.get(d.agency) if self.dispatcher else None
            found.append({"d": d, "number": number, "agency": agency.short_name if agency else d.agency,
                          "contact": agency.alternate_contact if agency else None,
                          "overdue": (self.clock() - d.ack_deadline).total_seconds()})
        return found

    async def dispatch_panel(self) -> dict[str, Any]:
        """Today's and this shift's share of tickets dispatched within 60 s of the answer."""
        periods = await self.reports.kpis() if self.reports else []
        rows = [{"period": p, "cp": p.call_processing,
                 "rating": CALL_PROCESSING.rate(p.call_processing.pct_within_target)} for p in periods]
        return {"processing": rows, "cp_threshold": CALL_PROCESSING, "dispatching": self.reports is not None}

    async def context(self, names: tuple[str, ...]) -> dict[str, Any]:
        tz = self.web.i18n.tz
        context: dict[str, Any] = {"now": self.clock(), "iso": iso_ms, "duration": fmt_duration,
                                   "local_time": lambda at: at.astimezone(tz).strftime("%H:%M:%S")}
        for name in names:
            context.update(await self.panels[name]())
        return context


def wallboard_router(web: WebAuth, presence: PresenceService, kpis: KpiService, desk: TicketDesk,
                     thresholds: KpiThresholds, *, dispatcher: DispatchService | None = None,
                     reports: DispatchReports | None = None, no_answer: NoAnswerGuard | None = None) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    board = Wallboard(web, presence, kpis, desk, thresholds, dispatcher=dispatcher, reports=reports,
                      no_answer=no_answer)

    def allowed(who: Any) -> bool:
        return has_permission(who.user, Permission.VIEW_WALLBOARD)

    @router.get("/wallboard", response_class=HTMLResponse)
    async def wallboard(request: Request, who: Auth) -> Response:
        tr = _translator(web, request)
        if not allowed(who):
            return error_page(web, request, tr, 403)
        return _page(web, request, "wallboard.html", tr, **await board.context(tuple(board.panels)))

    @router.get("/wallboard/panel/{name}", response_class=HTMLResponse)
    async def panel(name: str, request: Request, who: Auth) -> Response:
        """One panel's HTML, for htmx to swap in (no layout)."""
        tr: Translator = _translator(web, request)
        if not allowed(who):
            return error_page(web, request, tr, 403)
        if name not in board.panels:
            return error_page(web, request, tr, 404)
        html = web.i18n.render(f"wallboard_{name}.html", tr, **await board.context((name,)))
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "Content-Language": tr.language.value})

    return router
