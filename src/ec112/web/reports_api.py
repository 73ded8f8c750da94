"""Reports over HTTP: the chain KPIs per agency/responder (with the 60 s call-processing target) and the
EIDO-style export of a ticket."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from ec112.services.dispatch_reports import DispatchReports
from ec112.web.auth import KpiViewer, TicketViewer
from ec112.web.live_feed import to_json
from ec112.web.schemas import ErrorOut


def reports_router(reports: DispatchReports) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["reports"])

    @router.get("/kpis/dispatch")
    async def dispatch_kpis(_user: KpiViewer) -> list[dict[str, Any]]:
        """Today and this shift: answer→dispatch, dispatch→ack, ack→responding, responding→resolved (median,
        p90 seconds) per agency and per responder, and the share of tickets dispatched within 60 s of answer."""
        return [to_json(asdict(p)) for p in await reports.kpis()]

    @router.get("/tickets/{ticket_ref}/export", responses={404: {"model": ErrorOut}})
    async def export(ticket_ref: str, _user: TicketViewer) -> dict[str, Any]:
        """The ticket as an EIDO-style JSON document (incident, call, location, caller, agencies, timeline)."""
        return await reports.export(ticket_ref)

    return router
