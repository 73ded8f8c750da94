"""Drills over HTTP (issue 14, docs/room.md C): what ``ec112 drill run`` registers, and the drill report.

``POST /api/drills`` {scenario: the TOML text} → the run (supervisors and admins); ``POST /api/drills/{id}/calls``
{position, placed_at?} as the runner places each call; ``POST /api/drills/{id}/end``; ``GET /api/drills``;
``GET /api/drills/{id}/report`` (JSON) and ``GET /drills/{id}/report`` (the page): per call and per participant,
the scenario's expectations side by side with what was done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.drill_report import CallResult, DrillReport
from ec112.services.drills import MAX_SCENARIO_BYTES, DrillRun, DrillService
from ec112.web.auth import Auth, KpiViewer, WebAuth, require
from ec112.web.pages import _page, _translator
from ec112.web.ticket_pages import error_page

Conductor = Annotated[User, Depends(require(Permission.AGENT_ANY))]  # supervisors and admins run drills


class DrillIn(BaseModel):
    scenario: str = Field(min_length=1, max_length=MAX_SCENARIO_BYTES)


class PlacedIn(BaseModel):
    position: int = Field(ge=0, le=1000)
    placed_at: datetime | None = None  # an aware time; now when left out


def run_json(run: DrillRun) -> dict[str, Any]:
    return {"id": run.id, "name": run.name, "started_by": run.started_by, "started_at": run.started_at.isoformat(),
            "ended_at": run.ended_at.isoformat() if run.ended_at else None, "placed": len(run.placed)}


def report_json(run: DrillRun, report: DrillReport, number: Any) -> dict[str, Any]:
    return {"drill": run_json(run), "name": report.name, "unanswered": report.unanswered,
            "calls": [_call(c, number) for c in report.calls],
            "participants": [{"taker": p.taker, "calls": p.calls, "avg_answer_seconds": p.avg_answer_seconds,
                              "classification_correct": p.classification_correct,
                              "dispatch_correct": p.dispatch_correct, "avg_dispatch_seconds": p.avg_dispatch_seconds}
                             for p in report.participants]}


def _call(c: CallResult, number: Any) -> dict[str, Any]:
    t = c.ticket
    return {"position": c.position, "caller": c.caller, "placed_at": c.placed_at.isoformat() if c.placed_at else None,
            "expect": {"classification": c.expect.classification, "category": c.expect.category,
                       "agencies": list(c.expect.agencies), "within_seconds": c.expect.within_seconds},
            "ticket": number(t) if t else None, "taker": c.taker, "answer_seconds": c.answer_seconds,
            "classification": t.classification if t else None, "category": t.category if t else None,
            "dispatched": list(c.dispatched), "classification_ok": c.classification_ok,
            "dispatch_ok": c.dispatch_ok, "dispatch_seconds": c.dispatch_seconds, "within_ok": c.within_ok}


def drills_router(web: WebAuth, drills: DrillService, *, prefix: str) -> APIRouter:
    router = APIRouter()

    def number(ticket: Any) -> str:
        return str(ticket.number(prefix))

    @router.post("/api/drills", status_code=201)
    async def start(body: DrillIn, who: Conductor) -> dict[str, Any]:
        return run_json(await drills.start(body.scenario, who.username))

    @router.get("/api/drills")
    async def recent(_who: KpiViewer) -> list[dict[str, Any]]:
        return [run_json(r) for r in await drills.recent()]

    @router.post("/api/drills/{run_id}/calls", status_code=204)
    async def placed(run_id: int, body: PlacedIn, _who: Conductor) -> None:
        await drills.call_placed(run_id, body.position, body.placed_at)

    @router.post("/api/drills/{run_id}/end")
    async def end(run_id: int, who: Conductor) -> dict[str, Any]:
        return run_json(await drills.end(run_id, who.username))

    @router.get("/api/drills/{run_id}/report")
    async def report(run_id: int, _who: KpiViewer) -> dict[str, Any]:
        run, found = await drills.report(run_id)
        return report_json(run, found, number)

    @router.get("/drills/{run_id}/report", response_class=HTMLResponse, include_in_schema=False)
    async def report_page(request: Request, run_id: int, who: Auth) -> Response:
        tr = _translator(web, request)
        if not has_permission(who.user, Permission.VIEW_KPIS):
            return error_page(web, request, tr, 403)
        run, found = await drills.report(run_id)
        return _page(web, request, "drill_report.html", tr, report=report_json(run, found, number))

    return router
