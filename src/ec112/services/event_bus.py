"""The one event bus: services publish typed domain events, subscribers wired in the composition root react.

In process and in order: ``publish`` hands the event to every subscriber of its type (and of its base types),
in the order they subscribed, and returns when all have handled it — so an intake that opens a ticket still
returns to Asterisk only after the live view and the call tracker know it. ``publish_nowait`` is for code that
cannot wait (presence's coalescing timer): plain subscribers run at once, coroutine subscribers become tasks
that the bus tracks and ``close()`` finishes. A subscriber that fails is logged and never stops the others nor
the publisher: the change it announces has happened already.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from ec112.domain.events import DomainEvent
from ec112.services.background import BackgroundTasks

log = logging.getLogger(__name__)
E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[E], Awaitable[None] | None]


class EventBus(Protocol):
    """The port services publish to."""

    async def publish(self, event: DomainEvent) -> None: ...

    def publish_nowait(self, event: DomainEvent) -> None: ...


class LocalEventBus:
    def __init__(self) -> None:
        self._subscribers: list[tuple[type[DomainEvent], Callable[[DomainEvent], Awaitable[None] | None]]] = []
        self._background = BackgroundTasks()

    def subscribe(self, kind: type[E], handler: Handler[E]) -> None:
        """``handler`` gets every event that is a ``kind`` (``DomainEvent`` for all of them)."""
        self._subscribers.append((kind, handler))  # type: ignore[arg-type]  # narrowed by the isinstance below

    async def publish(self, event: DomainEvent) -> None:
        for kind, handler in self._subscribers:
            if isinstance(event, kind):
                try:
                    result = handler(event)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("subscriber %s failed on %s", _name(handler), type(event).__name__)

    def publish_nowait(self, event: DomainEvent) -> None:
        for kind, handler in self._subscribers:
            if isinstance(event, kind):
                try:
                    result = handler(event)
                except Exception:
                    log.exception("subscriber %s failed on %s", _name(handler), type(event).__name__)
                    continue
                if inspect.isawaitable(result):
                    self._track(result, handler, event)

    async def drain(self) -> None:
        """Wait for the subscriber tasks started by ``publish_nowait`` (tests, shutdown)."""
        await self._background.drain()

    async def close(self, timeout: float) -> None:  # noqa: ASYNC109 - a shutdown grace, not a network wait
        await self._background.close(timeout)

    def _track(self, awaitable: Awaitable[None], handler: object, event: DomainEvent) -> None:
        async def run() -> None:
            try:
                await awaitable
            except Exception:
                log.exception("subscriber %s failed on %s", _name(handler), type(event).__name__)

        self._background.start(run())


class NullEventBus:
    """For a service used where nobody listens (a CLI command, a unit test of something else)."""

    async def publish(self, event: DomainEvent) -> None:
        return None

    def publish_nowait(self, event: DomainEvent) -> None:
        return None


def _name(handler: object) -> str:
    return getattr(handler, "__qualname__", None) or type(handler).__name__
