"""What a 112 caller hears while waiting: the music class ec112-waiting, and never at the cost of a free call taker.

The first ring of a free call taker wins: the prompt is the queue's music on hold, played while takers are rung,
so a free taker's phone rings at once and her answer cuts the prompt.
"""

from __future__ import annotations

import wave
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from harness import CitizenCall, TakerPhone
from harness.daemon import Ec112Daemon

pytestmark = pytest.mark.integration

SOUNDS = Path(__file__).resolve().parents[2] / "sounds"


def seconds(name: str) -> float:
    with wave.open(str(SOUNDS / f"{name}.wav")) as wav:
        return wav.getnframes() / wav.getframerate()


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
