"""What a 112 caller hears while waiting: the music class ec112-waiting, and never at the cost of a free call taker.

The first ring of a free call taker wins: the prompt is the queue's music on hold, played while takers are rung,
so a free taker's phone rings at once and her answer cuts the prompt.
"""

from __future__ import annotations

import math
import time
import wave
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from harness import CitizenCall, TakerPhone
from harness.audio import make_tone_wav, read_samples, tone_power, voiced_seconds
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone

pytestmark = pytest.mark.integration

SOUNDS = Path(__file__).resolve().parents[2] / "sounds"


def seconds(name: str) -> float:
    with wave.open(str(SOUNDS / f"{name}.wav")) as wav:
        return wav.getnframes() / wav.getframerate()


def voiced_frames(wav: Path, start: float = 0.0, end: float | None = None) -> list[bool]:
    """Per 20 ms frame: louder than -40 dBFS (harness.audio.voiced_seconds' threshold)."""
    samples, rate = read_samples(wav)
    size = rate // 50
    window = samples[int(start * rate):None if end is None else int(end * rate)]
    return [math.sqrt(sum(x * x for x in window[i:i + size]) / size) > 0.01
            for i in range(0, len(window) - size + 1, size)]


def agreement(heard: list[bool], prompt: list[bool]) -> float:
    """The best share of frames where the recording and the prompt are both voiced or both quiet, over lags of up
    to 1 s (the prompt starts as Asterisk starts the music on hold)."""
    return max(sum(h == p for h, p in zip(heard[lag:], prompt, strict=False)) / len(prompt) for lag in range(50))


def test_a_citizen_hears_the_indonesian_prompt_while_waiting_then_talks_with_the_call_taker(
    ec112: Ec112Daemon, asterisk: Lab, tmp_path: Path
) -> None:
    prompt = SOUNDS / "id" / "connected.wav"
    heard_by_citizen, heard_by_taker = tmp_path / "citizen.wav", tmp_path / "taker.wav"
    taker = Softphone.taker(asterisk, "taker01")  # registered, not yet in the queue: every taker is busy
    taker.auto_answer(after=0.5, play=make_tone_wav(tmp_path / "1k.wav", 1000, 2.0), record=heard_by_taker)
    citizen = Softphone.citizen(asterisk, number="081234567892")
    citizen.call("112", play=make_tone_wav(tmp_path / "440.wav", 440, 2.0), record=heard_by_citizen)
    citizen.wait_for("confirmed", timeout=10)  # the dialplan answers before the queue
    time.sleep(seconds("id/connected") + 0.5)  # the citizen waits (the queue's ringing bounds one ring to 3 s)

    ec112.cli("agent", "login", "taker01")  # a call taker becomes free: her phone rings at once
    ringing = taker.wait_for("incoming", timeout=5)
    answered = taker.wait_for("confirmed", timeout=5)
    time.sleep(2.0)  # talk
    citizen.hangup()
    citizen.wait_for("disconnected", timeout=10)
    taker.wait_for("disconnected", timeout=10)
    [media, *_] = [e for e in citizen.events() if e["event"] == "media"]  # the citizen's recording starts here
    answer = answered["at"] - media["at"]  # seconds into the citizen's recording
    assert answered["at"] - ringing["at"] < 1.0

    # Before the answer: the Indonesian prompt from its first second, as long and shaped as the file itself.
    heard = voiced_frames(heard_by_citizen, end=answer)
    onset = heard.index(True) * 0.02
    assert onset < 1.0
    end = onset + seconds("id/connected") - 0.2  # the file starts with 0.2 s of lead-in
    assert end < answer
    assert voiced_seconds(heard_by_citizen, end=end) == pytest.approx(voiced_seconds(prompt), abs=0.5)
    indonesian, english = (agreement(heard, voiced_frames(SOUNDS / lang / "connected.wav")) for lang in ("id", "en"))
    assert indonesian > 0.9
    assert indonesian > english + 0.1  # this prompt, not the English one (seen: 0.97 against 0.71)
    assert tone_power(heard_by_citizen, 425, end=end) < 1e-4  # the prompt, not the ring-back, comes first

    # After the answer: the prompt stops and both hear each other.
    assert tone_power(heard_by_citizen, 1000, start=answer + 0.3, end=answer + 1.8) > 0.001
    assert tone_power(heard_by_taker, 440) > 0.01
    citizen.close()
    taker.close()


def test_a_free_call_taker_is_rung_and_answers_without_waiting_for_the_prompt(
    ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall]
) -> None:
    phone = taker("taker01", ring_ms=200, talk_ms=500, max_calls=1)
    ec112.cli("agent", "login", "taker01")
    prompt = seconds("id/connected")

    started = datetime.now()
    call = citizen_call(caller_number="+6281377770001", caller_name="Langsung Dijawab")
    [ring, *_] = phone.wait_for_invites(1, timeout=10)
    assert call.wait(timeout=30) == 0, call.diagnostics()

    # SIPp sends no RTP: Answer() waits 0.5 s for it; then the intake, the queue, the ring — not the prompt
    assert (ring - started).total_seconds() < 1.5 < prompt
    [ticket] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and ts[0]["ended_at"] is not None)
    assert ticket["answered_by"] == "taker01"
    assert ticket["wait_seconds"] < 2.0 < prompt  # rang 0.2 s and answered: the prompt was cut, not waited for
