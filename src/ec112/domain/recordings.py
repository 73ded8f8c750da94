"""A 112 call's recording as ec112 knows it (issue 14; docs/room.md): where Asterisk wrote it, its state, and —
once sealed — its length, size and sha256 (also in the audit chain). Pure: no I/O.

The dialplan starts MixMonitor itself (it records with ec112 down); ec112 links the file to the ticket by the
call's Linkedid (the file is named after it), seals it when the call ended, replays it to those allowed, and
deletes it after ``[recording] keep_days``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
