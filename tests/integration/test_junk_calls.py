"""A number under a supervisor's restriction, through the real Asterisk (16 or 22), the FastAGI intake and the
real `ec112 serve`, with real softphones (pjsua2): the citizen hears the junk warning before a call taker
answers, still reaches her, and the restriction ends by itself at its end time (the next call of the number
hears no warning); the audit says who set it, why and until when.

The lab's `junk-warning` prompt is replaced by a 1.4 kHz tone of 1.5 s per language (a regency may replace any
prompt by a file of the same name): what the citizen heard before the answer is then measured exactly, and the
test stays short (the shipped prompt lasts ~23 s in both languages; that every shipped file plays on 16 and 22 is
the prompts' own test). While the warning plays, the
channel carries what ec112 decided (AMI Getvar): EC112_ANNOUNCE (Indonesian, then English) and EC112_PRIORITY.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import CitizenCall, MiniAmi, TakerPhone
from harness.audio import make_tone_wav, tone_power
from harness.daemon import Ec112Daemon
from harness.lab_fixtures import Lab
from harness.softphone import Softphone

from ec112.domain.call_handling import RESTRICTED_PRIORITY
from ec112.lab.render import AMI_USERNAME

pytestmark = pytest.mark.integration

NUMBER = "081377770001"
E164 = "+6281377770001"
WARNING_HZ, TAKER_HZ = 1400.0, 1000.0
WARNING_SECONDS = 1.5  # per language: the whole warning is twice that
RESTRICTION_SECONDS = 14  # long enough for the first call, short enough to watch it end


def _supervisor(ec112: Ec112Daemon) -> dict[str, str]:
    def user(*args: str, stdin: str = "") -> str:
        done = subprocess.run([sys.executable, "-m", "ec112", "user", *args], env=ec112.env, input=stdin,
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    user("add", "spv", "--role", "supervisor", "--password-stdin", stdin="Sandi-Supervisor-2026\n")
    return {"Authorization": f"Bearer {user('token', 'spv').strip()}"}


def _warning_is_a_tone(lab: Lab, tmp_path: Path) -> None:
    tone = make_tone_wav(tmp_path / "warning.wav", WARNING_HZ, WARNING_SECONDS)
    for lang in ("id", "en"):
        folder = lab.config.directory / "sounds" / lang
        folder.mkdir(parents=True, exist_ok=True)
        for shipped in folder.glob("junk-warning.*"):  # every format of it, as a regency replaces a prompt
            shipped.unlink()
        (folder / "junk-warning.wav").write_bytes(tone.read_bytes())


def _channel_vars(lab: Lab) -> dict[str, str]:
    """The citizen's channel variables, read once the intake is done (the warning playing, or in the queue)."""
    deadline = time.monotonic() + 5
    pattern = re.compile(r"^(PJSIP/trunk-[0-9a-f]+)!(?:[^!]*!){4}(Playback|Queue)!", re.M)
    while not (found := pattern.search(lab.rx("core show channels concise"))):
        assert time.monotonic() < deadline, lab.rx("core show channels concise")
        time.sleep(0.02)
    ami = MiniAmi(lab.config.ports.ami, AMI_USERNAME, lab.config.ami_secret)
    try:
        return {v: ami.getvar(found.group(1), v) for v in ("EC112_TICKET", "EC112_ANNOUNCE", "EC112_PRIORITY")}
    finally:
        ami.close()


def _call(lab: Lab, taker: Softphone, tmp_path: Path, name: str) -> tuple[Path, float, dict[str, str]]:
    """The number calls 112 and talks to the taker: what it heard, when (s into its recording) she answered,
    and the channel's variables read during the first second."""
    heard = tmp_path / f"{name}.wav"
    citizen = Softphone.citizen(lab, number=NUMBER)
    try:
        citizen.call("112", record=heard)
        media = citizen.wait_for("confirmed", timeout=10)  # the dialplan answers before the intake
        variables = _channel_vars(lab)
        answered = taker.wait_for("confirmed", timeout=20)
        time.sleep(1.5)  # she talks: her tone
        citizen.hangup()
        citizen.wait_for("disconnected", timeout=10)
        taker.wait_for("disconnected", timeout=10)
    finally:
        citizen.close()
    return heard, answered["at"] - media["at"], variables


def test_a_restricted_number_hears_the_warning_reaches_a_taker_and_the_restriction_ends_by_itself(
    asterisk: Lab, ec112: Ec112Daemon, tmp_path: Path,
) -> None:
    _warning_is_a_tone(asterisk, tmp_path)
    spv = _supervisor(ec112)
    taker = Softphone.taker(asterisk, "taker01")
    ec112.cli("agent", "login", "taker01")
    taker.auto_answer(after=0.3, play=make_tone_wav(tmp_path / "taker.wav", TAKER_HZ, 1.0))
    until = datetime.now(UTC) + timedelta(seconds=RESTRICTION_SECONDS)
    set_ = httpx.post(f"{ec112.base_url}/api/caller-measures", headers=spv, timeout=10, json={
        "subject": NUMBER, "kind": "restriction", "reason": "prank 5x malam ini", "until": until.isoformat()})
    assert set_.status_code == 201, set_.text

    heard, answer_at, seen = _call(asterisk, taker, tmp_path, "restricted")
    assert seen["EC112_TICKET"], ec112.log_tail()
    announce = seen["EC112_ANNOUNCE"].split("&")  # the lab's sounds/ as Asterisk sees it, Indonesian first
    assert [a.rsplit("/", 2)[-2:] for a in announce] == [["id", "junk-warning"], ["en", "junk-warning"]], seen
    assert seen["EC112_PRIORITY"] == str(RESTRICTED_PRIORITY)
    # The warning (both languages) came before the taker's answer, and the call still reached her.
    assert answer_at > 2 * WARNING_SECONDS - 0.3, answer_at
    before = (0.2, 2 * WARNING_SECONDS - 0.2)
    assert tone_power(heard, WARNING_HZ, *before) > 0.01
    assert tone_power(heard, WARNING_HZ, *before) > 100 * tone_power(heard, TAKER_HZ, *before)
    assert tone_power(heard, TAKER_HZ, answer_at + 0.5, answer_at + 1.4) > 0.001
    [first] = ec112.wait_for_tickets(lambda ts: len(ts) == 1 and bool(ts[0]["ended_at"]))
    assert (first["caller_number"], first["answered_by"]) == (E164, "taker01")

    # No one lifts it: at its end time it is no longer in force, and the next call hears no warning.
    remaining = (until - datetime.now(UTC)).total_seconds()
    assert remaining > 0, "the first call outlasted the restriction: the test would prove nothing"
    time.sleep(remaining + 0.2)
    assert httpx.get(f"{ec112.base_url}/api/caller-measures", headers=spv, timeout=10).json() == []
    heard, answer_at, seen = _call(asterisk, taker, tmp_path, "after")
    assert (seen["EC112_ANNOUNCE"], seen["EC112_PRIORITY"]) == ("", "")
    assert answer_at < 2.0  # straight to the queue: the free taker's first ring wins
    assert tone_power(heard, WARNING_HZ) < 1e-4
    tickets = ec112.wait_for_tickets(lambda ts: len(ts) == 2 and bool(ts[-1]["ended_at"]))
    assert tickets[-1]["answered_by"] == "taker01"

    audit: list[dict[str, Any]] = httpx.get(f"{ec112.base_url}/api/audit", headers=spv, timeout=10).json()
    [set_entry] = [e for e in audit if e["action"] == "junk.measure_set"]
    assert (set_entry["actor"], set_entry["target"]) == ("spv", f"number:{E164}")
    assert set_entry["detail"]["reason"] == "prank 5x malam ini"
    assert datetime.fromisoformat(set_entry["detail"]["until"]) == datetime.fromisoformat(set_.json()["until"])
    assert [(e["actor"], e["detail"]["set_by"]) for e in audit if e["action"] == "junk.measure_expired"] == [
        ("ec112", "spv")]


def test_a_restricted_caller_waits_behind_an_ordinary_caller_who_came_later(
    asterisk: Lab, ec112: Ec112Daemon, taker: Callable[..., TakerPhone], citizen_call: Callable[..., CitizenCall],
    tmp_path: Path,
) -> None:
    """RESTRICTED priority is real in Asterisk's queue: both wait (nobody logged in); the taker who then logs in
    gets the later, ordinary caller first. Still, the restricted caller is answered too."""
    _warning_is_a_tone(asterisk, tmp_path)
    spv = _supervisor(ec112)
    sent = httpx.post(f"{ec112.base_url}/api/caller-measures", headers=spv, timeout=10, json={
        "subject": NUMBER, "kind": "restriction", "reason": "iseng berulang", "hours": 1})
    assert sent.status_code == 201, sent.text
    restricted = citizen_call(caller_number=E164, name="restricted")
    _wait_queued(asterisk, 1)
    ordinary = citizen_call(caller_number="+6281299990000", name="ordinary")
    _wait_queued(asterisk, 2)
    phone = taker("taker01", ring_ms=100, talk_ms=300, max_calls=2)
    ec112.cli("agent", "login", "taker01")
    assert ordinary.wait(timeout=30) == 0, ordinary.diagnostics()
    assert restricted.wait(timeout=30) == 0, restricted.diagnostics()
    phone.stop()
    tickets = ec112.wait_for_tickets(lambda ts: len(ts) == 2 and all(t["ended_at"] for t in ts))
    by_number = {t["caller_number"]: t for t in tickets}
    first, later = by_number["+6281299990000"], by_number[E164]
    assert first["created_at"] > later["created_at"]  # it came second …
    assert first["answered_at"] < later["answered_at"]  # … and was answered first
    assert later["answered_by"] == "taker01"  # never blocked


def _wait_queued(lab: Lab, count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = lab.rx(f"queue show {lab.config.queue}")
        if len(re.findall(r"PJSIP/trunk-[0-9a-f]+", shown)) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"not {count} callers in the queue after {timeout} s:\n{shown}")
