"""Tickets over HTTP: search and paging, one ticket, its timeline, the caller's previous calls, classification."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from ec112.domain.errors import InvalidRequest
from ec112.domain.ticket_query import MAX_PAGE, TicketQuery
from ec112.domain.ticket_work import Classification, ClassificationInput
from ec112.domain.tickets import TicketStatus
from ec112.routing.agencies import AgencyDirectory
from ec112.routing.current_agencies import CurrentAgencies
from ec112.services.ticket_desk import TicketDesk
from ec112.web.auth import TicketViewer, TicketWorker
from ec112.web.schemas import ErrorOut, TicketOut


class ClassificationIn(BaseModel):
    classification: Classification
    category: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=4000)
    revision: int | None = Field(default=None, ge=0, description="the revision you read; 409 when stale")


class TimelineOut(BaseModel):
    at: datetime
    kind: str
    actor: str | None
    data: dict[str, Any]


class CategoryOut(BaseModel):
    code: str
    label_id: str
    label_en: str
    agencies: list[str] = Field(default_factory=list, description="agency codes with authority, proposed first")


def tickets_router(desk: TicketDesk, *, prefix: str, tz: tzinfo,
                   directory: AgencyDirectory | CurrentAgencies) -> APIRouter:
    agencies = CurrentAgencies.of(directory)
    router = APIRouter(prefix="/api", tags=["tickets"])

    def out(ticket: Any) -> TicketOut:
        return TicketOut.from_ticket(ticket, prefix)

    @router.get("/tickets", response_model=list[TicketOut])
    async def list_tickets(
        _user: TicketViewer,
        response: Response,
        q: Annotated[str | None, Query(max_length=100, description="number, caller, or words")] = None,
        status: TicketStatus | None = None,
        classification: Classification | None = None,
        date_from: Annotated[date | None, Query(alias="from", description="local date, inclusive")] = None,
        date_to: Annotated[date | None, Query(alias="to", description="local date, inclusive")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[TicketOut]:
        """Newest first. ``X-Total-Count`` says how many match in all (for paging) when there are at most
        ``offset`` + 1000 (with ``q``: ``offset`` + ``limit``); beyond, counting would cost more than the page:
        ``X-Total-Count-More-Than`` gives that bound instead."""
        query = TicketQuery(
            text=q, status=status, classification=classification,
            arrived_from=_local_midnight(date_from, tz) if date_from else None,
            arrived_to=_local_midnight(date_to, tz, days_after=1) if date_to else None,
            limit=limit, offset=offset,
        )
        found, total = await desk.search(query)
        if total > query.count_ceiling:
            response.headers["X-Total-Count-More-Than"] = str(query.count_ceiling)
        else:
            response.headers["X-Total-Count"] = str(total)
        return [out(t) for t in found]

    @router.get("/tickets/{ticket_ref}", response_model=TicketOut, responses={404: {"model": ErrorOut}})
    async def get_ticket(ticket_ref: str, _user: TicketViewer) -> TicketOut:
        """A ticket by id (``42``) or by its number (``112-261127-00042``)."""
        return out(await desk.find(ticket_ref))

    @router.get("/tickets/{ticket_ref}/timeline", response_model=list[TimelineOut],
                responses={404: {"model": ErrorOut}})
    async def timeline(ticket_ref: str, _user: TicketViewer) -> list[TimelineOut]:
        """Arrival, queue, answer, end, and every change with who made it, oldest first."""
        entries = await desk.timeline(await desk.find(ticket_ref))
        return [TimelineOut(at=e.at, kind=e.kind, actor=e.actor, data=e.data) for e in entries]

    @router.get("/tickets/{ticket_ref}/previous", response_model=list[TicketOut],
                responses={404: {"model": ErrorOut}})
    async def previous(ticket_ref: str, _user: TicketViewer) -> list[TicketOut]:
        """Earlier tickets of the same caller number (newest first), with how each was classified."""
        return [out(t) for t in await desk.previous_calls(await desk.find(ticket_ref))]

    @router.post("/tickets/{ticket_ref}/classification", response_model=TicketOut,
                 responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    async def classify(ticket_ref: str, body: ClassificationIn, user: TicketWorker) -> TicketOut:
        """Classify the call (darurat needs a category); 409 when someone changed the ticket meanwhile."""
        change = ClassificationInput(body.classification, body.category, body.address, body.description)
        return out(await desk.classify(ticket_ref, change, revision=body.revision, actor=user.username))

    @router.get("/categories", response_model=list[CategoryOut])
    async def categories(_user: TicketViewer) -> list[CategoryOut]:
        """Emergency categories, in the centre's order, each with the agencies that have authority for it."""
        directory = agencies.directory
        return [CategoryOut(code=c.code, label_id=c.label_id, label_en=c.label_en,
                            agencies=[a.code for a in directory.with_authority(c.code)]) for c in desk.categories.all()]

    return router


def _local_midnight(day: date, tz: tzinfo, days_after: int = 0) -> datetime:
    try:
        return datetime.combine(day + timedelta(days=days_after), time(0), tz)
    except (OverflowError, ValueError) as exc:
        raise InvalidRequest(f"date out of range: {day}") from exc
