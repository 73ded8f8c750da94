"""What presence shows: call-taker states and the views of queues, waiting callers and calls (pure).

Also a call taker's facts (``MemberFacts``) with the one precedence rule that turns them into a state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from ec112.domain.call_events import DeviceState

CallState = Literal["intake", "queued", "ringing", "talking"]
DEFAULT_TZ = ZoneInfo("Asia/Makassar")  # WITA; the daemon passes [callcenter] timezone
_ENDPOINT = re.compile(r"^(?:[A-Za-z0-9]+/)?(?P<endpoint>[^/]+?)(?:-[0-9a-f]{8})?(?:;\d)?$")


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
    exercise: bool = False  # that ticket is a drill's (LATIHAN on the wallboard)


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    linkedid: str
    channel: str
    caller_number: str | None
    caller_name: str | None
    position: int
    joined_at: datetime
    ticket: str | None = None
    exercise: bool = False  # a drill's call (LATIHAN)


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
    exercise: bool = False  # a drill's call (LATIHAN)


@dataclass(frozen=True, slots=True)
class PresenceSnapshot:
    queue: QueueView
    agents: tuple[AgentView, ...]
    calls: tuple[ActiveCall, ...]


def endpoint_of(interface_or_channel: str) -> str:
    """``PJSIP/taker01`` or ``PJSIP/taker01-0000000a`` → ``taker01``."""
    match = _ENDPOINT.match(interface_or_channel.strip())
    return match.group("endpoint") if match else interface_or_channel


def known_number(value: str | None) -> str | None:
    return value if value and value != "<unknown>" else None


@dataclass(slots=True)
class MemberFacts:
    """What Asterisk told us about one queue member; ``derive`` turns it into a state."""

    interface: str
    endpoint: str
    since: datetime
    device: DeviceState = DeviceState.AVAILABLE
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
        return self.device.gone

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
        if self.ringing_linkedid is not None or self.device is DeviceState.RINGING:
            return AgentState.RINGING
        if self.wrap_up_until is not None and now < self.wrap_up_until:
            return AgentState.WRAP_UP
        if self.in_call or self.device.in_use:
            return AgentState.ON_CALL
        return AgentState.AVAILABLE

