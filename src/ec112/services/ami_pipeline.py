"""The ONE consumer of the ordered AMI event stream: tickets first, then the live view.

At every (re)connect it reads Asterisk's state once (QueueStatus + CoreShowChannels) and hands the same
snapshot to the ticket tracker and to presence, so both re-synchronise from one consistent picture and
Asterisk is asked once, not once per service. A failure in one sink never keeps an event from the other.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

log = logging.getLogger(__name__)

AMI_CONNECTED = "ec112.AmiConnected"  # put on the stream by the AMI adapter after each login
AMI_DISCONNECTED = "ec112.AmiDisconnected"
AmiEventMap = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class AsteriskSnapshot:
    queue_status: Sequence[AmiEventMap]  # QueueParams / QueueMember / QueueEntry of the 112 queue
    channels: Sequence[AmiEventMap]  # CoreShowChannel rows
    taken_at: datetime  # when the reads were answered
    asked_at: datetime | None = None  # just before CoreShowChannels was sent: every older live call is in it


class EventStream(Protocol):
    async def get(self) -> AmiEventMap: ...


class SnapshotSource(Protocol):
    async def queue_status(self, queue: str) -> Sequence[AmiEventMap]: ...

    async def active_channels(self) -> Sequence[AmiEventMap]: ...


class EventSink(Protocol):
    async def apply(self, event: AmiEventMap) -> None: ...

    async def resync(self, snapshot: AsteriskSnapshot | None) -> None:
        """After a (re)connect; ``None`` when Asterisk could not be read (live events still apply)."""


async def take_snapshot(source: SnapshotSource, queue: str, clock: Callable[[], datetime]) -> AsteriskSnapshot:
    queue_status = await source.queue_status(queue)
    asked_at = clock()
    channels = await source.active_channels()
    return AsteriskSnapshot(queue_status, channels, clock(), asked_at)


class AmiEventPipeline:
    def __init__(
        self,
        source: SnapshotSource,
        sinks: Sequence[EventSink],
        *,
        queue: str,
        clock: Callable[[], datetime],
        on_applied: Callable[[str], None] = lambda _name: None,
    ) -> None:
        self._source = source
        self._sinks = tuple(sinks)
        self._queue = queue
        self._clock = clock
        self._on_applied = on_applied

    async def run(self, events: EventStream) -> None:
        while True:
            await self.handle(await events.get())

    async def handle(self, event: AmiEventMap) -> None:
        name = event.get("Event", "?")
        if name == AMI_CONNECTED:
            snapshot = await self._snapshot()
            for sink in self._sinks:
                await self._safely(sink.resync(snapshot), name)
        else:
            for sink in self._sinks:
                await self._safely(sink.apply(event), name)
        self._on_applied(name)

    async def _snapshot(self) -> AsteriskSnapshot | None:
        try:
            return await take_snapshot(self._source, self._queue, self._clock)
        except Exception:
            log.exception("could not read Asterisk's state after connecting; live events still apply")
            return None

    @staticmethod
    async def _safely(step: Awaitable[None], name: str) -> None:
        try:
            await step
        except Exception:
            log.exception("could not apply AMI event %s", name)
