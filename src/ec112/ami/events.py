"""The ONE translator from Asterisk's AMI events and action replies to ec112's own types (``domain.call_events``).

Asterisk's field names and formats end here: the services and the domain get typed events and snapshot rows.
Never raises: an event ec112 does not use is ``None``; a malformed field degrades (garbage time → none, garbage
counter → a default, unknown device state → ``UNKNOWN``), as a broken or hostile peer must not stop the stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ec112.ami.status import CONNECTED_EVENT, DISCONNECTED_EVENT
from ec112.domain.call_events import (
    AsteriskConnected,
    AsteriskDisconnected,
    CallerJoinedQueue,
    CallerLeftQueue,
    CallEvent,
    ChannelCreated,
    ChannelHungUp,
    ChannelRow,
    DeviceState,
    MemberAdded,
    MemberCompleted,
    MemberConnected,
    MemberDropped,
    MemberPaused,
    MemberRangOut,
    MemberRemoved,
    MemberRinging,
    MemberStatusChanged,
    QueueEntryRow,
    QueueMemberRow,
    QueueSnapshot,
)
from ec112.domain.call_reports import CallbackDialEnded, CallbackNotConnected, DigitPressed
from ec112.domain.drills import is_exercise
from ec112.domain.spy_calls import ChanSpyStarted, ChanSpyStopped
from ec112.routing.dialplan import CALLBACK_CONTEXT, CALLBACK_EVENT

Raw = Mapping[str, str]
_EPOCH_LIMIT = 4_102_444_800.0  # 2100-01-01: beyond it a "timestamp" is garbage (and near-overflow)
_COUNT_LIMIT = 1_000_000  # positions, seconds waited, calls taken: garbage above this would overflow dates
_MAX_AGE = timedelta(days=365)  # a channel "older" than this is a garbage Duration
# AST_DEVICE_* as app_queue reports them in Status
_DEVICE = {"0": DeviceState.UNKNOWN, "1": DeviceState.AVAILABLE, "2": DeviceState.IN_USE, "3": DeviceState.BUSY,
           "4": DeviceState.INVALID, "5": DeviceState.UNAVAILABLE, "6": DeviceState.RINGING,
           "7": DeviceState.RINGING_IN_USE, "8": DeviceState.ON_HOLD}


# --- field formats --------------------------------------------------------------------------------------------

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


def _optional_count(value: str | None) -> int | None:
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return None if number is None else min(max(number, 0), _COUNT_LIMIT)


def hms_duration(value: str | None) -> timedelta:
    """``HH:MM:SS`` (CoreShowChannel ``Duration``) → a duration; zero if unreadable or absurd."""
    try:
        hours, minutes, seconds = (int(part) for part in (value or "").split(":"))
        duration = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except (ValueError, OverflowError):  # garbage, or more hours than a timedelta holds
        return timedelta(0)
    return duration if timedelta(0) <= duration <= _MAX_AGE else timedelta(0)


def device_state(value: str) -> DeviceState:
    return _DEVICE.get(value, DeviceState.UNKNOWN)


def event_time(raw: Raw, fallback: datetime) -> datetime:
    """The event's own time (``timestampevents = yes``), else when we read it."""
    return epoch(raw.get("Timestamp")) or fallback


def _interface(raw: Raw) -> str:
    # QueueMember (QueueStatus) says Location; the live events say Interface.
    return raw.get("Interface") or raw.get("Location") or ""


def _call_of(raw: Raw) -> str:
    return raw.get("Linkedid") or raw.get("Uniqueid", "")


# --- live events ----------------------------------------------------------------------------------------------

def _member_status(raw: Raw, at: datetime) -> tuple[datetime, str, str, DeviceState | None, bool, bool, str | None]:
    status = raw.get("Status")
    return (at, raw.get("Queue", ""), _interface(raw), None if status is None else device_state(status),
            raw.get("InCall") == "1", raw.get("Paused") == "1", raw.get("PausedReason") or None)


def _channel_created(raw: Raw, at: datetime) -> CallEvent:
    return ChannelCreated(at, raw.get("Linkedid", ""), raw.get("Uniqueid", ""), raw.get("Channel", ""),
                          raw.get("Context"), raw.get("CallerIDNum"))


def _hung_up(raw: Raw, at: datetime) -> CallEvent:
    return ChannelHungUp(at, raw.get("Linkedid", ""), raw.get("Uniqueid", ""), raw.get("Channel", ""))


def _joined(raw: Raw, at: datetime) -> CallEvent:
    linkedid = _call_of(raw)
    return CallerJoinedQueue(at, raw.get("Queue", ""), linkedid, raw.get("Uniqueid", linkedid), raw.get("Channel", ""),
                             raw.get("CallerIDNum"), raw.get("CallerIDName"), _optional_count(raw.get("Position")),
                             is_exercise(raw.get("AccountCode")))


def _left(raw: Raw, at: datetime) -> CallEvent:
    return CallerLeftQueue(at, raw.get("Queue", ""), _call_of(raw), raw.get("Event") == "QueueCallerAbandon")


def _paused(raw: Raw, at: datetime) -> CallEvent:
    return MemberPaused(at, raw.get("Queue", ""), _interface(raw), raw.get("Paused") == "1",
                        raw.get("PausedReason") or raw.get("Reason") or None)


def _connected(raw: Raw, at: datetime) -> CallEvent:
    linkedid = _call_of(raw)
    taker = raw.get("Interface") or raw.get("DestChannel") or ""
    return MemberConnected(at, raw.get("Queue", ""), _interface(raw), taker, linkedid, raw.get("Uniqueid", linkedid),
                           raw.get("Channel", ""), raw.get("CallerIDNum"), raw.get("CallerIDName"),
                           is_exercise(raw.get("AccountCode")))


def _rang_out(raw: Raw, at: datetime) -> CallEvent:
    ring_seconds = ami_count(raw.get("RingTime")) / 1000
    return MemberRangOut(at, raw.get("Queue", ""), _interface(raw), _call_of(raw), ring_seconds)


def _digit(raw: Raw, at: datetime) -> CallEvent:
    return DigitPressed(at, raw.get("Linkedid", ""), raw.get("Uniqueid", ""), raw.get("Channel", ""),
                        raw.get("Digit", "")[:1], raw.get("Direction") == "Received")


def _task_id(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 9 else None


def _user_event(raw: Raw, at: datetime) -> CallEvent | None:
    """Only the callback dialplan's report (ec112-callback); the doctor reads its own on its own connection."""
    task = _task_id(raw.get("Task"))
    if raw.get("UserEvent") != CALLBACK_EVENT or task is None:
        return None
    return CallbackDialEnded(at, task, raw.get("DialStatus", "")[:20], _optional_count(raw.get("Cause")))


def _originate_response(raw: Raw, at: datetime) -> CallEvent | None:
    """A callback's Originate that never reached the dialplan (the taker's phone did not answer): its task is
    the extension ec112 originated to."""
    task = _task_id(raw.get("Exten"))
    if raw.get("Context") != CALLBACK_CONTEXT or raw.get("Response") != "Failure" or task is None:
        return None
    return CallbackNotConnected(at, task, _ORIGINATE_REASON.get(raw.get("Reason", ""), "failed"))


# Originate's Reason: the control frame that ended the attempt to ring the first channel.
_ORIGINATE_REASON = {"0": "failed", "1": "hung_up", "3": "taker_no_answer", "5": "taker_busy", "8": "congestion"}

_LIVE: dict[str, Callable[[Raw, datetime], CallEvent | None]] = {
    CONNECTED_EVENT: lambda raw, at: AsteriskConnected(at),
    DISCONNECTED_EVENT: lambda raw, at: AsteriskDisconnected(at, raw.get("Reason", "")),
    "Newchannel": _channel_created,
    "Hangup": _hung_up,
    "QueueCallerJoin": _joined,
    "QueueCallerLeave": _left,
    "QueueCallerAbandon": _left,
    "QueueMemberAdded": lambda raw, at: MemberAdded(*_member_status(raw, at)),
    "QueueMemberStatus": lambda raw, at: MemberStatusChanged(*_member_status(raw, at)),
    "QueueMemberRemoved": lambda raw, at: MemberRemoved(at, raw.get("Queue", ""), _interface(raw)),
    "QueueMemberPause": _paused,
    "QueueMemberPaused": _paused,  # Asterisk 13's name
    "AgentCalled": lambda raw, at: MemberRinging(at, raw.get("Queue", ""), _interface(raw), _call_of(raw)),
    "AgentRingNoAnswer": _rang_out,
    "AgentDump": lambda raw, at: MemberDropped(at, raw.get("Queue", ""), _interface(raw), _call_of(raw)),
    "AgentConnect": _connected,
    "AgentComplete": lambda raw, at: MemberCompleted(at, raw.get("Queue", ""), _interface(raw), _call_of(raw),
                                                     raw.get("Reason", "")),
    "DTMFEnd": _digit,  # a caller's key (silent calls); DTMFBegin is not used
    "UserEvent": _user_event,
    "OriginateResponse": _originate_response,
    # listen/whisper/barge (services.spy): a supervisor's ChanSpy attached to / detached from a call taker
    "ChanSpyStart": lambda raw, at: ChanSpyStarted(at, raw.get("SpyerUniqueid", ""), raw.get("SpyerChannel", ""),
                                                   raw.get("SpyeeChannel", "")),
    "ChanSpyStop": lambda raw, at: ChanSpyStopped(at, raw.get("SpyerUniqueid", ""), raw.get("SpyerChannel", "")),
}


# The Asterisk events ec112 reads (asterisk-conf/manager.conf's eventfilter lets exactly these through).
ASTERISK_EVENTS = frozenset(name for name in _LIVE if name not in (CONNECTED_EVENT, DISCONNECTED_EVENT))


def translate(raw: Raw, read_at: datetime) -> CallEvent | None:
    """One AMI event as ec112 sees it; None for an event ec112 does not use. ``read_at``: when it was read."""
    make = _LIVE.get(raw.get("Event", ""))
    return None if make is None else make(raw, event_time(raw, read_at))


# --- snapshots ------------------------------------------------------------------------------------------------

def queue_snapshot(rows: Iterable[Raw]) -> QueueSnapshot:
    """QueueStatus's answer (QueueParams / QueueMember / QueueEntry rows) → members and waiting callers."""
    members, entries = [], []
    for row in rows:
        kind = row.get("Event")
        if kind == "QueueMember":
            members.append(QueueMemberRow(
                row.get("Queue", ""), _interface(row), device_state(row.get("Status", "1")), row.get("InCall") == "1",
                row.get("Paused") == "1", row.get("PausedReason") or None, ami_count(row.get("CallsTaken")),
                epoch(row.get("LastCall")), epoch(row.get("LastPause")), epoch(row.get("LoginTime"))))
        elif kind == "QueueEntry":
            entries.append(QueueEntryRow(
                row.get("Queue", ""), row.get("Channel", ""), row.get("Linkedid", ""), row.get("Uniqueid", ""),
                row.get("CallerIDNum"), row.get("CallerIDName"), ami_count(row.get("Position")),
                timedelta(seconds=ami_count(row.get("Wait")))))
    return QueueSnapshot(tuple(members), tuple(entries))


def channel_row(row: Raw) -> ChannelRow:
    """One CoreShowChannel row."""
    in_queue = row.get("ApplicationData", "").split(",", 1)[0] if row.get("Application") == "Queue" else None
    return ChannelRow(row.get("Channel", ""), row.get("Uniqueid", ""), row.get("Linkedid", ""), row.get("Context"),
                      in_queue, row.get("CallerIDNum"), row.get("CallerIDName"), row.get("BridgeId", ""),
                      hms_duration(row.get("Duration")))


def channel_rows(rows: Iterable[Raw]) -> tuple[ChannelRow, ...]:
    return tuple(channel_row(row) for row in rows)


# --- the stream -----------------------------------------------------------------------------------------------

class RawEvents(Protocol):
    async def get(self) -> Raw: ...


class TypedEvents:
    """The AMI client's ordered queue of raw events, read as ec112's events (unused ones skipped).

    ``on_read`` sees the name of every event read, used or not (the daemon counts them by name)."""

    def __init__(
        self,
        raw: RawEvents,
        clock: Callable[[], datetime],
        on_read: Callable[[str], None] = lambda _name: None,
    ) -> None:
        self._raw = raw
        self._clock = clock
        self._on_read = on_read

    async def get(self) -> CallEvent:
        while True:
            raw = await self._raw.get()
            self._on_read(raw.get("Event", "?"))
            event = translate(raw, self._clock())
            if event is not None:
                return event
