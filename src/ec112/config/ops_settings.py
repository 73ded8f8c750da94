"""Settings of running ec112 in production (issue 15): the audit key and anchors, backups, disk checks.

Sections of ``Settings`` (``[audit]``, ``[backup]``, ``[operations]``); docs/production.md describes them. A path
left unset is placed under ``var_dir`` by the service that uses it (never at import time).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from ec112.logs import LogFormat


class AuditSettings(BaseModel):
    # The MAC key of the audit log: a file outside the database (mode 0600), created at the first start when
    # missing. None: "<var_dir>/audit.key". Rotation: docs/production.md.
    key_file: Path | None = None
    # Append-only file of chained anchors of the chain's head (one JSON line each).
    # None: "<var_dir>/audit-anchors.jsonl".
    anchor_file: Path | None = None
    anchor_interval_seconds: float = Field(300.0, gt=0, le=86400)  # also written at start and at a clean stop
    anchor_syslog: bool = True  # each anchor also goes to syslog/journal (facility AUTHPRIV, ident "ec112-audit")


class BackupSettings(BaseModel):
    directory: Path | None = None  # where `ec112 backup` writes; None: "<var_dir>/backups"


class OperationsSettings(BaseModel):
    # `ec112 doctor` fails when the disk holding the recordings or the SQLite database has less free space.
    min_free_disk_mb: int = Field(2048, ge=0)


class WatchdogSettings(BaseModel):
    """The supervisor that restarts a frozen or crashed worker (see README, "Fail open")."""

    enabled: bool = True
    heartbeat_interval: float = 0.5
    timeout: float = 3.0  # no heartbeat for this long: the worker is killed and restarted
    restart_delay: float = 0.2


class LogSettings(BaseModel):
    """``[log]``: how the log is written (its level stays the top-level ``log_level``, see README)."""

    # text: "time LEVEL logger: message [linkedid=… ticket=…]"; json: one object per line (log collectors).
    format: LogFormat = "text"
