"""Dispatch over HTTP: send a ticket to agencies, the agency's acknowledgement and assignment, the
responder's steps, closing a ticket. Roles are checked and every change audited by ``DispatchService``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.dispatch import Dispatch, DispatchStatus
from ec112.domain.errors import Forbidden, InvalidRequest
from ec112.services.dispatch import DispatchService
from ec112.services.ticket_desk import TicketDesk
from ec112.web.auth import CurrentUser, TicketViewer
from ec112.web.photos import PHOTO_NAME, PhotoStore
from ec112.web.schemas import ErrorOut, TicketOut

_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}, 422: {"model": ErrorOut}}


class DispatchOut(BaseModel):
    id: int
    ticket_id: int
    agency: str
    agency_name: str | None
    status: str
    dispatched_at: datetime
    dispatched_by: str
    ack_deadline: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    responder: str | None
    responding_at: datetime | None
    processing_at: datetime | None
    resolved_at: datetime | None
    resolution_note: str | None
    cancelled_at: datetime | None
    escalation: int  # 0 none, 1 supervisor alarm, 2 alternate contact notified
    revision: int


class WorkItemOut(BaseModel):
    """An officer's or responder's dispatch with the ticket it is about."""

    dispatch: DispatchOut
    ticket: TicketOut


class DispatchIn(BaseModel):
    agencies: Annotated[list[Annotated[str, Field(max_length=32)]], Field(min_length=1, max_length=12)]
    revision: int | None = Field(default=None, ge=0)


class AssignIn(BaseModel):
    responder: str = Field(max_length=40)


class AdvanceIn(BaseModel):
    to: DispatchStatus
    note: str | None = Field(default=None, max_length=4000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    photo: str | None = Field(default=None, pattern=f"^{PHOTO_NAME}$",
                              description="a photo uploaded first to POST /api/dispatches/{id}/photos")


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class CloseIn(BaseModel):
    false_call: bool = False
    note: str | None = Field(default=None, max_length=4000)


def dispatch_router(service: DispatchService, desk: TicketDesk, *, prefix: str,
                    photos: PhotoStore | None = None) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["dispatch"])

    def out(d: Dispatch) -> DispatchOut:
        agency = service.directory.get(d.agency)
        return DispatchOut(
            id=d.id, ticket_id=d.ticket_id, agency=d.agency, agency_name=agency.name if agency else None,
            status=d.status.value, dispatched_at=d.dispatched_at, dispatched_by=d.dispatched_by,
            ack_deadline=d.ack_deadline, acknowledged_at=d.acknowledged_at, acknowledged_by=d.acknowledged_by,
            responder=d.responder, responding_at=d.responding_at, processing_at=d.processing_at,
            resolved_at=d.resolved_at, resolution_note=d.resolution_note, cancelled_at=d.cancelled_at,
            escalation=int(d.escalation), revision=d.revision)

    async def work_item(d: Dispatch) -> WorkItemOut:
        return WorkItemOut(dispatch=out(d), ticket=TicketOut.from_ticket(await desk.find(str(d.ticket_id)), prefix))

    async def visible(dispatch_id: int, user: User) -> Dispatch:
        d = await service.get(dispatch_id)
        if has_permission(user, Permission.VIEW_TICKETS) or d.responder == user.username or (
                user.agency is not None and user.agency == d.agency):
            return d
        raise Forbidden("this dispatch belongs to another agency")

    @router.get("/tickets/{ticket_ref}/dispatches", response_model=list[DispatchOut], responses=_ERRORS)
    async def of_ticket(ticket_ref: str, _user: TicketViewer) -> list[DispatchOut]:
        return [out(d) for d in await service.of_ticket(await desk.find(ticket_ref))]

    @router.post("/tickets/{ticket_ref}/dispatches", response_model=list[DispatchOut], responses=_ERRORS)
    async def dispatch(ticket_ref: str, body: DispatchIn, user: CurrentUser) -> list[DispatchOut]:
        """Send the ticket to one or more agencies (each must acknowledge within its time)."""
        return [out(d) for d in await service.dispatch(ticket_ref, body.agencies, user, revision=body.revision)]

    @router.post("/tickets/{ticket_ref}/close", response_model=TicketOut, responses=_ERRORS)
    async def close(ticket_ref: str, body: CloseIn, user: CurrentUser) -> TicketOut:
        """Close a resolved ticket, or close it as a false call (open dispatches are cancelled)."""
        ticket = await service.close(ticket_ref, user, false_call=body.false_call, note=body.note)
        return TicketOut.from_ticket(ticket, prefix)

    @router.get("/dispatches/mine", response_model=list[WorkItemOut])
    async def mine(user: CurrentUser) -> list[WorkItemOut]:
        """An agency officer: her agency's open dispatches; a responder: her open assignments."""
        return [await work_item(d) for d in await service.work_of(user)]

    @router.get("/dispatches/{dispatch_id}", response_model=WorkItemOut, responses=_ERRORS)
    async def one(dispatch_id: int, user: CurrentUser) -> WorkItemOut:
        return await work_item(await visible(dispatch_id, user))

    @router.post("/dispatches/{dispatch_id}/acknowledge", response_model=DispatchOut, responses=_ERRORS)
    async def ack(dispatch_id: int, user: CurrentUser) -> DispatchOut:
        return out(await service.acknowledge(dispatch_id, user))

    @router.post("/dispatches/{dispatch_id}/assign", response_model=DispatchOut, responses=_ERRORS)
    async def assign(dispatch_id: int, body: AssignIn, user: CurrentUser) -> DispatchOut:
        return out(await service.assign(dispatch_id, body.responder, user))

    @router.post("/dispatches/{dispatch_id}/advance", response_model=DispatchOut, responses=_ERRORS)
    async def step(dispatch_id: int, body: AdvanceIn, user: CurrentUser) -> DispatchOut:
        """berangkat (responding) → menangani (processing) → selesai (resolved, with a closing note)."""
        position = (body.lat, body.lon) if body.lat is not None and body.lon is not None else None
        if body.photo is not None and (photos is None or photos.path(dispatch_id, body.photo) is None):
            raise InvalidRequest("unknown photo: upload it first / unggah foto dulu")
        return out(await service.advance(dispatch_id, body.to, user, note=body.note, position=position,
                                         photo=body.photo))

    @router.post("/dispatches/{dispatch_id}/cancel", response_model=DispatchOut, responses=_ERRORS)
    async def cancel(dispatch_id: int, body: ReasonIn, user: CurrentUser) -> DispatchOut:
        return out(await service.cancel(dispatch_id, user, body.reason))

    return router
