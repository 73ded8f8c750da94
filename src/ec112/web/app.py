"""FastAPI app factory: JSON API, health endpoints, metrics. Built by the composition root."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.responses import Response

from ec112.domain.errors import DomainError, InvalidRequest, NotFound, Unavailable
from ec112.domain.tickets import parse_ticket_number
from ec112.services.agents import AgentService
from ec112.services.health import Readiness
from ec112.services.kpis import KpiService
from ec112.services.ports import TicketRepository
from ec112.services.presence import PresenceService
from ec112.web.live import live_router
from ec112.web.schemas import ComponentOut, ErrorOut, KpiOut, MembershipOut, PauseIn, ReadyOut, TicketOut

_STATUS = {NotFound.code: 404, InvalidRequest.code: 422, Unavailable.code: 503}


@dataclass(frozen=True, slots=True)
class WebDeps:
    tickets: TicketRepository
    agents: AgentService
    readiness: Readiness
    ticket_prefix: str
    metrics: CollectorRegistry
    kpis: KpiService
    presence: PresenceService


def create_app(deps: WebDeps) -> FastAPI:
    app = FastAPI(title="ec112", version="0.1.0", summary="112 emergency call handling on Asterisk")
    app.include_router(live_router(deps.presence))

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        body = ErrorOut(code=exc.code, message=exc.message)
        return JSONResponse(body.model_dump(), status_code=_STATUS.get(exc.code, 400))

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

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(deps.metrics), media_type=CONTENT_TYPE_LATEST)

    @app.get("/api/tickets", response_model=list[TicketOut])
    async def list_tickets(
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[TicketOut]:
        tickets = await deps.tickets.list_recent(limit=limit, offset=offset)
        return [TicketOut.from_ticket(t, deps.ticket_prefix) for t in tickets]

    @app.get("/api/tickets/{ticket_ref}", response_model=TicketOut, responses={404: {"model": ErrorOut}})
    async def get_ticket(ticket_ref: str) -> TicketOut:
        """A ticket by id (``42``) or by its number (``112-261127-00042``)."""
        ticket_id = int(ticket_ref) if ticket_ref.isdigit() else parse_ticket_number(ticket_ref)
        ticket = await deps.tickets.get(ticket_id) if ticket_id is not None else None
        if ticket is None or (not ticket_ref.isdigit() and ticket.number(deps.ticket_prefix) != ticket_ref):
            raise NotFound(f"no ticket {ticket_ref}")
        return TicketOut.from_ticket(ticket, deps.ticket_prefix)

    @app.post("/api/agents/{endpoint}/login", response_model=MembershipOut)
    async def agent_login(endpoint: str) -> MembershipOut:
        change = await deps.agents.login(endpoint)
        return MembershipOut(endpoint=change.endpoint, queue=change.queue, changed=change.changed)

    @app.post("/api/agents/{endpoint}/logout", response_model=MembershipOut)
    async def agent_logout(endpoint: str) -> MembershipOut:
        change = await deps.agents.logout(endpoint)
        return MembershipOut(endpoint=change.endpoint, queue=change.queue, changed=change.changed)

    @app.get("/api/pause-reasons", response_model=list[str])
    async def pause_reasons() -> list[str]:
        return list(deps.agents.pause_reasons)

    @app.post("/api/agents/{endpoint}/pause", status_code=204, responses={422: {"model": ErrorOut}})
    async def agent_pause(endpoint: str, body: PauseIn) -> Response:
        await deps.agents.pause(endpoint, body.reason)
        return Response(status_code=204)

    @app.post("/api/agents/{endpoint}/unpause", status_code=204)
    async def agent_unpause(endpoint: str) -> Response:
        await deps.agents.unpause(endpoint)
        return Response(status_code=204)

    @app.get("/api/kpis", response_model=list[KpiOut])
    async def kpis() -> list[KpiOut]:
        """KPIs for today and for the current shift (emergency definitions: timed from call arrival)."""
        return [
            KpiOut(period=p.name, start=p.start, end=p.end, **{
                k: getattr(p.kpis, k) for k in KpiOut.model_fields if k not in {"period", "start", "end"}
            })
            for p in await deps.kpis.current()
        ]

    return app
