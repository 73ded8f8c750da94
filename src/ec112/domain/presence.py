"""Live presence of the 112 queue, its call takers and the calls in progress (pure model, no I/O).

Built from the ordered AMI stream (app_queue events + Newchannel/Hangup) and rebuilt from a
QueueStatus + CoreShowChannels snapshot at every (re)connect, so it matches Asterisk after either
side restarts. Asterisk 16 and 22 order QueueMemberStatus and AgentConnect differently, so a
taker's state is *derived* from facts (paused, connected call, pending AgentCalled, wrap-up, device
status) with a fixed precedence instead of following the order of events.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

Event = Mapping[str, str]
CallState = Literal["intake", "queued", "ringing", "talking"]
JAKARTA = ZoneInfo("Asia/Jakarta")
# The citizen's channel starts in from-trunk and jumps to ec112-emergency by Goto (no Newexten: the
# dialplan event class is not read), so Newchannel shows the trunk's context.
DEFAULT_CALL_CONTEXTS = ("from-trunk", "ec112-emergency")
_ENDPOINT = re.compile(r"^(?:[A-Za-z0-9]+/)?(?P<endpoint>[^/]+?)(?:-[0-9a-f]{8})?(?:;\d)?$")
_DEVICE_IN_USE = {"2", "3", "7", "8"}  # in use, busy, ringinuse (ring + in use), on hold
_DEVICE_GONE = {"4", "5"}  # invalid, unavailable (phone not registered)


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class AgentView:
    endpoint: str
    interface: str
    state: AgentState
    since: datetime
    paused_reason: str | None
    call_linkedid: str | None
    caller_number: str | None
    calls_today: int


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    linkedid: str
    channel: str
    caller_number: str | None
    caller_name: str | None
    position: int
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class QueueView:
    name: str
    waiting: tuple[WaitingCaller, ...]
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActiveCall:
    linkedid: str
    channel: str
    caller_number: str | None
    state: CallState
    taker: str | None
    started_at: datetime


@dataclass(frozen=True, slots=True)
class PresenceSnapshot:
    queue: QueueView
    agents: tuple[AgentView, ...]
    calls: tuple[ActiveCall, ...]


def endpoint_of(interface_or_channel: str) -> str:
    """``PJSIP/taker01`` or ``PJSIP/taker01-0000000a`` → ``taker01``."""
    match = _ENDPOINT.match(interface_or_channel.strip())
    return match.group("endpoint") if match else interface_or_channel


def event_time(event: Event, fallback: datetime) -> datetime:
    """The event's own time (``timestampevents = yes``), else when we read it."""
    try:
        return datetime.fromtimestamp(float(event.get("Timestamp", "")), UTC)
    except ValueError:
        return fallback


def _epoch(value: str | None) -> datetime | None:
    try:
        seconds = float(value or "0")
    except ValueError:
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def _duration(value: str | None) -> timedelta:
    """CoreShowChannel ``Duration`` is ``HH:MM:SS``."""
    try:
        h, m, s = (int(part) for part in (value or "").split(":"))
    except ValueError:
        return timedelta(0)
    return timedelta(hours=h, minutes=m, seconds=s)


def _number(value: str | None) -> str | None:
    return value if value and value != "<unknown>" else None


@dataclass(slots=True)
class _Member:
    interface: str
    endpoint: str
    since: datetime
    device: str = "1"
    in_call: bool = False
    paused: bool = False
    paused_reason: str | None = None
    ringing_linkedid: str | None = None
    call_linkedid: str | None = None
    caller_number: str | None = None
    wrap_up_until: datetime | None = None
    state: AgentState = AgentState.AVAILABLE

    def derive(self, now: datetime) -> AgentState:
        """Fixed precedence, so the 16 and 22 orderings of QueueMemberStatus/AgentConnect agree."""
        if self.paused:
            return AgentState.PAUSED
        if self.call_linkedid is not None:
            return AgentState.ON_CALL
        if self.ringing_linkedid is not None or self.device == "6":
            return AgentState.RINGING
        if self.wrap_up_until is not None and now < self.wrap_up_until:
            return AgentState.WRAP_UP
        if self.in_call or self.device in _DEVICE_IN_USE:
            return AgentState.ON_CALL
        if self.device in _DEVICE_GONE:
            return AgentState.LOGGED_OUT
        return AgentState.AVAILABLE


class Presence:
    def __init__(
        self,
        queue: str,
        *,
        wrapup_seconds: float,
        tz: tzinfo = JAKARTA,
        call_contexts: Collection[str] = DEFAULT_CALL_CONTEXTS,
    ) -> None:
        self.queue = queue
        self._wrapup = timedelta(seconds=wrapup_seconds)
        self._tz = tz
        self._call_contexts = frozenset(call_contexts)
        self._members: dict[str, _Member] = {}  # by endpoint
        self._waiting: list[WaitingCaller] = []
        self._calls: dict[str, ActiveCall] = {}  # by linkedid
        self._count_day: date | None = None
        self._calls_today: dict[str, int] = {}  # survives logout/login within the day

    # --- reading ---------------------------------------------------------------------------------------------

    def snapshot(self) -> PresenceSnapshot:
        agents = tuple(
            AgentView(m.endpoint, m.interface, m.state, m.since, m.paused_reason if m.paused else None,
                      m.call_linkedid, m.caller_number, self._calls_today.get(m.endpoint, 0))
            for m in sorted(self._members.values(), key=lambda m: m.endpoint)
        )
        queue = QueueView(self.queue, tuple(self._waiting), tuple(sorted(self._members)))
        calls = tuple(sorted(self._calls.values(), key=lambda c: (c.started_at, c.linkedid)))
        return PresenceSnapshot(queue, agents, calls)

    # --- live events -----------------------------------------------------------------------------------------

    def apply(self, event: Event, now: datetime) -> bool:
        """Apply one AMI event in arrival order; True when something visible changed."""
        before = self.snapshot()
        name = event.get("Event", "")
        at = event_time(event, now)
        if name in ("Newchannel", "Hangup"):
            self._on_channel(name, event, at)
        elif event.get("Queue") == self.queue:
            self._on_queue_event(name, event, at)
        self._roll_day(now)
        self._refresh(at)
        return self.snapshot() != before

    def tick(self, now: datetime) -> bool:
        """Expire wrap-ups and roll calls_today over at local midnight; True when something changed."""
        before = self.snapshot()
        self._roll_day(now)
        self._refresh(now)
        return self.snapshot() != before

    def _on_channel(self, name: str, event: Event, at: datetime) -> None:
        linkedid = event.get("Linkedid", "")
        if not linkedid or event.get("Uniqueid") != linkedid:
            return  # a call taker's leg carries the caller's Linkedid: only the caller's channel counts
        if name == "Newchannel":
            if event.get("Context") in self._call_contexts and linkedid not in self._calls:
                self._calls[linkedid] = ActiveCall(linkedid, event.get("Channel", ""),
                                                   _number(event.get("CallerIDNum")), "intake", None, at)
            return
        self._calls.pop(linkedid, None)
        self._drop_waiting(linkedid)
        for member in self._members.values():
            if member.ringing_linkedid == linkedid:
                member.ringing_linkedid = None

    def _on_queue_event(self, name: str, event: Event, at: datetime) -> None:
        linkedid = event.get("Linkedid") or event.get("Uniqueid", "")
        if name == "QueueCallerJoin":
            self._on_join(event, linkedid, at)
        elif name in ("QueueCallerLeave", "QueueCallerAbandon"):
            self._drop_waiting(linkedid)
            if name == "QueueCallerAbandon":
                self._stop_ringing(linkedid)
        elif name == "QueueMemberRemoved":
            self._members.pop(endpoint_of(self._interface(event)), None)
        elif name.startswith(("QueueMember", "Agent")) and self._interface(event):
            self._on_member_event(name, event, self._member(event, at), linkedid, at)

    def _on_join(self, event: Event, linkedid: str, at: datetime) -> None:
        self._drop_waiting(linkedid)
        caller = WaitingCaller(linkedid, event.get("Channel", ""), _number(event.get("CallerIDNum")),
                               _number(event.get("CallerIDName")), 0, at)
        position = int(event.get("Position") or len(self._waiting) + 1)
        self._waiting.insert(max(0, position - 1), caller)
        self._renumber()
        call = self._calls.get(linkedid)
        started = call.started_at if call else at
        self._calls[linkedid] = ActiveCall(linkedid, caller.channel, caller.caller_number, "queued", None, started)

    def _on_member_event(self, name: str, event: Event, member: _Member, linkedid: str, at: datetime) -> None:
        if name in ("QueueMemberAdded", "QueueMemberStatus"):
            member.device = event.get("Status", member.device)
            member.in_call = event.get("InCall") == "1"
            member.paused = event.get("Paused") == "1"
            member.paused_reason = event.get("PausedReason") or None
        elif name in ("QueueMemberPause", "QueueMemberPaused"):
            member.paused = event.get("Paused") == "1"
            member.paused_reason = event.get("PausedReason") or event.get("Reason") or None
        elif name == "AgentCalled":
            member.ringing_linkedid = linkedid
            self._set_call(linkedid, "ringing", member.endpoint)
        elif name in ("AgentRingNoAnswer", "AgentDump"):
            member.ringing_linkedid = None
            self._set_call(linkedid, "queued", None)
        elif name == "AgentConnect":
            member.ringing_linkedid = None
            member.call_linkedid = linkedid
            member.caller_number = _number(event.get("CallerIDNum"))
            member.wrap_up_until = None
            self._set_call(linkedid, "talking", member.endpoint)
        elif name == "AgentComplete":
            member.call_linkedid = member.caller_number = None
            member.wrap_up_until = at + self._wrapup
            self._calls_today[member.endpoint] = self._calls_today.get(member.endpoint, 0) + 1

    # --- rebuilding from a snapshot --------------------------------------------------------------------------

    def reset(self, queue_status: Iterable[Event], channels: Sequence[Event], now: datetime) -> None:
        """Rebuild everything from QueueStatus (QueueParams/QueueMember/QueueEntry) + CoreShowChannels."""
        self._roll_day(now)
        old = self._members
        self._members, self._waiting, self._calls = {}, [], {}
        by_call: dict[str, list[Event]] = {}
        for channel in channels:
            by_call.setdefault(channel.get("Linkedid", ""), []).append(channel)
        for linkedid, legs in by_call.items():
            origin = next((c for c in legs if c.get("Uniqueid") == linkedid), None)
            if origin is not None and self._is_call(origin):
                self._calls[linkedid] = self._call_from_channels(linkedid, origin, legs, now)
        entries = [e for e in queue_status if e.get("Queue") == self.queue]
        for entry in entries:
            if entry.get("Event") == "QueueEntry":
                self._waiting_from_entry(entry, channels, now)
            elif entry.get("Event") == "QueueMember":
                self._member_from_status(entry, old.get(endpoint_of(self._interface(entry))), by_call, now)
        self._waiting.sort(key=lambda w: w.position)
        self._renumber()

    def _is_call(self, origin: Event) -> bool:
        in_queue = origin.get("Application") == "Queue"
        queue_name = origin.get("ApplicationData", "").split(",", 1)[0]
        return origin.get("Context") in self._call_contexts or (in_queue and queue_name == self.queue)

    def _call_from_channels(self, linkedid: str, origin: Event, legs: Sequence[Event], now: datetime) -> ActiveCall:
        taker_leg = next((c for c in legs if c is not origin), None)
        state: CallState = "intake"
        taker = None
        if taker_leg is not None and origin.get("BridgeId") and taker_leg.get("BridgeId") == origin.get("BridgeId"):
            state, taker = "talking", endpoint_of(taker_leg.get("Channel", ""))
        elif origin.get("Application") == "Queue":
            state = "ringing" if taker_leg is not None else "queued"
            taker = endpoint_of(taker_leg.get("Channel", "")) if taker_leg is not None else None
        return ActiveCall(linkedid, origin.get("Channel", ""), _number(origin.get("CallerIDNum")), state, taker,
                          now - _duration(origin.get("Duration")))

    def _waiting_from_entry(self, entry: Event, channels: Sequence[Event], now: datetime) -> None:
        channel = entry.get("Channel", "")
        live = next((c for c in channels if c.get("Channel") == channel), None)
        linkedid = entry.get("Linkedid") or (live or {}).get("Linkedid") or entry.get("Uniqueid", "")
        joined = now - timedelta(seconds=int(entry.get("Wait") or 0))
        caller = WaitingCaller(linkedid, channel, _number(entry.get("CallerIDNum")),
                               _number(entry.get("CallerIDName")), int(entry.get("Position") or 0), joined)
        self._waiting.append(caller)
        if linkedid not in self._calls:
            self._calls[linkedid] = ActiveCall(linkedid, channel, caller.caller_number, "queued", None, joined)

    def _member_from_status(
        self, entry: Event, previous: _Member | None, by_call: Mapping[str, Sequence[Event]], now: datetime
    ) -> None:
        interface = self._interface(entry)
        member = _Member(interface, endpoint_of(interface), now)
        member.device = entry.get("Status", "1")
        member.in_call = entry.get("InCall") == "1"
        member.paused = entry.get("Paused") == "1"
        member.paused_reason = entry.get("PausedReason") or None
        since = now
        for linkedid, call in self._calls.items():
            legs = by_call.get(linkedid, ())
            leg = next((c for c in legs if endpoint_of(c.get("Channel", "")) == member.endpoint), None)
            if leg is not None and call.taker == member.endpoint:
                since = now - _duration(leg.get("Duration"))
                if call.state == "talking":
                    member.call_linkedid, member.caller_number = linkedid, call.caller_number
                else:
                    member.ringing_linkedid = linkedid
        last_call = _epoch(entry.get("LastCall"))
        if last_call is not None and member.call_linkedid is None and last_call + self._wrapup > now:
            member.wrap_up_until, since = last_call + self._wrapup, last_call
        if member.paused:
            since = _epoch(entry.get("LastPause")) or now
        member.state = member.derive(now)
        keep = previous is not None and previous.state == member.state
        member.since = previous.since if previous is not None and keep else since
        self._calls_today[member.endpoint] = max(self._calls_today.get(member.endpoint, 0),
                                                 self._estimated_calls_today(entry, now))
        self._members[member.endpoint] = member

    def _estimated_calls_today(self, entry: Event, now: datetime) -> int:
        """CallsTaken counts since the member was added: exact only when that was today."""
        midnight = self._local_midnight(now)
        last_call, login = _epoch(entry.get("LastCall")), _epoch(entry.get("LoginTime"))
        if last_call is None or last_call < midnight:
            return 0
        return int(entry.get("CallsTaken") or 0) if login is not None and login >= midnight else 1

    # --- helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def _interface(event: Event) -> str:
        # QueueMember (QueueStatus) says Location; the live events say Interface.
        return event.get("Interface") or event.get("Location") or ""

    def _member(self, event: Event, at: datetime) -> _Member:
        interface = self._interface(event)
        endpoint = endpoint_of(interface)
        member = self._members.get(endpoint)
        if member is None:  # also when QueueMemberAdded was missed (we were reconnecting)
            member = self._members[endpoint] = _Member(interface, endpoint, at)
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

    def _refresh(self, now: datetime) -> None:
        for member in self._members.values():
            if member.wrap_up_until is not None and now >= member.wrap_up_until:
                member.wrap_up_until = None
            state = member.derive(now)
            if state != member.state:
                member.state, member.since = state, now

    def _local_midnight(self, now: datetime) -> datetime:
        local = now.astimezone(self._tz)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)

    def _roll_day(self, now: datetime) -> None:
        today = now.astimezone(self._tz).date()
        if self._count_day != today:
            if self._count_day is not None:
                self._calls_today.clear()
            self._count_day = today
