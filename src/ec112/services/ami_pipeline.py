"""The ONE consumer of the ordered stream of call events (typed by the AMI adapter): tickets first, then the
live view.

At every (re)connect (``AsteriskConnected``) it reads Asterisk's state once (the queue, then the live channels)
and hands the same snapshot to the ticket tracker and to presence, so both re-synchronise from one consistent
picture and Asterisk is asked once, not once per service. A failure in one sink never keeps an event from the other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ec112.domain.call_events import AsteriskConnected, CallEvent, ChannelRow, QueueSnapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AsteriskSnapshot:
    queue_status: QueueSnapshot  # the members and waiting callers of the 112 queue
    channels: Sequence[ChannelRow]  # every live channel
    taken_at: datetime  # when the reads were answered
    asked_at: datetime | None = None  # just before CoreShowChannels was sent: every older live call is in it


class EventStream(Protocol):
    async def get(self) -> CallEvent: ...


class SnapshotSource(Protocol):
    async def queue_status(self, queue: str) -> QueueSnapshot: ...

    async def active_channels(self) -> Sequence[ChannelRow]: ...


class EventSink(Protocol):
    async def apply(self, event: CallEvent) -> None: ...

    async def resync(self, snapshot: AsteriskSnapshot | None) -> None:
        """After a (re)connect; ``None`` when Asterisk could not be read (live events still apply)."""


async def take_snapshot(source: SnapshotSource, queue: str, clock: Callable[[], datetime]) -> AsteriskSnapshot:
    queue_status = await source.queue_status(queue)
    asked_at = clock()
    channels = await source.active_channels()
    return AsteriskSnapshot(queue_status, channels, clock(), asked_at)


# Up to 10 s for a (re)started Asterisk to load app_queue after its AMI already accepts logins.
SNAPSHOT_ATTEMPTS = 20
SNAPSHOT_RETRY_SECONDS = 0.5


class AmiEventPipeline:
    def __init__(
        self,
        source: SnapshotSource,
        sinks: Sequence[EventSink],
        *,
        queue: str,
        clock: Callable[[], datetime],
        on_applied: Callable[[CallEvent], None] = lambda _event: None,
        snapshot_attempts: int = SNAPSHOT_ATTEMPTS,
        snapshot_retry_seconds: float = SNAPSHOT_RETRY_SECONDS,
    ) -> None:
        self._attempts = max(1, snapshot_attempts)
        self._retry = snapshot_retry_seconds
        self._source = source
        self._sinks = tuple(sinks)
        self._queue = queue
        self._clock = clock
        self._on_applied = on_applied

    async def run(self, events: EventStream) -> None:
        while True:
            await self.handle(await events.get())

    async def handle(self, event: CallEvent) -> None:
        name = type(event).__name__
        if isinstance(event, AsteriskConnected):
            snapshot = await self._snapshot()
            for sink in self._sinks:
                await self._safely(sink.resync(snapshot), name)
        else:
            for sink in self._sinks:
                await self._safely(sink.apply(event), name)
        self._on_applied(event)

    async def _snapshot(self) -> AsteriskSnapshot | None:
        """Asterisk's state, read again for a while when it cannot answer yet: AMI accepts logins while Asterisk
        is still booting, before app_queue is loaded ("Invalid/unknown command: QueueStatus"), and a view that
        is not rebuilt then stays wrong (members restored from astdb send no event). Events wait meanwhile."""
        for attempt in range(1, self._attempts + 1):
            try:
                return await take_snapshot(self._source, self._queue, self._clock)
            except Exception as exc:
                if attempt == self._attempts:
                    log.error("could not read Asterisk's state after connecting (%s); live events still apply",
                              exc, exc_info=exc)
                    return None
                log.info("Asterisk's state not readable yet (%s); again in %.1f s", exc, self._retry)
                await asyncio.sleep(self._retry)
        return None

    @staticmethod
    async def _safely(step: Awaitable[None], name: str) -> None:
        try:
            await step
        except Exception:
            log.exception("could not apply the call event %s", name)
