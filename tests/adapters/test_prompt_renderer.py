"""A known incident's text rendered with the real espeak-ng and sox: an 8 kHz mono 16-bit WAV Asterisk plays; a
missing binary, a failing or a hanging one end in RenderError (the hanging one killed at the timeout), never in a
half-written file."""

from __future__ import annotations

import time
import wave
from pathlib import Path

import pytest

from ec112.services.prompt_renderer import EspeakRenderer, RenderError


async def test_indonesian_text_becomes_an_8khz_wav(tmp_path: Path) -> None:
    target = tmp_path / "incident-1-id.wav"
    await EspeakRenderer().render("Kebakaran di Pasar Penajam sudah ditangani pemadam kebakaran.", "id", target)
    with wave.open(str(target)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.getnframes() > 8000 * 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incident-1-id.wav"]  # nothing left aside


async def test_a_text_that_looks_like_an_option_is_spoken_not_obeyed(tmp_path: Path) -> None:
    target = tmp_path / "t.wav"
    await EspeakRenderer().render("--help -w /etc/passwd", "en", target)
    assert target.stat().st_size > 1000


async def test_missing_failing_and_hanging_binaries_are_reported(tmp_path: Path) -> None:
    target = tmp_path / "t.wav"
    with pytest.raises(RenderError, match="no-such-espeak"):
        await EspeakRenderer(espeak="/nonexistent/no-such-espeak").render("Banjir", "id", target)
    with pytest.raises(RenderError, match="exited with"):
        await EspeakRenderer(sox="false").render("Banjir", "id", target)
    hanging = tmp_path / "hang.sh"
    hanging.write_text("#!/bin/sh\nexec sleep 30\n")
    hanging.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(RenderError, match=r"longer than 0\.3 s"):
        await EspeakRenderer(espeak=str(hanging), timeout=0.3).render("Banjir", "id", target)
    assert time.monotonic() - started < 5
    assert not target.exists()
