"""FastAPI app factory: JSON API, health endpoints, metrics. Built by the composition root."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from ec112.domain.accounts import Permission
from ec112.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from ec112.domain.kpi_ratings import KpiThresholds
from ec112.domain.presence import AgentState
from ec112.routing.agencies import AgencyDirectory
from ec112.routing.current_agencies import CurrentAgencies
from ec112.routing.geography import Geography
from ec112.services.agency_admin import AgencyAdmin
from ec112.services.agents import AgentService
from ec112.services.callbacks import CallbackService
from ec112.services.dispatch import DispatchService
from ec112.services.dispatch_reports import DispatchReports
from ec112.services.drills import DrillService
from ec112.services.health import Readiness
from ec112.services.junk_calls import JunkCallService
from ec112.services.junk_watch import JunkWatch
from ec112.services.known_incidents import KnownIncidentService
from ec112.services.kpis import KpiService
from ec112.services.locations import LocationService
from ec112.services.no_answer import NoAnswerGuard
from ec112.services.notifications import DeliveryLog
from ec112.services.presence import PresenceService
from ec112.services.recordings import RecordingService
from ec112.services.replay import ReplayService
from ec112.services.reports import ReportService
from ec112.services.silent_calls import SilentCallService
from ec112.services.softphones import SoftphoneDesk
from ec112.services.spy import SpyService
from ec112.services.text_to_112 import TextService
from ec112.services.ticket_desk import TicketDesk
from ec112.web.admin_api import admin_router
from ec112.web.admin_users import admin_users_router
from ec112.web.agencies_admin import agencies_admin_router
from ec112.web.agencies_api import agencies_router
from ec112.web.aml_api import AmlOptions, aml_router
from ec112.web.auth import AuthMiddleware, CurrentUser, KpiViewer, WebAuth, require
from ec112.web.callbacks_web import callbacks_router
from ec112.web.console import ConsoleOptions, console_router
from ec112.web.dispatch_api import dispatch_router
from ec112.web.drills_api import drills_router
from ec112.web.field_pages import field_router
from ec112.web.geo_api import geo_router
from ec112.web.i18n import STATIC_DIR
from ec112.web.incidents_api import incidents_router
from ec112.web.incidents_pages import incidents_pages_router
from ec112.web.junk_api import junk_router
from ec112.web.live import live_router
from ec112.web.live_feed import LiveFeed
from ec112.web.locations_api import locations_router
from ec112.web.pages import pages_router
from ec112.web.photos import PhotoStore, photos_router
from ec112.web.recordings_api import recordings_router
from ec112.web.replay_api import replay_router
from ec112.web.report_pages import report_pages_router
from ec112.web.reports_api import reports_router
from ec112.web.schemas import ComponentOut, ErrorOut, KpiOut, MembershipOut, PauseIn, ReadyOut
from ec112.web.silent_api import silent_router
from ec112.web.softphone_pages import softphone_router
from ec112.web.spy_api import spy_router
from ec112.web.spy_panel import spy_panel_router
from ec112.web.text_api import text_router
from ec112.web.ticket_pages import ticket_pages_router
from ec112.web.tickets_api import tickets_router
from ec112.web.wallboard import wallboard_router
from ec112.web.webhooks_api import webhooks_router

_STATUS = {
    NotFound.code: 404, InvalidRequest.code: 422, Unavailable.code: 503, Conflict.code: 409,
    Unauthorized.code: 401, Forbidden.code: 403, RateLimited.code: 429,
}


@dataclass(frozen=True, slots=True)
class WebDeps:
    desk: TicketDesk  # tickets: search, classification, timeline
    agents: AgentService
    readiness: Readiness
    ticket_prefix: str
    metrics: CollectorRegistry
    kpis: KpiService
    presence: PresenceService
    feed: LiveFeed  # the live stream: the bus's events serialised once, fanned out to SSE clients
    web: WebAuth  # accounts: sessions, tokens, audit, templates (web/auth.py)
    thresholds: KpiThresholds = field(default_factory=KpiThresholds)  # wallboard KPI colours ([wallboard])
    console: ConsoleOptions = field(default_factory=ConsoleOptions)  # the call taker's console: wrap-up, map
    directory: AgencyDirectory | CurrentAgencies = field(default_factory=lambda: AgencyDirectory(()))  # in force
    # The agencies admin pages (web/agencies_admin.py): the service, and whether an agency's webhook secret is set.
    agency_admin: tuple[AgencyAdmin, Callable[[str], bool]] | None = None
    deliveries: DeliveryLog | None = None  # the webhook delivery log (GET /api/webhook-deliveries)
    dispatcher: DispatchService | None = None  # dispatch to agencies (web/dispatch_api.py)
    reports: DispatchReports | None = None  # chain KPIs, EIDO-style export
    photos: PhotoStore | None = None  # responders' photos (web/photos.py), under var_dir
    no_answer: NoAnswerGuard | None = None  # takers who rang out and were kept (wallboard alarms)
    geography: Geography | None = None  # boundaries, gazetteer, jurisdiction (web/geo_api.py)
    locations: LocationService | None = None  # every location of a ticket (web/locations_api.py)
    aml: AmlOptions | None = None  # the AML intakes (web/aml_api.py); needs ``locations``
    texts: TextService | None = None  # text to 112: conversations and answers (web/text_api.py)
    silent: SilentCallService | None = None  # the "silent caller" button (web/silent_api.py)
    callbacks: CallbackService | None = None  # callback tasks (web/callbacks_web.py)
    junk: tuple[JunkCallService, JunkWatch] | None = None  # junk-call measures, scores, waves (web/junk_api.py)
    incidents: KnownIncidentService | None = None  # known incidents: API, page, banners (web/incidents_*.py)
    recordings: RecordingService | None = None  # 112 calls' recordings: replay, info (web/recordings_api.py)
    spy: SpyService | None = None  # listen, whisper, barge (web/spy_api.py; issue 14)
    room_reports: ReportService | None = None  # reports by day/shift/taker/agency, CSV, monthly (web/report_pages.py)
    replay: ReplayService | None = None  # the replayable incident timeline (issue 14 E, web/replay_api.py)
    drills: DrillService | None = None  # drill runs and their report (web/drills_api.py, issue 14 part C)
    softphones: SoftphoneDesk | None = None  # softphone provisioning pages (web/softphone_pages.py, issue 17)


def create_app(deps: WebDeps) -> FastAPI:
    app = FastAPI(title="ec112", version="0.1.0", summary="112 emergency call handling on Asterisk")
    app.add_middleware(AuthMiddleware, web=deps.web)  # default deny: see web/auth.py
    app.include_router(live_router(deps.presence, deps.feed), dependencies=[Depends(require(Permission.VIEW_LIVE))])
    app.include_router(pages_router(deps.web))
    app.include_router(console_router(deps.web, presence=deps.presence, agents=deps.agents, desk=deps.desk,
                                      prefix=deps.ticket_prefix, options=deps.console, directory=deps.directory,
                                      dispatcher=deps.dispatcher))
    app.include_router(admin_router(deps.web))
    app.include_router(admin_users_router(deps.web, deps.directory))
    if deps.softphones is not None:
        app.include_router(softphone_router(deps.web, deps.softphones))
    app.include_router(tickets_router(deps.desk, prefix=deps.ticket_prefix, tz=deps.web.i18n.tz,
                                      directory=deps.directory))
    if deps.agency_admin is not None:  # before /api/agencies: its /api/agencies/document
        app.include_router(agencies_admin_router(deps.web, *deps.agency_admin))
    app.include_router(agencies_router(deps.directory, deps.desk.categories))
    if deps.geography is not None:
        app.include_router(geo_router(deps.geography, deps.directory))
    if deps.junk is not None:  # before the wallboard's /wallboard/panel/{name}
        app.include_router(junk_router(deps.web, *deps.junk, deps.presence, deps.desk))
    app.include_router(wallboard_router(deps.web, deps.presence, deps.kpis, deps.desk, deps.thresholds,
                                        dispatcher=deps.dispatcher, reports=deps.reports, no_answer=deps.no_answer))
    app.include_router(ticket_pages_router(deps.web, deps.desk, prefix=deps.ticket_prefix,
                                           replay=deps.replay is not None,
                                           map_tiles=(deps.console.map_tile_url, deps.console.map_attribution)))
    if deps.deliveries is not None:
        app.include_router(webhooks_router(deps.deliveries))
    if deps.dispatcher is not None:
        app.include_router(dispatch_router(deps.dispatcher, deps.desk, prefix=deps.ticket_prefix,
                                           photos=deps.photos))
        app.include_router(field_router(deps.web, deps.dispatcher, deps.desk, deps.feed,
                                        photo_max_bytes=deps.photos.max_bytes if deps.photos else 0))
        if deps.photos is not None:
            app.include_router(photos_router(deps.dispatcher, deps.photos))
    if deps.reports is not None:
        app.include_router(reports_router(deps.reports))
    if deps.locations is not None:
        app.include_router(locations_router(deps.locations, deps.desk, prefix=deps.ticket_prefix))
        if deps.aml is not None:
            app.include_router(aml_router(deps.locations, deps.web, deps.aml))
    if deps.texts is not None:
        app.include_router(text_router(deps.web, deps.texts, deps.desk, prefix=deps.ticket_prefix))
    if deps.silent is not None:
        app.include_router(silent_router(deps.silent, prefix=deps.ticket_prefix))
    if deps.spy is not None:
        app.include_router(spy_router(deps.spy))
        app.include_router(spy_panel_router(deps.web, deps.spy, deps.presence))
    if deps.callbacks is not None:
        app.include_router(callbacks_router(deps.web, deps.callbacks, free_takers=lambda: [
            (a.endpoint, a.since) for a in deps.presence.snapshot().agents if a.state is AgentState.AVAILABLE]))
    if deps.incidents is not None:
        app.include_router(incidents_router(deps.incidents, deps.desk))
        app.include_router(incidents_pages_router(deps.web, deps.incidents, deps.desk, deps.geography))
    if deps.recordings is not None:
        app.include_router(recordings_router(deps.recordings, prefix=deps.ticket_prefix))
    if deps.room_reports is not None:  # agency names as at the start (a report names the agencies of its time)
        in_force = CurrentAgencies.of(deps.directory).directory
        app.include_router(report_pages_router(deps.web, deps.room_reports, category_label=deps.desk.category_label,
                                               agency_names={a.code: a.name for a in in_force.agencies}))
    if deps.replay is not None:
        app.include_router(replay_router(deps.replay))
    if deps.drills is not None:
        app.include_router(drills_router(deps.web, deps.drills, prefix=deps.ticket_prefix))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        body = ErrorOut(code=exc.code, message=exc.message)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return JSONResponse(body.model_dump(), status_code=_STATUS.get(exc.code, 400), headers=headers)

    @app.get("/healthz")
    async def healthz() -> dict[str, object]:
        """Liveness: the event loop answers. ``pid`` is the worker process (the watchdog's child)."""
        return {"status": "ok", "pid": os.getpid()}

    @app.get("/readyz", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
    async def readyz() -> JSONResponse:
        parts = await deps.readiness()
        body = ReadyOut(
            ready=all(p.ok for p in parts.values()),
            components={k: ComponentOut(ok=v.ok, detail=v.detail, since=v.since) for k, v in parts.items()},
        )
        return JSONResponse(body.model_dump(mode="json"), status_code=200 if body.ready else 503)

    @app.get("/metrics", include_in_schema=False, dependencies=[Depends(require(Permission.VIEW_METRICS))])
    async def metrics() -> Response:
        return Response(generate_latest(deps.metrics), media_type=CONTENT_TYPE_LATEST)

    @app.post("/api/agents/{endpoint}/login", response_model=MembershipOut)
    async def agent_login(endpoint: str, user: CurrentUser) -> MembershipOut:
        change = await deps.agents.login(endpoint, by=user)
        return MembershipOut(endpoint=change.endpoint, queue=change.queue, changed=change.changed)

    @app.post("/api/agents/{endpoint}/logout", response_model=MembershipOut)
    async def agent_logout(endpoint: str, user: CurrentUser) -> MembershipOut:
        change = await deps.agents.logout(endpoint, by=user)
        return MembershipOut(endpoint=change.endpoint, queue=change.queue, changed=change.changed)

    @app.get("/api/pause-reasons", response_model=list[str])
    async def pause_reasons(_user: CurrentUser) -> list[str]:
        return list(deps.agents.pause_reasons)

    @app.post("/api/agents/{endpoint}/pause", status_code=204, responses={422: {"model": ErrorOut}})
    async def agent_pause(endpoint: str, body: PauseIn, user: CurrentUser) -> Response:
        await deps.agents.pause(endpoint, body.reason, by=user)
        return Response(status_code=204)

    @app.post("/api/agents/{endpoint}/unpause", status_code=204)
    async def agent_unpause(endpoint: str, user: CurrentUser) -> Response:
        await deps.agents.unpause(endpoint, by=user)
        return Response(status_code=204)

    @app.get("/api/kpis", response_model=list[KpiOut])
    async def kpis(_user: KpiViewer) -> list[KpiOut]:
        """KPIs for today and for the current shift (emergency definitions: timed from call arrival)."""
        return [
            KpiOut(period=p.name, start=p.start, end=p.end, **{
                k: getattr(p.kpis, k) for k in KpiOut.model_fields if k not in {"period", "start", "end"}
            })
            for p in await deps.kpis.current()
        ]

    return app
