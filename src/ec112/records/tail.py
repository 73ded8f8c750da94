"""Read what an append-only log file gained since the last look, in bounded chunks, surviving rotation.

A position is the file's identity plus a byte offset. The identity is the device and inode and a hash of
the file's first line, so a rotated file (new inode: ``logger rotate``, logrotate's create) and a file
truncated in place and written again (copytruncate: same inode, new first line) are both noticed: reading
then starts over at 0 of the new file. So does a file shorter than the offset. Only whole lines are
consumed: a line still being written is read on the next look.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ec112.domain.recorded_calls import FilePosition  # identity: "<st_dev>:<st_ino>:<hash of the first line>"

_FINGERPRINT_BYTES = 256


@dataclass(frozen=True, slots=True)
class Chunk:
    lines: list[tuple[int, str]]  # (byte offset of the line, the line without its newline)
    position: FilePosition  # where the next read starts
    restarted: bool  # the file was rotated or truncated since ``position``: read from 0
    at_end: bool  # nothing whole is left to read after this chunk
    skipped_bytes: int = 0  # a line longer than a whole chunk was dropped (it is no record of ours)


def read_chunk(path: Path, last: FilePosition | None, max_bytes: int) -> Chunk:
    """Up to ``max_bytes`` of whole new lines after ``last`` (``FileNotFoundError`` when there is no file)."""
    with path.open("rb") as f:
        st = os.fstat(f.fileno())
        head = f.read(_FINGERPRINT_BYTES)
        identity = f"{st.st_dev}:{st.st_ino}:{_fingerprint(head)}"
        changed = last is not None and (last.identity != identity or st.st_size < last.offset)
        offset = 0 if last is None or changed else last.offset
        restarted = changed and last is not None and last.offset > 0
        f.seek(offset)
        data = f.read(max_bytes)
    end = data.rfind(b"\n")
    skipped = 0
    if end < 0:
        if len(data) < max_bytes:  # a line still being written (or nothing new)
            return Chunk([], FilePosition(identity, offset), restarted, at_end=True)
        skipped = len(data)  # one line longer than a chunk: not a CDR nor a queue_log line; drop it
        return Chunk([], FilePosition(identity, offset + skipped), restarted, at_end=False, skipped_bytes=skipped)
    whole = data[: end + 1]
    lines: list[tuple[int, str]] = []
    at = offset
    for raw in whole.splitlines(keepends=True):
        text = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
        if text.strip():
            lines.append((at, text))
        at += len(raw)
    new_offset = offset + len(whole)
    return Chunk(lines, FilePosition(identity, new_offset), restarted, at_end=len(data) < max_bytes)


def _fingerprint(head: bytes) -> str:
    """A hash of the first line (or of the first bytes while that line is longer); "" while there is none.

    Stable as the file grows: it only changes once a first line is complete, and no line was consumed
    before that.
    """
    newline = head.find(b"\n")
    if newline >= 0:
        first = head[: newline + 1]
    elif len(head) >= _FINGERPRINT_BYTES:
        first = head
    else:
        return ""
    return hashlib.sha256(first).hexdigest()[:16]
