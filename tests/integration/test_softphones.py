"""Real softphones (pjsua2, real RTP) on the 112 path: a citizen calls, a call taker in the queue answers.

Proves the harness the caller-side tests build on: two-way audio through Asterisk (a 440 Hz tone from the
citizen, 1 kHz from the taker, each heard by the other side), the citizen's caller id at the taker's phone,
the citizen's DTMF received by Asterisk (relayed into the bridge as telephone-events), clean hang-ups, and a
citizen reachable by Asterisk at `.uri` through the trunk (as a callback reaches it).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from harness import MiniAmi
from harness.audio import make_tone_wav, tone_power, voiced_seconds
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone

from ec112.lab.render import AMI_USERNAME

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
    deadline = time.monotonic() + 5
    while taker.dtmf_received() != "55" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert taker.dtmf_received() == "55"
    assert citizen.dtmf_received() == ""

    citizen.hangup()
    assert citizen.wait_for("disconnected", timeout=10)["status_code"] == 200
    assert taker.wait_for("disconnected", timeout=10)["status_code"] == 200

    # each side heard the other's tone, far above its own (no loop-back in the harness)
    assert tone_power(heard_by_taker, 440) > 0.01
    assert tone_power(heard_by_taker, 440) > 100 * tone_power(heard_by_taker, 1000)
    assert voiced_seconds(heard_by_taker) > 1.0
    assert tone_power(heard_by_citizen, 1000) > 0.001
    assert tone_power(heard_by_citizen, 1000) > 10 * tone_power(heard_by_citizen, 440)

    # Asterisk reaches the citizen back through the trunk at its .uri (a callback's way); Echo returns its tone
    echoed = tmp_path / "echo.wav"
    citizen.auto_answer(after=0.2, play=tone_440, record=echoed)
    ami = MiniAmi(asterisk.config.ports.ami, AMI_USERNAME, asterisk.config.ami_secret)
    try:
        reply = ami.action("Originate", Channel=f"PJSIP/trunk/{citizen.uri}", Application="Echo", Async="true")
    finally:
        ami.close()
    assert reply["Response"] == "Success", reply
    citizen.wait_for("incoming", timeout=10)
    citizen.wait_for("confirmed", timeout=10)
    time.sleep(1.5)
    citizen.hangup()
    citizen.wait_for("disconnected", timeout=10)
    assert tone_power(echoed, 440) > 0.01


def test_sip_message_between_two_softphones(tmp_path: Path) -> None:
    """The MESSAGE plumbing of the harness itself (no Asterisk: one phone sends straight to the other)."""
    with Softphone("a", "081111111111", 9, tmp_path) as sender, Softphone("b", "082222222222", 9, tmp_path) as to:
        assert sender.send_message(to.uri, "tolong, ada kebakaran") == 200
        [received] = to.messages()
        assert received["body"] == "tolong, ada kebakaran"
        assert received["from"].startswith("<sip:081111111111@127.0.0.1")
        assert received["content_type"] == "text/plain"
        assert sender.messages() == []
