"""Real softphones (pjsua2, real RTP) on the 112 path: a citizen calls, a call taker in the queue answers.

Proves the harness other tests build on: two-way audio through Asterisk (a 440 Hz tone from the citizen,
1 kHz from the taker, each heard by the other side only), the citizen's caller id at the taker's phone,
the citizen's DTMF received by Asterisk (relayed into the bridge as telephone-events), clean hang-ups.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from harness.audio import make_tone_wav, tone_power, voiced_seconds
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone

pytestmark = pytest.mark.integration


def test_citizen_and_taker_talk_both_ways_and_dtmf_crosses_asterisk(
    ec112: Ec112Daemon, asterisk: Lab, tmp_path: Path
) -> None:
    tone_440 = make_tone_wav(tmp_path / "440.wav", 440, 2.0)
    tone_1k = make_tone_wav(tmp_path / "1k.wav", 1000, 2.0)
    heard_by_citizen, heard_by_taker = tmp_path / "citizen.wav", tmp_path / "taker.wav"

    taker = Softphone.taker(asterisk, "taker01")
    ec112.cli("agent", "login", "taker01")
    taker.auto_answer(after=0.3, play=tone_1k, record=heard_by_taker)
    citizen = Softphone.citizen(asterisk, number="081234567890")
    citizen.call("112", play=tone_440, record=heard_by_citizen)

    ringing = taker.wait_for("incoming", timeout=15)
    assert ringing["caller_id"] == "081234567890"
    citizen.wait_for("confirmed", timeout=10)  # the dialplan answers before the queue
    taker.wait_for("confirmed", timeout=10)

    time.sleep(1.5)  # talk
    citizen.dtmf("55")
    time.sleep(1.0)
    assert taker.dtmf_received() == "55"

    citizen.hangup()
    assert citizen.wait_for("disconnected", timeout=10)["status_code"] == 200
    ended = taker.wait_for("disconnected", timeout=10)
    assert ended["status_code"] == 200

    # each side heard the other's tone, far above its own
    assert tone_power(heard_by_taker, 440) > 0.01
    assert tone_power(heard_by_taker, 440) > 100 * tone_power(heard_by_taker, 1000)
    assert tone_power(heard_by_citizen, 1000) > 0.001
    assert voiced_seconds(heard_by_taker) > 1.0
    citizen.close()
    taker.close()
