"""A 112 call's recording as ec112 knows it (issue 14; docs/room.md): where Asterisk wrote it, its state, and —
once sealed — its length, size and sha256 (also in the audit chain). Pure: no I/O.

The dialplan starts MixMonitor itself (it records with ec112 down); ec112 links the file to the ticket by the
call's Linkedid (the file is named after it), seals it when the call ended, replays it to those allowed, and
deletes it after ``[recording] keep_days``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.events import DomainEvent
from ec112.domain.tickets import Ticket


class RecordingState(StrEnum):
    RECORDING = "recording"  # the call is going on (or ended and not sealed yet)
    SEALED = "sealed"  # ended; size, duration and sha256 recorded (and in the audit chain)
    MISSING = "missing"  # no file where Asterisk should have written it
    UNREADABLE = "unreadable"  # a file, but not a WAV ec112 can read (truncated, permissions…)
    DELETED = "deleted"  # removed by the retention policy (the row, hash and who/when stay)


@dataclass(frozen=True, slots=True)
class Recording:
    ticket_id: int
    linkedid: str
    path: str  # the file as ec112 sees it
    state: RecordingState
    started_at: datetime
    ended_at: datetime | None = None
    duration_seconds: float | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    deleted_at: datetime | None = None

    @property
    def playable(self) -> bool:
        return self.state is RecordingState.SEALED or self.state is RecordingState.RECORDING




@dataclass(frozen=True, slots=True)
class FileFacts:
    """What ec112 read from a closed recording file (``None`` fields: not a readable WAV)."""

    size_bytes: int
    sha256: str
    duration_seconds: float | None  # None: not a WAV ec112 can read


def relative_path(linkedid: str, arrived_at: datetime) -> str:
    """``<YYYY>/<MM>/<DD>/<linkedid>.wav`` as the dialplan names it (the UTC day Asterisk answered the call)."""
    return f"{arrived_at.astimezone(UTC):%Y/%m/%d}/{linkedid}.wav"


def candidate_paths(linkedid: str, arrived_at: datetime) -> tuple[str, ...]:
    """The arrival day, then the day before and after: Asterisk's answer (the file's day) and ec112's arrival time
    (a moment later, or the call's start from Asterisk's records) can straddle midnight."""
    return tuple(relative_path(linkedid, arrived_at + timedelta(days=d)) for d in (0, -1, 1))


def sealed(rec: Recording, facts: FileFacts, ended_at: datetime) -> Recording:
    """The recording once its call ended and its file was read: sealed, or unreadable (hash kept anyway)."""
    state = RecordingState.SEALED if facts.duration_seconds is not None else RecordingState.UNREADABLE
    return replace(rec, state=state, ended_at=ended_at, duration_seconds=facts.duration_seconds,
                   size_bytes=facts.size_bytes, sha256=facts.sha256)


def may_replay(user: User, ticket: Ticket) -> bool:
    """A supervisor or an admin (anyone who may act for any taker), or the call taker whose phone answered."""
    if has_permission(user, Permission.AGENT_ANY):
        return True
    return (has_permission(user, Permission.VIEW_TICKETS) and bool(user.sip_endpoint)
            and user.sip_endpoint == ticket.answered_by)


def expired(rec: Recording, now: datetime, keep_days: int) -> bool:
    """Past the retention period: its call ended more than ``keep_days`` ago and the file is still there."""
    if rec.state is RecordingState.DELETED or rec.ended_at is None:
        return False
    return now - rec.ended_at > timedelta(days=keep_days)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingChanged(DomainEvent):
    """A ticket's recording changed state (started, sealed, missing, unreadable, deleted): SSE kind ``recording``."""

    recording: Recording
    ticket_number: str
