"""Pure helpers on mono 16-bit PCM WAVs (8 or 16 kHz) for the softphone tests: is a tone there, how much
of a recording is not silence, and a test tone to play.

Levels are relative to full scale (1.0); samples are read with the standard `wave` module.
"""

from __future__ import annotations

import array
import math
import sys
import wave
from pathlib import Path


def read_samples(path: Path | str) -> tuple[list[float], int]:
    """The samples in [-1, 1] and the sample rate of a mono 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(f"{path}: want mono 16-bit PCM, got {wav.getnchannels()} ch, {wav.getsampwidth()} B")
        rate = wav.getframerate()
        pcm = array.array("h", wav.readframes(wav.getnframes()))
    if sys.byteorder == "big":
        pcm.byteswap()
    return [s / 32768.0 for s in pcm], rate


def _window(samples: list[float], rate: int, start: float | None, end: float | None) -> list[float]:
    first = 0 if start is None else max(0, int(start * rate))
    last = len(samples) if end is None else min(len(samples), int(end * rate))
    return samples[first:last]


def tone_power(wav: Path | str, hz: float, start: float | None = None, end: float | None = None) -> float:
    """Power of the `hz` component between `start` and `end` seconds (Goertzel over the whole window).

    Scaled so that a sine of amplitude A gives A² (a full-scale tone: 1.0; -20 dBFS: 0.01); silence and
    other frequencies give about 0.
    """
    samples, rate = read_samples(wav)
    window = _window(samples, rate, start, end)
    n = len(window)
    if n == 0:
        return 0.0
    coeff = 2.0 * math.cos(2.0 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in window:
        s1, s2 = x + coeff * s1 - s2, s1
    magnitude2 = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 4.0 * magnitude2 / (n * n)


def voiced_seconds(wav: Path | str, threshold: float = 0.01, start: float | None = None,
                   end: float | None = None) -> float:
    """Seconds of 20 ms frames whose RMS level is above `threshold` (of full scale; 0.01 = -40 dBFS)."""
    samples, rate = read_samples(wav)
    window = _window(samples, rate, start, end)
    size = rate // 50
    voiced = 0
    for first in range(0, len(window) - size + 1, size):
        frame = window[first:first + size]
        if math.sqrt(sum(x * x for x in frame) / size) > threshold:
            voiced += 1
    return voiced * 0.02


def duration(wav: Path | str) -> float:
    with wave.open(str(wav), "rb") as w:
        return w.getnframes() / w.getframerate()


def make_tone_wav(path: Path | str, hz: float, seconds: float, *, rate: int = 8000, amplitude: float = 0.5) -> Path:
    """A mono 16-bit sine of `hz` (amplitude of full scale), for a softphone to play."""
    count = int(seconds * rate)
    pcm = array.array("h", (int(amplitude * 32767 * math.sin(2 * math.pi * hz * i / rate)) for i in range(count)))
    if sys.byteorder == "big":
        pcm.byteswap()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return Path(path)
