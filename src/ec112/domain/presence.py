"""Live presence of the 112 queue, its call takers and the calls in progress (pure model, no I/O).

Built from the ordered stream of call events (``domain.call_events``: the queue's callers and members, channels
created and hung up) and rebuilt from a snapshot of the queue and the live channels at every (re)connect
(``presence_rebuild``), so it matches Asterisk after either side restarts. Asterisk 16 and 22 order a member's
status change and its connect differently, so a taker's state is *derived* from facts (``MemberFacts.derive``)
with a fixed precedence instead of following the order of events.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, tzinfo

from ec112.domain.call_events import (
    CallerJoinedQueue,
    CallerLeftQueue,
    CallEvent,
    ChannelCreated,
    ChannelHungUp,
    ChannelRow,
    MemberCompleted,
    MemberConnected,
    MemberDropped,
    MemberEvent,
    MemberPaused,
    MemberRangOut,
    MemberRemoved,
    MemberRinging,
    MemberStatus,
    QueueEvent,
    QueueSnapshot,
)
from ec112.domain.presence_rebuild import rebuild
from ec112.domain.presence_views import (
    DEFAULT_TZ,
    ActiveCall,
    AgentState,
    AgentView,
    CallState,
    MemberFacts,
    PresenceSnapshot,
    QueueView,
    WaitingCaller,
    endpoint_of,
    known_number,
)

__all__ = ["DEFAULT_TZ", "AgentState", "AgentView", "Presence", "PresenceSnapshot", "endpoint_of"]
_MAX_TICKETS_REMEMBERED = 4096


class Presence:
    def __init__(
        self,
        queue: str,
        *,
        wrapup_seconds: float,
        call_contexts: Collection[str],
        tz: tzinfo = DEFAULT_TZ,
    ) -> None:
        """``call_contexts``: the dialplan contexts a citizen's call lives in before the queue
        (``ec112.routing.dialplan.CALL_CONTEXTS``)."""
        self.queue = queue
        self._wrapup = timedelta(seconds=wrapup_seconds)
        self._tz = tz
        self._call_contexts = frozenset(call_contexts)
        self._members: dict[str, MemberFacts] = {}  # by endpoint
        self._waiting: list[WaitingCaller] = []
        self._calls: dict[str, ActiveCall] = {}  # by linkedid
        self._count_day: date | None = None
        self._calls_today: dict[str, int] = {}  # survives logout/login within the day
        self._tickets: dict[str, str] = {}  # linkedid → ticket number, while the call lasts
        self._exercises: set[str] = set()  # linkedids of those tickets that are a drill's (issue 14)

    # --- reading ---------------------------------------------------------------------------------------------

    def snapshot(self) -> PresenceSnapshot:
        tickets, drills = self._tickets, self._exercises
        agents = tuple(
            AgentView(m.endpoint, m.interface, m.state, m.since, m.paused_reason if m.paused else None,
                      m.call_linkedid, m.caller_number, self._calls_today.get(m.endpoint, 0),
                      tickets.get(m.call_linkedid) if m.call_linkedid else None, m.call_linkedid in drills)
            for m in sorted(self._members.values(), key=lambda m: m.endpoint)
        )
        waiting = tuple(replace(w, ticket=tickets.get(w.linkedid), exercise=w.linkedid in drills)
                        for w in self._waiting)
        queue = QueueView(self.queue, waiting, tuple(sorted(self._members)))
        calls = tuple(replace(c, ticket=tickets.get(c.linkedid), exercise=c.linkedid in drills)
                      for c in sorted(self._calls.values(), key=lambda c: (c.started_at, c.linkedid)))
        return PresenceSnapshot(queue, agents, calls)

    def live_calls(self) -> tuple[str, ...]:
        """Linkedids of the calls in progress."""
        return tuple(self._calls)

    def ticket_opened(self, linkedid: str, number: str, *, exercise: bool = False) -> bool:
        """The call's ticket exists (it may be opened before or after the call shows up); True if visible."""
        if self._tickets.get(linkedid) == number:
            return False
        self._tickets[linkedid] = number
        if exercise:
            self._exercises.add(linkedid)
        while len(self._tickets) > _MAX_TICKETS_REMEMBERED:  # tickets of calls never seen (e.g. an intake only)
            self._exercises.discard(oldest := next(iter(self._tickets)))
            del self._tickets[oldest]
        return linkedid in self._calls

    # --- live events -----------------------------------------------------------------------------------------

    def apply(self, event: CallEvent, now: datetime) -> bool:
        """Apply one event in arrival order (``now``: when it is applied); True when it may have changed what is
        shown.

        Cheap on purpose (no snapshot compare): during a surge with hundreds of callers waiting, every event
        must cost O(1) here; the service turns changes into per-item diffs at most a few times a second.
        """
        at = event.at
        handled = False
        if isinstance(event, ChannelCreated | ChannelHungUp):
            handled = self._on_channel(event, at)
        elif isinstance(event, QueueEvent) and event.queue == self.queue:  # not the others (e.g. callback reports)
            self._on_queue_event(event, at)
            handled = True
        rolled = self._roll_day(now)
        return self._refresh(at) or handled or rolled

    def tick(self, now: datetime) -> bool:
        """Expire wrap-ups and roll calls_today over at local midnight; True when something changed."""
        rolled = self._roll_day(now)
        return self._refresh(now) or rolled

    def _on_channel(self, event: ChannelCreated | ChannelHungUp, at: datetime) -> bool:
        if not event.is_origin:
            return False  # a call taker's leg carries the caller's linkedid: only the caller's channel counts
        linkedid = event.linkedid
        if isinstance(event, ChannelCreated):
            if event.context in self._call_contexts and linkedid not in self._calls:
                self._calls[linkedid] = ActiveCall(linkedid, event.channel, known_number(event.caller_number),
                                                   "intake", None, at)
                return True
            return False
        if linkedid not in self._calls and not any(w.linkedid == linkedid for w in self._waiting):
            return False
        self._calls.pop(linkedid, None)
        self._tickets.pop(linkedid, None)
        self._exercises.discard(linkedid)
        self._drop_waiting(linkedid)
        for member in self._members.values():
            if member.ringing_linkedid == linkedid:
                member.ringing_linkedid = None
        return True

    def _on_queue_event(self, event: QueueEvent, at: datetime) -> None:
        if isinstance(event, CallerJoinedQueue):
            self._on_join(event, at)
        elif isinstance(event, CallerLeftQueue):
            self._drop_waiting(event.linkedid)
            if event.abandoned:
                self._stop_ringing(event.linkedid)
        elif isinstance(event, MemberRemoved):
            self._members.pop(endpoint_of(event.interface), None)
        elif event.interface:
            self._on_member_event(event, self._member(event.interface, at), at)

    def _on_join(self, event: CallerJoinedQueue, at: datetime) -> None:
        linkedid = event.linkedid
        self._drop_waiting(linkedid)
        caller = WaitingCaller(linkedid, event.channel, known_number(event.caller_number),
                               known_number(event.caller_name), 0, at)
        position = len(self._waiting) + 1 if event.position is None else event.position
        self._waiting.insert(max(0, position - 1), caller)
        self._renumber()
        call = self._calls.get(linkedid)
        started = call.started_at if call else at
        self._calls[linkedid] = ActiveCall(linkedid, caller.channel, caller.caller_number, "queued", None, started)

    def _on_member_event(self, event: MemberEvent, member: MemberFacts, at: datetime) -> None:
        if isinstance(event, MemberStatus):
            if event.device is not None:
                member.device = event.device
            member.in_call = event.in_call
            member.paused = event.paused
            member.paused_reason = event.paused_reason
        elif isinstance(event, MemberPaused):
            member.paused = event.paused
            member.paused_reason = event.reason
        elif isinstance(event, MemberRinging):
            member.ringing_linkedid = event.linkedid
            self._set_call(event.linkedid, "ringing", member.endpoint)
        elif isinstance(event, MemberRangOut | MemberDropped):
            member.ringing_linkedid = None
            self._set_call(event.linkedid, "queued", None)
        elif isinstance(event, MemberConnected):
            member.ringing_linkedid = None
            member.call_linkedid = event.linkedid
            member.caller_number = known_number(event.caller_number)
            member.wrap_up_until = None
            self._set_call(event.linkedid, "talking", member.endpoint)
        elif isinstance(event, MemberCompleted):
            member.call_linkedid = member.caller_number = None
            member.wrap_up_until = at + self._wrapup
            self._calls_today[member.endpoint] = self._calls_today.get(member.endpoint, 0) + 1

    # --- rebuilding from a snapshot --------------------------------------------------------------------------

    def reset(self, queue_status: QueueSnapshot, channels: Sequence[ChannelRow], now: datetime) -> None:
        """Rebuild everything from the queue's members and waiting callers + the live channels."""
        self._roll_day(now)
        fresh = rebuild(self.queue, queue_status, channels, previous=self._members,
                        call_contexts=self._call_contexts, wrapup=self._wrapup,
                        local_midnight=self._local_midnight(now), now=now)
        self._members, self._waiting, self._calls = fresh.members, fresh.waiting, fresh.calls
        self._tickets = {k: v for k, v in self._tickets.items() if k in self._calls}
        self._exercises &= set(self._tickets)
        for endpoint, count in fresh.calls_today.items():
            self._calls_today[endpoint] = max(self._calls_today.get(endpoint, 0), count)
        self._renumber()

    # --- helpers ---------------------------------------------------------------------------------------------

    def _member(self, interface: str, at: datetime) -> MemberFacts:
        endpoint = endpoint_of(interface)
        member = self._members.get(endpoint)
        if member is None:  # also when QueueMemberAdded was missed (we were reconnecting)
            member = self._members[endpoint] = MemberFacts(interface, endpoint, at)
        return member

    def _set_call(self, linkedid: str, state: CallState, taker: str | None) -> None:
        call = self._calls.get(linkedid)
        if call is None or (call.state == "talking" and state != "talking"):
            return  # e.g. ringall: another taker's late AgentRingNoAnswer does not undo the answer
        self._calls[linkedid] = ActiveCall(call.linkedid, call.channel, call.caller_number, state, taker,
                                               call.started_at)

    def _stop_ringing(self, linkedid: str) -> None:
        for member in self._members.values():
            if member.ringing_linkedid == linkedid:
                member.ringing_linkedid = None

    def _drop_waiting(self, linkedid: str) -> None:
        self._waiting = [w for w in self._waiting if w.linkedid != linkedid]
        self._renumber()

    def _renumber(self) -> None:
        # Asterisk moves everyone behind a leaving caller one place up.
        self._waiting = [
            w if w.position == i else replace(w, position=i)
            for i, w in enumerate(self._waiting, start=1)
        ]

    def _refresh(self, now: datetime) -> bool:
        changed = False
        for member in self._members.values():
            if member.wrap_up_until is not None and now >= member.wrap_up_until:
                member.wrap_up_until = None
            state = member.derive(now)
            if state != member.state:
                member.state, member.since = state, now
                changed = True
        return changed

    def _local_midnight(self, now: datetime) -> datetime:
        local = now.astimezone(self._tz)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)

    def _roll_day(self, now: datetime) -> bool:
        today = now.astimezone(self._tz).date()
        if self._count_day == today:
            return False
        had_counts = self._count_day is not None and bool(self._calls_today)
        if self._count_day is not None:
            self._calls_today.clear()
        self._count_day = today
        return had_counts
