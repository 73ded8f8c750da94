"""Presence service: feeds the pure Presence model from AMI and publishes its changes as typed events.

Called by the ONE AMI consumer (``AmiEventPipeline``), in order. At every (re)login it rebuilds from the
pipeline's QueueStatus + CoreShowChannels snapshot, so the panel matches Asterisk after a restart of
either side. Each change goes on the event bus as ``AgentStateChanged`` / ``QueueChanged`` / ``CallChanged`` /
``CallEnded`` (a diff of snapshots, coalesced over a short window in a surge), ``AsteriskConnection`` and
``PresenceRebuilt``; the live stream is one of the bus's subscribers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Protocol

from ec112.domain.call_events import AsteriskDisconnected, CallEvent
from ec112.domain.events import (
    ASTERISK,
    AgentStateChanged,
    AsteriskConnection,
    CallChanged,
    CallEnded,
    DomainEvent,
    PresenceRebuilt,
    QueueChanged,
    TicketOpened,
)
from ec112.domain.presence import DEFAULT_TZ, AgentState, AgentView, Presence, PresenceSnapshot
from ec112.domain.tickets import Ticket
from ec112.routing.dialplan import CALL_CONTEXTS
from ec112.services.ami_pipeline import AsteriskSnapshot
from ec112.services.event_bus import EventBus, NullEventBus
from ec112.services.intake import utcnow

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5


class TicketLookup(Protocol):
    async def get_by_linkedid(self, linkedid: str) -> Ticket | None: ...


class PresenceService:
    def __init__(
        self,
        *,
        queue: str,
        wrapup_seconds: float,
        tickets: TicketLookup | None = None,
        ticket_prefix: str = "112",
        clock: Callable[[], datetime] = utcnow,
        tz: tzinfo = DEFAULT_TZ,
        coalesce_seconds: float = 0.0,
        bus: EventBus | None = None,
    ) -> None:
        self._clock = clock
        # > 0: changes within this window go out as one diff (the daemon uses ~50 ms): a surge of AMI events
        # then costs one snapshot + diff per window instead of one per event.
        self._coalesce = coalesce_seconds
        self._flush_handle: asyncio.TimerHandle | None = None
        self._tickets = tickets
        self._ticket_prefix = ticket_prefix
        self._presence = Presence(queue, wrapup_seconds=wrapup_seconds, call_contexts=CALL_CONTEXTS, tz=tz)
        self._last = self._presence.snapshot()
        self._bus: EventBus = bus or NullEventBus()
        self.ami_down_since: datetime | None = None

    def snapshot(self) -> PresenceSnapshot:
        """What is true now. A change still waiting in the coalescing window is published first, so a reader
        (a page refetching its fragment right after a button press) never gets a view older than the model."""
        if self._flush_handle is not None:
            self.flush()
        return self._last

    async def apply(self, event: CallEvent) -> None:
        if isinstance(event, AsteriskDisconnected):
            if self.ami_down_since is None:
                self.ami_down_since = self._clock()
                self._emit(AsteriskConnection(at=self.ami_down_since, actor=ASTERISK, connected=False,
                                              down_since=self.ami_down_since))
        elif self._presence.apply(event, self._clock()):
            self._changed_model()

    async def resync(self, snapshot: AsteriskSnapshot | None) -> None:
        """AMI is (back) up: rebuild from what Asterisk has live right now, and tell every subscriber."""
        self.ami_down_since = None
        if snapshot is None:  # Asterisk could not be read: keep the live view, it still gets events
            self._emit(AsteriskConnection(at=self._clock(), actor=ASTERISK, connected=True, down_since=None))
            return
        self._presence.reset(snapshot.queue_status, snapshot.channels, snapshot.taken_at)
        await self._find_tickets()
        self._cancel_flush()  # the reload below supersedes any pending diff
        self._last = self._presence.snapshot()
        self._emit(PresenceRebuilt(at=self._clock(), actor=ASTERISK))
        log.info("presence resync: %d members, %d waiting, %d calls",
                 len(self._last.agents), len(self._last.queue.waiting), len(self._last.calls))

    def on_ticket_opened(self, event: TicketOpened) -> None:
        """A bus subscriber: a waiting caller or a taker's call shows its ticket number at once."""
        ticket = event.ticket
        if self._presence.ticket_opened(ticket.linkedid, ticket.number(self._ticket_prefix),
                                        exercise=ticket.exercise):
            self._changed_model()

    async def _find_tickets(self) -> None:
        """After a rebuild, the tickets of the calls in progress (the tracker has opened any missing one)."""
        if self._tickets is None:
            return
        for linkedid in self._presence.live_calls():
            ticket = await self._tickets.get_by_linkedid(linkedid)
            if ticket is not None:
                self._presence.ticket_opened(linkedid, ticket.number(self._ticket_prefix), exercise=ticket.exercise)

    def tick(self) -> bool:
        if self._presence.tick(self._clock()):
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Publish what changed in the model since the last diff (now, whatever the coalescing window)."""
        self._cancel_flush()
        self._publish_diff()

    def _changed_model(self) -> None:
        if self._coalesce <= 0:
            self._publish_diff()
        elif self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_later(self._coalesce, self.flush)

    def _cancel_flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None

    async def tick_loop(self, interval: float = TICK_SECONDS) -> None:
        """Moves expired wrap-ups to available; run as a tracked task by the daemon."""
        while True:
            await asyncio.sleep(interval)
            try:
                self.tick()
            except Exception:
                log.exception("presence tick failed")

    # --- internals -------------------------------------------------------------------------------------------

    def _publish_diff(self) -> None:
        before, after = self._last, self._presence.snapshot()
        self._last = after
        at = self._clock()
        changes: list[DomainEvent] = []
        if after.queue != before.queue:
            changes.append(QueueChanged(at=at, actor=ASTERISK, queue=after.queue))
        old_agents = {a.endpoint: a for a in before.agents}
        new_agents = {a.endpoint: a for a in after.agents}
        changes += [AgentStateChanged(at=at, actor=ASTERISK, agent=a)
                    for e, a in new_agents.items() if old_agents.get(e) != a]
        changes += [AgentStateChanged(at=at, actor=ASTERISK, agent=_logged_out(a, at))
                    for e, a in old_agents.items() if e not in new_agents]
        old_calls = {c.linkedid: c for c in before.calls}
        new_calls = {c.linkedid: c for c in after.calls}
        changes += [CallChanged(at=at, actor=ASTERISK, call=c) for k, c in new_calls.items() if old_calls.get(k) != c]
        changes += [CallEnded(at=at, actor=ASTERISK, linkedid=k) for k in old_calls if k not in new_calls]
        for change in changes:
            self._emit(change)

    def _emit(self, event: DomainEvent) -> None:
        self._bus.publish_nowait(event)


def _logged_out(view: AgentView, now: datetime) -> AgentView:
    return AgentView(view.endpoint, view.interface, AgentState.LOGGED_OUT, now, None, None, None, view.calls_today)
