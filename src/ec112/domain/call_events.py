"""What Asterisk tells ec112 about calls, queue members and itself, in ec112's own words (pure).

The AMI adapter (``ec112.ami.events``) is the one translator from Asterisk's events and action replies to
these types; the services and the domain never see an Asterisk field name. Every event carries ``at``:
the event's own time (``timestampevents = yes``), else when ec112 read it. Times and counters are parsed
and bounded there (garbage → ``None`` or a default), so nothing here needs to distrust a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ec112.domain.call_reports import CallbackDialEnded, CallbackNotConnected, DigitPressed
from ec112.domain.spy_calls import ChanSpyStarted, ChanSpyStopped


class DeviceState(StrEnum):
    """A member's phone, as Asterisk's device state sees it."""

    UNKNOWN = "unknown"
    AVAILABLE = "available"  # registered and idle
    IN_USE = "in_use"
    BUSY = "busy"
    INVALID = "invalid"  # no such device (e.g. never registered)
    UNAVAILABLE = "unavailable"  # not registered, or not answering qualify OPTIONS
    RINGING = "ringing"
    RINGING_IN_USE = "ringing_in_use"  # ringing while in use
    ON_HOLD = "on_hold"

    @property
    def in_use(self) -> bool:
        return self in _IN_USE

    @property
    def gone(self) -> bool:
        """The phone cannot ring."""
        return self in _GONE


_IN_USE = frozenset({DeviceState.IN_USE, DeviceState.BUSY, DeviceState.RINGING_IN_USE, DeviceState.ON_HOLD})
_GONE = frozenset({DeviceState.INVALID, DeviceState.UNAVAILABLE})


# --- Asterisk itself ------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AsteriskConnected:
    """Logged in to Asterisk (at start and after every reconnect): what was missed must be re-read."""

    at: datetime


@dataclass(frozen=True, slots=True)
class AsteriskDisconnected:
    at: datetime
    reason: str = ""


# --- channels -------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ChannelCreated:
    at: datetime
    linkedid: str  # the call's identity ("" when Asterisk did not say)
    uniqueid: str  # this channel's; == linkedid for the citizen's own channel
    channel: str
    context: str | None  # the dialplan context it starts in
    caller_number: str | None  # as Asterisk has it (may be "<unknown>")

    @property
    def is_origin(self) -> bool:
        """The caller's own channel (a call taker's leg carries the caller's linkedid)."""
        return bool(self.linkedid) and self.uniqueid == self.linkedid


@dataclass(frozen=True, slots=True)
class ChannelHungUp:
    at: datetime
    linkedid: str
    uniqueid: str
    channel: str

    @property
    def is_origin(self) -> bool:
        return bool(self.linkedid) and self.uniqueid == self.linkedid


# --- callers in a queue ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CallerJoinedQueue:
    at: datetime
    queue: str
    linkedid: str  # the call's (the channel's own uniqueid when Asterisk gave no linkedid)
    uniqueid: str
    channel: str
    caller_number: str | None
    caller_name: str | None
    position: int | None  # 1-based; None when unreadable
    exercise: bool = False  # the channel's AccountCode is the drill endpoint's (domain.drills)


@dataclass(frozen=True, slots=True)
class CallerLeftQueue:
    at: datetime
    queue: str
    linkedid: str
    abandoned: bool  # hung up while waiting (else: left to a taker, or timed out)


# --- queue members (call takers) ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MemberStatus:
    """A member's facts as Asterisk reports them (base of ``MemberAdded`` and ``MemberStatusChanged``)."""

    at: datetime
    queue: str
    interface: str  # "PJSIP/taker01"; "" when Asterisk did not say
    device: DeviceState | None  # None: not reported (keep what was known)
    in_call: bool
    paused: bool
    paused_reason: str | None


@dataclass(frozen=True, slots=True)
class MemberAdded(MemberStatus):
    pass


@dataclass(frozen=True, slots=True)
class MemberStatusChanged(MemberStatus):
    pass


@dataclass(frozen=True, slots=True)
class MemberRemoved:
    at: datetime
    queue: str
    interface: str


@dataclass(frozen=True, slots=True)
class MemberPaused:
    """Paused or resumed (``paused`` False), with the reason given."""

    at: datetime
    queue: str
    interface: str
    paused: bool
    reason: str | None


@dataclass(frozen=True, slots=True)
class MemberRinging:
    """The queue rings this member's phone for a call."""

    at: datetime
    queue: str
    interface: str
    linkedid: str


@dataclass(frozen=True, slots=True)
class MemberRangOut:
    """The member's phone rang without an answer until the queue gave up on it."""

    at: datetime
    queue: str
    interface: str
    linkedid: str
    ring_seconds: float


@dataclass(frozen=True, slots=True)
class MemberDropped:
    """The member's leg ended before the caller was connected (the caller stays in the queue)."""

    at: datetime
    queue: str
    interface: str
    linkedid: str


@dataclass(frozen=True, slots=True)
class MemberConnected:
    """The member answered: talking with the caller."""

    at: datetime
    queue: str
    interface: str  # the member's ("" when Asterisk did not say)
    taker_channel: str  # the member's interface, else its channel: who answered, for the ticket
    linkedid: str
    uniqueid: str  # the caller's channel
    channel: str
    caller_number: str | None
    caller_name: str | None
    exercise: bool = False  # the caller channel's AccountCode is the drill endpoint's (domain.drills)


@dataclass(frozen=True, slots=True)
class MemberCompleted:
    """The member's call with the caller ended."""

    at: datetime
    queue: str
    interface: str
    linkedid: str
    # who ended it, as app_queue saw the first hang-up request: "agent" (the call taker), "caller", "transfer"
    reason: str = ""


QueueEvent = (CallerJoinedQueue | CallerLeftQueue | MemberAdded | MemberStatusChanged | MemberRemoved | MemberPaused
              | MemberRinging | MemberRangOut | MemberDropped | MemberConnected | MemberCompleted)
MemberEvent = (MemberAdded | MemberStatusChanged | MemberPaused | MemberRinging | MemberRangOut | MemberDropped
               | MemberConnected | MemberCompleted)
CallEvent = (AsteriskConnected | AsteriskDisconnected | ChannelCreated | ChannelHungUp | QueueEvent | DigitPressed
             | CallbackDialEnded | CallbackNotConnected | ChanSpyStarted | ChanSpyStopped)


# --- snapshots (read at every connect) ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QueueMemberRow:
    queue: str
    interface: str
    device: DeviceState
    in_call: bool
    paused: bool
    paused_reason: str | None
    calls_taken: int  # since the member was added
    last_call: datetime | None  # when its last call ended
    last_pause: datetime | None
    login_time: datetime | None  # when it was added


@dataclass(frozen=True, slots=True)
class QueueEntryRow:
    """A caller waiting in the queue."""

    queue: str
    channel: str
    linkedid: str  # "" when Asterisk did not say (older versions)
    uniqueid: str
    caller_number: str | None
    caller_name: str | None
    position: int
    waited: timedelta


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    members: tuple[QueueMemberRow, ...] = ()
    entries: tuple[QueueEntryRow, ...] = ()


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """One live channel."""

    channel: str
    uniqueid: str
    linkedid: str
    context: str | None
    in_queue: str | None  # the queue it waits in, or talks from; None when not in a queue
    caller_number: str | None
    caller_name: str | None
    bridge: str  # the bridge it is in; "" when none
    age: timedelta  # zero when unreadable
