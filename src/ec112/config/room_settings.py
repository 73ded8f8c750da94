"""Settings of running and improving the room (issue 14): recordings, listen/whisper/barge, drills, reports.

Sections of ``Settings`` (``[recording]``, ``[spy]``, ``[drill]``, ``[reports]``); each feature's service gets its
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
    # The same directory as Asterisk sees it (Asterisk in a chroot or a container); None: ``directory`` itself.
    directory_in_asterisk: str | None = None
    # Retention: ec112 deletes a recording this many days after its call ended, and logs what it deleted.
    keep_days: int = Field(90, ge=1, le=3650)
    retention_check_seconds: float = Field(3600.0, gt=0, le=86400)  # how often the retention sweep runs


class SpySettings(BaseModel):
    ring_seconds: int = Field(20, ge=5, le=120)  # how long the supervisor's phone rings before giving up


class DrillSettings(BaseModel):
    # "real": drill calls go to the room's 112 queue (the takers taking part are the logged-in ones);
    # "training": to a separate queue of that name (asterisk-conf/queues.conf), so the room keeps answering.
    queue: str = Field("real", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    # The PJSIP endpoint drill callers call from (its accountcode marks every call and ticket as exercise).
    endpoint: str = Field("drill", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    directory: Path | None = None  # where scenario files are looked up by name; None: the shipped drills/


class ReportSettings(BaseModel):
    answered_within_seconds: tuple[int, int] = (10, 20)  # the service-level thresholds of the reports
    # The header of the monthly report to the ministry (Kominfo): the regency's own names.
    regency: str = "Kabupaten Penajam Paser Utara"
    service_name: str = "Call Center 112"
    operator: str = "Dinas Komunikasi dan Informatika"
