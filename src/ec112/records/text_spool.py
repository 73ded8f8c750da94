"""The dialplan's spool of text messages to 112 that ec112 could not take (implements
``services.text_to_112.TextSpool``).

extensions.conf (ec112-text) appends ``v1|key|epoch|host:port|BASE64(from)|BASE64(body)`` lines to
``<Asterisk's spool dir>/ec112-text.spool`` when the FastAGI route did not confirm a message. Reading it back:
the file is renamed first (the dialplan's next message starts a new file: FILE() opens by name, in append mode),
after a short pause for a write in flight, then each ``*.taken`` file is one batch, deleted only once all its
messages are stored. A batch left by a crash is read again at the next start; the key makes that harmless.
Malformed lines are logged (line number and reason, never the content) and skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from ec112.domain.text_messages import IncomingText, parse_spool_line

log = logging.getLogger(__name__)
SPOOL_NAME = "ec112-text.spool"  # routing.dialplan.TEXT_SPOOL_FILE, as the dialplan writes it
TAKEN_SUFFIX = ".taken"
MAX_BATCH_BYTES = 8 * 1024 * 1024  # a spool this large is not ours to swallow at once


class FileTextSpool:
    def __init__(self, directory: Path, *, settle_seconds: float = 0.2) -> None:
        self._dir = directory
        self._settle = settle_seconds

    async def take(self) -> Sequence[tuple[str, Sequence[IncomingText]]]:
        if await asyncio.to_thread(self._rename):
            await asyncio.sleep(self._settle)  # a FILE() append that opened the file just before the rename
        return await asyncio.to_thread(self._read_batches)

    async def done(self, batch: str) -> None:
        await asyncio.to_thread(Path(batch).unlink, missing_ok=True)

    def _rename(self) -> bool:
        live = self._dir / SPOOL_NAME
        try:
            live.rename(self._dir / f"{SPOOL_NAME}.{time.time_ns()}{TAKEN_SUFFIX}")
        except FileNotFoundError:
            return False
        except OSError as exc:
            log.warning("text spool %s cannot be taken (%s)", live, type(exc).__name__)
            return False
        return True

    def _read_batches(self) -> list[tuple[str, Sequence[IncomingText]]]:
        batches: list[tuple[str, Sequence[IncomingText]]] = []
        for path in sorted(self._dir.glob(f"{SPOOL_NAME}.*{TAKEN_SUFFIX}")):
            try:
                if path.stat().st_size > MAX_BATCH_BYTES:
                    log.error("text spool %s is over %d bytes: left for an operator", path, MAX_BATCH_BYTES)
                    continue
                text = path.read_bytes().decode("utf-8", errors="replace")
            except OSError as exc:
                log.warning("text spool %s unreadable (%s)", path, type(exc).__name__)
                continue
            batches.append((str(path), read_lines(text, path.name)))
        return batches


def read_lines(text: str, name: str) -> list[IncomingText]:
    """The well-formed messages of a spool file; a malformed line is logged and skipped."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(parse_spool_line(line))
        except ValueError as exc:
            log.warning("text spool %s line %d skipped: %s", name, number, exc)
    return found
