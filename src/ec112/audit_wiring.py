"""The audit log's key file and anchors in the composition root (issue 15, part D).

- ``load_keyring``: ``[audit] key_file`` (default ``<var_dir>/audit.key``), created 0600 at the first start of
  the daemon or of an ``ec112 user|audit`` command; a key file that group or others may read is refused.
- ``AnchorLog``: ``[audit] anchor_file`` (default ``<var_dir>/audit-anchors.jsonl``), one chained, MAC'd JSON
  line per anchor of the chain's head, also sent to syslog (ident ``ec112-audit``) when ``/dev/log`` exists.
- ``anchoring``: the daemon's anchors — at start, every ``anchor_interval_seconds`` (``loops()``, tracked in the
  daemon's TaskGroup) and at a clean stop (before the engine is disposed).
"""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import os
import stat
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ec112.config.settings import Settings
from ec112.domain import audit_seal as seal
from ec112.domain.audit_seal import Anchor, KeyFileError, Keyring
from ec112.services.audit import AuditService

log = logging.getLogger(__name__)
SYSLOG_SOCKET = "/dev/log"
SYSLOG_TIMEOUT = 5.0  # a syslog daemon that does not take the line: the anchor file has it anyway
_TAIL_BYTES = 8192  # an anchor line is < 1 KB


def key_file(settings: Settings) -> Path:
    return settings.audit.key_file or settings.var_dir / "audit.key"


def anchor_file(settings: Settings) -> Path:
    return settings.audit.anchor_file or settings.var_dir / "audit-anchors.jsonl"


def load_keyring(path: Path, *, create: bool = True) -> Keyring:
    """The keys of ``path``, made (0600, one new key) when it does not exist; KeyFileError when unusable."""
    if not path.exists() and create:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write("# ec112 audit MAC keys: '<key_id> <hex key>'; the last line signs (docs/production.md)\n")
            f.write(seal.new_key_line(datetime.now(UTC)))
        log.warning("audit: created the MAC key file %s — back it up apart from the database", path)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path} may be read by others (mode {stat.S_IMODE(mode):o}): chmod 600 {path}")
    try:
        return seal.parse_keyring(path.read_text(encoding="ascii"))
    except (KeyFileError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path}: {exc}") from exc


def rotate_key(path: Path) -> str:
    """Append a new key to the key file (it signs from now on; the older ones still verify); its key_id."""
    load_keyring(path)  # refuses a file readable by others before adding to it
    line = seal.new_key_line(datetime.now(UTC))
    with path.open("a", encoding="ascii") as f:
        f.write(line)
    return line.split()[0]


def last_anchor(path: Path) -> Anchor | None:
    """The newest anchor, read from the file's end (the file grows by ~300 lines a day)."""
    if not path.exists():
        return None
    with path.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - _TAIL_BYTES))
        lines = [line for line in f.read().decode("utf-8", errors="replace").splitlines() if line.strip()]
    return seal.parse_anchor(lines[-1]) if lines else None


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor of the file (none when it does not exist); ValueError names a line that is not one."""
    if not path.exists():
        return []
    anchors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                anchors.append(seal.parse_anchor(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc
    return anchors


class AnchorLog:
    """Appends anchors to the anchor file (fsync'd) and syslog; one writer per process."""

    def __init__(self, path: Path, keyring: Keyring, *, syslog: bool, syslog_socket: str = SYSLOG_SOCKET) -> None:
        self._path = path
        self._keyring = keyring
        self._lock = asyncio.Lock()
        self._syslog = _syslog_logger(syslog_socket) if syslog else None

    async def append(self, audit: AuditService, kind: str) -> Anchor:
        async with self._lock:
            head = await audit.head()
            previous = await asyncio.to_thread(last_anchor, self._path)
            anchor = seal.seal_anchor(self._keyring, previous, kind=kind, at=datetime.now(UTC),
                                      head_id=head.id if head else 0, head_hash=head.hash if head else None,
                                      head_mac=head.mac if head else None)
            await asyncio.to_thread(self._write, anchor.line())
        if self._syslog is not None:
            try:
                async with asyncio.timeout(SYSLOG_TIMEOUT):
                    await asyncio.to_thread(self._syslog.info, "%s", anchor.line())
            except TimeoutError:
                log.warning("audit: syslog did not take anchor %d within %.0f s", anchor.seq, SYSLOG_TIMEOUT)
        return anchor

    def _write(self, line: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def close(self) -> None:
        if self._syslog is not None:
            for handler in self._syslog.handlers:
                handler.close()


def _syslog_logger(socket: str) -> logging.Logger | None:
    """A private logger (not in logging's registry) to syslog, AUTHPRIV; None, with one warning, without one."""
    try:
        if not Path(socket).exists():
            raise FileNotFoundError(socket)
        handler = logging.handlers.SysLogHandler(socket, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV)
    except OSError as exc:
        log.warning("audit: no syslog at %s (%s): anchors go to the anchor file only", socket, exc)
        return None
    handler.ident = "ec112-audit: "
    logger = logging.Logger("ec112-audit", logging.INFO)
    logger.addHandler(handler)
    logger.propagate = False
    return logger


class Anchoring:
    def __init__(self, anchors: AnchorLog, audit: AuditService, interval: float) -> None:
        self._anchors, self._audit, self._interval = anchors, audit, interval

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await _anchor(self._anchors, self._audit, "periodic")

    def loops(self) -> list[tuple[Coroutine[Any, Any, None], str]]:
        return [(self._periodic(), "audit-anchors")]


@asynccontextmanager
async def anchoring(settings: Settings, audit: AuditService) -> AsyncIterator[Anchoring]:
    """The daemon's anchors: one now, the periodic ones through ``loops()``, one at a clean stop."""
    anchors = _anchor_log(settings, audit)
    try:
        await _anchor(anchors, audit, "start")
        yield Anchoring(anchors, audit, settings.audit.anchor_interval_seconds)
        await _anchor(anchors, audit, "stop")
    finally:
        anchors.close()


def _anchor_log(settings: Settings, audit: AuditService) -> AnchorLog:
    if audit.keyring is None:
        raise KeyFileError("the audit log has no key")
    return AnchorLog(anchor_file(settings), audit.keyring, syslog=settings.audit.anchor_syslog,
                     syslog_socket=SYSLOG_SOCKET)  # read at the call: tests point it at their own socket


async def _anchor(anchors: AnchorLog, audit: AuditService, kind: str) -> None:
    """A 112 call never waits for the audit: an anchor that cannot be written (an unreadable anchor file, the
    database down) is logged as an error, and ``ec112 audit verify`` will say what is wrong."""
    try:
        anchor = await anchors.append(audit, kind)
        log.info("audit: %s anchor %d at head %d", kind, anchor.seq, anchor.head_id)
    except Exception:
        log.exception("audit: %s anchor not written", kind)


async def anchor_restore(settings: Settings, audit: AuditService) -> Anchor:
    """After ``ec112 restore``: a chained ``restore`` anchor names the restored head, so ``verify`` takes what was
    anchored past it for history (a legitimate rewind), not for a deleted tail."""
    anchors = _anchor_log(settings, audit)
    try:
        return await anchors.append(audit, "restore")
    finally:
        anchors.close()
