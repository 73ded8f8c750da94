"""Live state over HTTP: queues, call takers, calls (JSON) and every change as Server-Sent Events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sse_starlette.sse import EventSourceResponse

from ec112.services.presence import PresenceService
from ec112.web.live_feed import LiveFeed, dumps, to_json

KEEPALIVE_SECONDS = 15


def live_router(presence: PresenceService, feed: LiveFeed) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.get("/queues")
    async def queues() -> list[dict[str, Any]]:
        """Each queue with its waiting callers (position, caller, since when) and its members."""
        return [to_json(presence.snapshot().queue)]

    @router.get("/agents")
    async def agents() -> list[dict[str, Any]]:
        """Each call taker: available / ringing / on_call / wrap_up / paused / unreachable (the phone cannot ring:
        unregistered or not answering Asterisk's qualify), since when; logged_out only in the live stream."""
        return list(to_json(list(presence.snapshot().agents)))

    @router.get("/calls")
    async def calls() -> list[dict[str, Any]]:
        """The 112 calls in progress: intake / queued / ringing / talking."""
        return list(to_json(list(presence.snapshot().calls)))

    @router.get("/events")
    async def events(request: Request) -> EventSourceResponse:
        """Every change as an SSE event with an increasing id. A new or reconnecting client first gets a
        ``snapshot`` event (the whole state), so missed changes never leave it wrong; ``reload`` means
        the same (the server dropped a backlog or re-synchronised with Asterisk)."""
        return EventSourceResponse(_stream(presence, feed, request), ping=KEEPALIVE_SECONDS)

    return router


async def _stream(presence: PresenceService, feed: LiveFeed, request: Request) -> AsyncIterator[dict[str, str]]:
    subscriber = feed.subscribe()
    try:
        yield {"id": str(feed.version), "event": "snapshot", "data": dumps(_state(presence))}
        while True:
            try:
                async with asyncio.timeout(KEEPALIVE_SECONDS):
                    change = await subscriber.get()
            except TimeoutError:
                if await request.is_disconnected():
                    return
                continue
            text = dumps(_state(presence)) if change.kind == "reload" else change.text
            yield {"id": str(change.id), "event": change.kind, "data": text}
    finally:
        feed.unsubscribe(subscriber)


def _state(presence: PresenceService) -> dict[str, Any]:
    snap = presence.snapshot()
    return {
        "queues": [to_json(snap.queue)],
        "agents": to_json(list(snap.agents)),
        "calls": to_json(list(snap.calls)),
        "ami_down_since": to_json(presence.ami_down_since),
    }
