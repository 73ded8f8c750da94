"""The recordings Asterisk's MixMonitor wrote, as ec112 reads them (implements ``services.recordings.RecordingFiles``).

Reading and hashing a file is blocking disk work: it runs in a worker thread, never on the event loop that
carries the AMI stream and the intake.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import wave
from pathlib import Path

from ec112.domain.recordings import FileFacts

_CHUNK = 1 << 20


class DiskRecordings:
    def __init__(self, directory: Path) -> None:
        self.directory = directory  # the recordings directory as ec112 sees it

    def path(self, relative: str) -> Path:
        return self.directory / relative

    def exists(self, relative: str) -> bool:
        return self.path(relative).is_file()

    async def wait_closed(self, relative: str, *, quiet_seconds: float, within: float) -> None:
        """Until MixMonitor closed the file: it stopped growing for ``quiet_seconds`` and its RIFF header counts
        every byte (Asterisk rewrites the header when it closes the file, just after the hang-up: hashing before
        that would seal a hash the file no longer has). After ``within`` seconds it is read as it is."""
        target = self.path(relative)
        last = -1
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while True:
                    size, header_done = await asyncio.to_thread(_size_and_header, target)
                    if size == last and size >= 0 and header_done:
                        return
                    last = size
                    await asyncio.sleep(quiet_seconds)

    async def inspect(self, relative: str) -> FileFacts | None:
        """Size, sha256 and duration; None when there is no such file."""
        return await asyncio.to_thread(_inspect, self.path(relative))

    async def delete(self, relative: str) -> bool:
        """Remove the file; False when it was already gone."""
        target = self.path(relative)
        try:
            await asyncio.to_thread(target.unlink)
        except FileNotFoundError:
            return False
        return True


def _size_and_header(target: Path) -> tuple[int, bool]:
    """The file's size (-1: none) and whether its RIFF size field covers the whole file (a closed WAV)."""
    try:
        with target.open("rb") as handle:
            head = handle.read(12)
        size = target.stat().st_size
    except OSError:
        return -1, False
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return size, True  # not a WAV: nothing more to wait for (it will be found unreadable)
    return size, int.from_bytes(head[4:8], "little") == size - 8


def _inspect(target: Path) -> FileFacts | None:
    digest = hashlib.sha256()
    try:
        with target.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        size = target.stat().st_size
    except FileNotFoundError:
        return None
    except OSError:  # there, but ec112 may not read it (permissions): unreadable, no hash
        return FileFacts(size_bytes=0, sha256="", duration_seconds=None)
    return FileFacts(size_bytes=size, sha256=digest.hexdigest(), duration_seconds=wav_seconds(target))


def wav_seconds(target: Path) -> float | None:
    """The WAV's length in seconds; None when it is not a WAV Python's ``wave`` reads."""
    try:
        with wave.open(str(target), "rb") as wav:
            rate = wav.getframerate()
            return wav.getnframes() / rate if rate else None
    except (wave.Error, EOFError, OSError):
        return None
