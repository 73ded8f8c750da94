"""Presence service: feeds the pure Presence model from AMI and fans its changes out to SSE subscribers.

Called by the ONE AMI consumer (``AmiEventPipeline``), in order. At every (re)login it rebuilds from the
pipeline's QueueStatus + CoreShowChannels snapshot, so the panel matches Asterisk after a restart of
either side. Subscribers get
per-item changes on bounded queues; one that falls behind gets a single ``reload`` instead of an
ever-growing backlog (the panel then refetches the snapshot).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import datetime, tzinfo
from enum import Enum
from typing import Any, Protocol

from ec112.domain.presence import JAKARTA, AgentState, AgentView, Presence, PresenceSnapshot
from ec112.domain.tickets import Ticket
from ec112.routing.dialplan import CALL_CONTEXTS
from ec112.services.ami_pipeline import AMI_DISCONNECTED, AsteriskSnapshot
from ec112.services.intake import utcnow

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5
SUBSCRIBER_BUFFER = 256


class TicketLookup(Protocol):
    async def get_by_linkedid(self, linkedid: str) -> Ticket | None: ...


@dataclass(frozen=True, slots=True)
class PresenceChange:
    id: int
    kind: str  # agent | call | call_ended | queue | ami | reload | ticket | dispatch
    data: dict[str, Any]
    text: str = "{}"  # ``data`` as JSON, serialised once for every subscriber


def to_json(value: Any) -> Any:
    """Dataclass views → JSON-ready dicts (datetimes as ISO 8601 UTC)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


class PresenceService:
    def __init__(
        self,
        *,
        queue: str,
        wrapup_seconds: float,
        tickets: TicketLookup | None = None,
        ticket_prefix: str = "112",
        clock: Callable[[], datetime] = utcnow,
        tz: tzinfo = JAKARTA,
        subscriber_buffer: int = SUBSCRIBER_BUFFER,
        coalesce_seconds: float = 0.0,
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
        self._buffer = subscriber_buffer
        self._subscribers: set[asyncio.Queue[PresenceChange]] = set()
        self._next_id = 0
        self.version = 0
        self.ami_down_since: datetime | None = None

    def snapshot(self) -> PresenceSnapshot:
        """What is true now. A change still waiting in the coalescing window is published first, so a reader
        (a page refetching its fragment right after a button press) never gets a view older than the model."""
        if self._flush_handle is not None:
            self.flush()
        return self._last

    async def apply(self, event: Mapping[str, str]) -> None:
        if event.get("Event") == AMI_DISCONNECTED:
            if self.ami_down_since is None:
                self.ami_down_since = self._clock()
                self._changed([("ami", {"connected": False, "down_since": self.ami_down_since})])
        elif self._presence.apply(event, self._clock()):
            self._changed_model()

    async def resync(self, snapshot: AsteriskSnapshot | None) -> None:
        """AMI is (back) up: rebuild from what Asterisk has live right now, and tell every subscriber."""
        self.ami_down_since = None
        if snapshot is None:  # Asterisk could not be read: keep the live view, it still gets events
            self._changed([("ami", {"connected": True, "down_since": None})])
            return
        self._presence.reset(snapshot.queue_status, snapshot.channels, snapshot.taken_at)
        await self._find_tickets()
        self._cancel_flush()  # the reload below supersedes any pending diff
        self._last = self._presence.snapshot()
        self._changed([("reload", {})])
        log.info("presence resync: %d members, %d waiting, %d calls",
                 len(self._last.agents), len(self._last.queue.waiting), len(self._last.calls))

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Put another service's change (e.g. a ticket classified) on the same live stream, in order."""
        self._changed([(kind, data)])

    async def ticket_opened(self, ticket: Ticket) -> None:
        """Wired to the intake: a waiting caller or a taker's call shows its ticket number at once."""
        if self._presence.ticket_opened(ticket.linkedid, ticket.number(self._ticket_prefix)):
            self._changed_model()

    async def _find_tickets(self) -> None:
        """After a rebuild, the tickets of the calls in progress (the tracker has opened any missing one)."""
        if self._tickets is None:
            return
        for linkedid in self._presence.live_calls():
            ticket = await self._tickets.get_by_linkedid(linkedid)
            if ticket is not None:
                self._presence.ticket_opened(linkedid, ticket.number(self._ticket_prefix))

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

    def subscribe(self) -> asyncio.Queue[PresenceChange]:
        subscriber: asyncio.Queue[PresenceChange] = asyncio.Queue(maxsize=self._buffer)
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: asyncio.Queue[PresenceChange]) -> None:
        self._subscribers.discard(subscriber)

    # --- internals -------------------------------------------------------------------------------------------

    def _publish_diff(self) -> None:
        before, after = self._last, self._presence.snapshot()
        self._last = after
        changes: list[tuple[str, Any]] = []
        if after.queue != before.queue:
            changes.append(("queue", after.queue))
        old_agents = {a.endpoint: a for a in before.agents}
        new_agents = {a.endpoint: a for a in after.agents}
        changes += [("agent", a) for e, a in new_agents.items() if old_agents.get(e) != a]
        changes += [("agent", _logged_out(a, self._clock())) for e, a in old_agents.items() if e not in new_agents]
        old_calls = {c.linkedid: c for c in before.calls}
        new_calls = {c.linkedid: c for c in after.calls}
        changes += [("call", c) for k, c in new_calls.items() if old_calls.get(k) != c]
        changes += [("call_ended", {"linkedid": k}) for k in old_calls if k not in new_calls]
        if changes:
            self._changed(changes)

    def _changed(self, changes: Sequence[tuple[str, Any]]) -> None:
        self.version += 1
        for kind, payload in changes:
            self._next_id += 1
            data = payload if isinstance(payload, dict) else asdict(payload)
            json_data = to_json(data)
            change = PresenceChange(self._next_id, kind, json_data, json.dumps(json_data))
            for subscriber in list(self._subscribers):
                self._offer(subscriber, change)

    @staticmethod
    def _offer(subscriber: asyncio.Queue[PresenceChange], change: PresenceChange) -> None:
        try:
            subscriber.put_nowait(change)
        except asyncio.QueueFull:
            # Too slow: drop its backlog and tell it to refetch the snapshot instead.
            while not subscriber.empty():
                subscriber.get_nowait()
            subscriber.put_nowait(PresenceChange(change.id, "reload", {}))


def _logged_out(view: AgentView, now: datetime) -> AgentView:
    return AgentView(view.endpoint, view.interface, AgentState.LOGGED_OUT, now, None, None, None, view.calls_today)
