"""Text → a prompt Asterisk plays (espeak-ng, then sox to 8 kHz mono 16-bit WAV), for a known incident's own words.

Runs in a tracked task of its caller, never on a caller's path: two subprocesses, each under a timeout and killed
when it overruns. The file appears under its final name only once complete (written aside, then renamed), so a
Playback never reads half a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
VOICES = {"id": "id", "en": "en"}  # espeak-ng voice per prompt language
REAP_SECONDS = 2.0  # a killed renderer is gone well within this


@dataclass(frozen=True, slots=True)
class RenderPlace:
    """Where rendered prompts go (``[prompts] render_dir``) and the same directory as Asterisk sees it."""

    directory: Path
    in_asterisk: str

    def files(self, incident_id: int) -> tuple[tuple[str, Path, str], ...]:
        """(language, host file, Playback name) per language, Indonesian first."""
        return tuple((lang, self.directory / f"incident-{incident_id}-{lang}.wav",
                      f"{self.in_asterisk.rstrip('/')}/incident-{incident_id}-{lang}") for lang in ("id", "en"))


class RenderError(Exception):
    pass


class EspeakRenderer:
    def __init__(self, *, espeak: str = "espeak-ng", sox: str = "sox", timeout: float = 10.0) -> None:
        self._espeak = espeak
        self._sox = sox
        self._timeout = timeout

    async def render(self, text: str, language: str, target: Path) -> None:
        """Write ``target`` (``….wav``); ``RenderError`` saying why when it could not be made."""
        target.parent.mkdir(parents=True, exist_ok=True)
        raw = target.with_name(target.name + ".raw.wav")
        part = target.with_name(target.name + ".part.wav")
        try:
            # The text goes as one argv element after "--": never through a shell, never read as an option.
            await self._run(self._espeak, "-v", VOICES.get(language, language), "-s", "150", "-w", str(raw),
                            "--", text)
            await self._run(self._sox, str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                            str(part))
            os.replace(part, target)
        finally:
            for leftover in (raw, part):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()

    async def _run(self, *argv: str) -> None:
        try:
            process = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                           stdout=asyncio.subprocess.DEVNULL,
                                                           stderr=asyncio.subprocess.PIPE)
        except OSError as exc:
            raise RenderError(f"{argv[0]}: {exc.strerror or exc}") from None
        try:
            async with asyncio.timeout(self._timeout):
                _out, err = await process.communicate()
        except TimeoutError:
            _kill(process)
            with contextlib.suppress(TimeoutError):  # reaped, so its transport closes with it
                async with asyncio.timeout(REAP_SECONDS):
                    await process.wait()
            raise RenderError(f"{argv[0]} took longer than {self._timeout:g} s") from None
        finally:
            if process.returncode is None:  # cancelled (shutdown): it must not live on
                _kill(process)
        if process.returncode != 0:
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
            raise RenderError(f"{argv[0]} exited with {process.returncode}: {' '.join(detail)}")


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()
