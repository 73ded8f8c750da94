"""Settings of running and improving the room (issue 14): recordings, listen/whisper/barge, reports.

Sections of ``Settings`` (``[recording]``, ``[spy]``, ``[reports]``; drills need none: a drill call is told apart by the
``drill`` endpoint's accountcode, docs/room.md); each feature's service gets its
own section, nothing else. docs/room.md describes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class RecordingSettings(BaseModel):
    # "arrival": from Asterisk's answer of the 112 call (prompts and waiting included: what a caller said before
    # a call taker answered, or before she hung up, is evidence too); "answer": from a call taker's answer;
    # "off": nothing is recorded. The dialplan starts MixMonitor itself (it records with ec112 down).
    start: Literal["arrival", "answer", "off"] = "arrival"
    # Where Asterisk writes the files; None: "<records dir>/recordings" (the lab: <lab>/recordings).
    directory: Path | None = None
    # Retention: ec112 deletes a recording this many days after its call ended, and logs what it deleted.
    keep_days: int = Field(90, ge=1, le=3650)
    retention_check_seconds: float = Field(3600.0, gt=0, le=86400)  # how often the retention sweep runs


class SpySettings(BaseModel):
    ring_seconds: int = Field(20, ge=5, le=120)  # how long the supervisor's phone rings before giving up


class ReportSettings(BaseModel):
    # The header of the monthly report to the ministry (Kominfo): the regency's own names.
    regency: str = "Kabupaten Penajam Paser Utara"
    service_name: str = "Call Center 112"
    operator: str = "Dinas Komunikasi dan Informatika"
