"""Both record files read together: first the CDR CSV, then the queue_log, one bounded chunk of each.

Why that order: app_queue logs ENTERQUEUE, CONNECT and ABANDON while the call is alive, before the call
ends and Asterisk writes its CDR; so once the queue_log has been read to its end *after* the CDR was read,
every queue line of every call whose CDR was seen is in hand (``RecordBatch.drained``). Plain blocking
file reads: the service runs ``read`` in a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ec112.domain.recorded_calls import FilePosition, RecordedCall
from ec112.records.cdr import RecordError, parse_cdr_line
from ec112.records.queue_log import parse_queue_log_line
from ec112.records.tail import read_chunk

log = logging.getLogger(__name__)
CDR = "cdr"
QUEUE_LOG = "queue_log"
_LOGGED_PER_FILE = 5  # malformed lines logged one by one per read; the rest only counted


@dataclass(frozen=True, slots=True)
class FileStatus:
    name: str
    path: Path | None
    ok: bool
    detail: str  # "ok", "not configured", "missing", "unreadable: …"


@dataclass(slots=True)
class RecordBatch:
    calls: list[RecordedCall] = field(default_factory=list)  # parts in the order they were read
    positions: dict[str, FilePosition] = field(default_factory=dict)  # only the files that were read
    drained: bool = True  # both files were read to their end (the CDR first)
    malformed: int = 0
    status: list[FileStatus] = field(default_factory=list)


class AsteriskRecords:
    def __init__(self, *, cdr_csv: Path | None, queue_log: Path | None, queue: str,
                 emergency_contexts: Collection[str], chunk_bytes: int = 1 << 20) -> None:
        contexts = frozenset(emergency_contexts)
        self._files: list[tuple[str, Path | None, Callable[[str], RecordedCall | None]]] = [
            (CDR, cdr_csv, lambda line: parse_cdr_line(line, contexts)),
            (QUEUE_LOG, queue_log, lambda line: parse_queue_log_line(line, queue)),
        ]
        self._chunk = chunk_bytes

    def read(self, positions: Mapping[str, FilePosition]) -> RecordBatch:
        """One chunk of new lines from each file (CDR first) as call parts, and where to go on next time."""
        batch = RecordBatch()
        for name, path, parse in self._files:
            if path is None:
                batch.status.append(FileStatus(name, None, True, "not configured"))
                continue
            try:
                chunk = read_chunk(path, positions.get(name), self._chunk)
            except FileNotFoundError:
                batch.status.append(FileStatus(name, path, False, "missing"))
                continue
            except OSError as exc:  # permissions, a directory, an I/O error: retried at the next look
                batch.status.append(FileStatus(name, path, False, f"unreadable: {type(exc).__name__}"))
                batch.drained = False
                continue
            batch.status.append(FileStatus(name, path, True, "ok"))
            if chunk.restarted:
                log.warning("%s %s was rotated or truncated: reading it again from the start", name, path)
            if chunk.skipped_bytes:
                log.warning("%s %s: skipped a %d-byte line with no end", name, path, chunk.skipped_bytes)
            batch.positions[name] = chunk.position
            batch.drained = batch.drained and chunk.at_end
            bad = 0
            for offset, line in chunk.lines:
                try:
                    part = parse(line)
                except RecordError as exc:
                    bad += 1
                    if bad <= _LOGGED_PER_FILE:  # the line itself may hold a caller's number: DEBUG only
                        log.warning("%s %s: malformed line at byte %d skipped (%s)", name, path, offset, exc)
                        log.debug("malformed %s line: %r", name, line)
                    continue
                if part is not None:
                    batch.calls.append(part)
            if bad > _LOGGED_PER_FILE:
                log.warning("%s %s: %d malformed lines skipped in all", name, path, bad)
            batch.malformed += bad
        return batch

    def status(self) -> list[FileStatus]:
        """Whether each configured file is there and readable (for the start-up log and /readyz)."""
        result = []
        for name, path, _ in self._files:
            if path is None:
                result.append(FileStatus(name, None, True, "not configured"))
            elif not path.exists():
                result.append(FileStatus(name, path, False, "missing"))
            else:
                try:
                    with path.open("rb"):
                        pass
                    result.append(FileStatus(name, path, True, "ok"))
                except OSError as exc:
                    result.append(FileStatus(name, path, False, f"unreadable: {type(exc).__name__}"))
        return result
