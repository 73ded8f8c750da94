"""What presence shows: call-taker states and the views of queues, waiting callers and calls (pure).

Also the small readers of AMI field formats that both the live model and the rebuild share, and a
call taker's raw facts (``MemberFacts``) with the one precedence rule that turns them into a state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

Event = Mapping[str, str]
CallState = Literal["intake", "queued", "ringing", "talking"]
JAKARTA = ZoneInfo("Asia/Jakarta")
_ENDPOINT = re.compile(r"^(?:[A-Za-z0-9]+/)?(?P<endpoint>[^/]+?)(?:-[0-9a-f]{8})?(?:;\d)?$")
_DEVICE_IN_USE = {"2", "3", "7", "8"}  # in use, busy, ringinuse (ring + in use), on hold
_DEVICE_GONE = {"4", "5"}  # invalid, unavailable: not registered, or not answering qualify OPTIONS
_EPOCH_LIMIT = 4_102_444_800.0  # 2100-01-01: beyond it a "timestamp" is garbage (and near-overflow)
_COUNT_LIMIT = 1_000_000  # positions, seconds waited, calls taken: garbage above this would overflow dates


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"  # not a member of the queue
    UNREACHABLE = "unreachable"  # a member whose phone cannot ring (unregistered, or dead to qualify)
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
    ticket: str | None = None  # of the current call


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    linkedid: str
    channel: str
    caller_number: str | None
    caller_name: str | None
    position: int
    joined_at: datetime
    ticket: str | None = None


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
    ticket: str | None = None


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
    return epoch(event.get("Timestamp")) or fallback


def epoch(value: str | None) -> datetime | None:
    """Unix seconds → UTC; None for 0, garbage, nan/inf or a time no clock of ours can show (> 2100)."""
    try:
        seconds = float(value or "0")
    except ValueError:
        return None
    return datetime.fromtimestamp(seconds, UTC) if 0 < seconds < _EPOCH_LIMIT else None


def ami_count(value: str | None, default: int = 0) -> int:
    """A non-negative AMI counter (Position, Wait, CallsTaken); ``default`` when unreadable, capped."""
    try:
        number = int(value) if value else default
    except ValueError:
        return default
    return min(max(number, 0), _COUNT_LIMIT)


def known_number(value: str | None) -> str | None:
    return value if value and value != "<unknown>" else None


@dataclass(slots=True)
class MemberFacts:
    """What Asterisk told us about one queue member; ``derive`` turns it into a state."""

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

    @property
    def phone_gone(self) -> bool:
        return self.device in _DEVICE_GONE

    def derive(self, now: datetime) -> AgentState:
        """Fixed precedence, so the 16 and 22 orderings of QueueMemberStatus/AgentConnect agree.

        A phone that cannot ring outranks a pause: whatever the reason of the pause, the supervisor must see
        that this desk would not get a call even if it were resumed (the reason stays in the view)."""
        if self.phone_gone and self.call_linkedid is None:
            return AgentState.UNREACHABLE
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
        return AgentState.AVAILABLE



def member_interface(event: Event) -> str:
    # QueueMember (QueueStatus) says Location; the live events say Interface.
    return event.get("Interface") or event.get("Location") or ""
