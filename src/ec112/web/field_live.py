"""``/api/field/events``: the live stream of an agency officer or a responder, filtered to what is hers.

The room's stream (``/api/events``, ``Permission.VIEW_LIVE``) carries every call in progress with its
caller's number and every ticket of every agency: officers and responders never get it. This one rides on
the same ordered change feed but lets through only

- ``dispatch`` events of her agency (an officer) or of dispatches assigned to her, now or before (a
  responder: she sees an assignment come and go);
- ``ticket`` events of tickets she has a dispatch for (the call taker corrected the address, closed it…);
- ``snapshot`` first and ``reload`` when the server dropped her backlog: both mean "read your list again".

The events only say *that* something changed (ids, statuses, revisions; never a caller's number or
location): the page then reads ``/agency/list`` or ``/responder/list``, which are authorised per agency.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sse_starlette.sse import EventSourceResponse

from ec112.domain.accounts import Permission, Role, User, has_permission
from ec112.domain.errors import Forbidden
from ec112.services.dispatch import DispatchService
from ec112.web.auth import CurrentUser
from ec112.web.live_feed import LiveFeed

KEEPALIVE_SECONDS = 15


class FieldFilter:
    """Which changes of the room's feed one officer or responder may see (and the tickets that makes hers)."""

    def __init__(self, user: User, dispatch_ids: set[int], ticket_ids: set[int]) -> None:
        self.user = user
        self.dispatch_ids = dispatch_ids
        self.ticket_ids = ticket_ids

    def passes(self, kind: str, data: dict[str, Any]) -> bool:
        if kind in ("snapshot", "reload"):
            return True
        if kind == "dispatch":
            if self.user.role is Role.RESPONDER:
                mine = data.get("responder") == self.user.username or data.get("id") in self.dispatch_ids
            else:
                mine = self.user.agency is not None and data.get("agency") == self.user.agency
            if mine:
                self.dispatch_ids.add(int(data["id"]))
                self.ticket_ids.add(int(data["ticket_id"]))
            return mine
        if kind == "ticket":
            return data.get("id") in self.ticket_ids
        return False


def field_live_router(dispatcher: DispatchService, feed: LiveFeed) -> APIRouter:
    router = APIRouter(prefix="/api/field")

    @router.get("/events")
    async def events(request: Request, user: CurrentUser) -> EventSourceResponse:
        """An officer's or a responder's own changes as SSE: ``snapshot`` (first), ``dispatch``, ``ticket``,
        ``reload``. Each says only that something of hers changed: read the list again."""
        if not (has_permission(user, Permission.AGENCY_WORK) or has_permission(user, Permission.FIELD_WORK)):
            raise Forbidden(f"your role ({user.role.value}) has no field work")
        return EventSourceResponse(_stream(dispatcher, feed, user, request), ping=KEEPALIVE_SECONDS)

    return router


async def _stream(dispatcher: DispatchService, feed: LiveFeed, user: User,
                  request: Request) -> AsyncIterator[dict[str, str]]:
    subscriber = feed.subscribe()  # first: nothing between reading her work and following it is lost
    try:
        work = await dispatcher.work_of(user)
        seen = FieldFilter(user, {d.id for d in work}, {d.ticket_id for d in work})
        yield {"id": str(feed.version), "event": "snapshot", "data": "{}"}
        while True:
            try:
                async with asyncio.timeout(KEEPALIVE_SECONDS):
                    change = await subscriber.get()
            except TimeoutError:
                if await request.is_disconnected():
                    return
                continue
            if not seen.passes(change.kind, change.data):
                continue
            data = {} if change.kind == "reload" else change.data
            yield {"id": str(change.id), "event": change.kind, "data": json.dumps(data)}
    finally:
        feed.unsubscribe(subscriber)
