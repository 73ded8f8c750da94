"""Every prompt file of sounds/ plays on a real Asterisk, and the waiting music class is loaded as a playlist.

Asterisk picks the cheapest of a name's formats, so each format gets a directory of its own (``<lab>/by-format/
ulaw/id/connected.ulaw`` ...): ``Playback()`` of that name can only read that file. One Local channel per file
plays it in a test-only context (appended to the lab's dialplan, never in the production templates) and reports
``PLAYBACKSTATUS`` and how long it played in a UserEvent. All play at once: the test lasts as long as the
longest file (the 20 s ring-back).
"""

from __future__ import annotations

import shutil
import tempfile
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.ami import MiniAmi

from ec112.lab.asterisk import AsteriskFlavor, AsteriskProcess
from ec112.lab.render import AMI_USERNAME, LabConfig, new_lab_config, render

pytestmark = pytest.mark.integration

SOUNDS = Path(__file__).resolve().parents[2] / "sounds"
FORMATS = ("ulaw", "alaw", "wav")
FILES = sorted(p.relative_to(SOUNDS).with_suffix("").as_posix() for p in SOUNDS.rglob("*.wav"))
WAITING = ["id/connected", "en/connected", "tones/ringback", "id/queue-wait", "en/queue-wait"]


def seconds(name: str) -> float:
    with wave.open(str(SOUNDS / f"{name}.wav")) as wav:
        return wav.getnframes() / wav.getframerate()


def playback_context() -> str:
    """One extension per (format, file), so that no path travels through a channel variable."""
    lines = ["[ec112-test-prompts]"]
    for n, (fmt, name) in enumerate((fmt, name) for fmt in FORMATS for name in FILES):
        lines += [f"exten => {n},1,Set(F=${{lab_dir}}/by-format/{fmt}/{name})", " same => n,Goto(play,1)"]
    lines += [
        "exten => play,1,Set(T0=$${STRFTIME(,,%s.%3q)})",
        " same => n,Playback($${F})",
        " same => n,UserEvent(EC112Prompt,File: $${F},Status: $${PLAYBACKSTATUS},Start: $${T0},"
        "End: $${STRFTIME(,,%s.%3q)})",
        " same => n,Hangup()",
    ]
    return "\n".join(lines) + "\n"


class EventAmi(MiniAmi):
    """MiniAmi that keeps the events it reads instead of dropping them."""

    def __init__(self, port: int, username: str, secret: str) -> None:
        self.events: list[dict[str, str]] = []
        super().__init__(port, username, secret)

    def _read_message(self) -> dict[str, str]:
        message = super()._read_message()
        if "Event" in message:
            self.events.append(message)
        return message

    def user_events(self, name: str, count: int, timeout: float) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events if e.get("Event") == "UserEvent" and e.get("UserEvent") == name]
            if len(found) >= count:
                return found
            try:
                self._read_message()
            except TimeoutError:
                continue
        return [e for e in self.events if e.get("UserEvent") == name]


@pytest.fixture(scope="module")
def prompt_lab(asterisk_flavor: AsteriskFlavor, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[LabConfig, AsteriskProcess]]:
    """One Asterisk for this module's tests (they only read from it)."""
    if asterisk_flavor.chroot_root is not None:
        asterisk_flavor.lab_parent().mkdir(exist_ok=True)
        lab_dir = Path(tempfile.mkdtemp(prefix="ec112-test-", dir=asterisk_flavor.lab_parent()))
    else:
        lab_dir = tmp_path_factory.mktemp("prompts") / "asterisk"
    config = new_lab_config(lab_dir, flavor=asterisk_flavor)
    process = AsteriskProcess(asterisk_flavor, render(config, appendices={"extensions.conf": playback_context()}))
    for fmt in FORMATS:  # from the lab's own copy: what Asterisk plays is what render() installed
        for name in FILES:
            target = lab_dir / "by-format" / fmt / f"{name}.{fmt}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lab_dir / "sounds" / f"{name}.{fmt}", target)
    process.start()
    try:
        yield config, process
    finally:
        process.stop()
        if asterisk_flavor.chroot_root is not None:
            shutil.rmtree(lab_dir, ignore_errors=True)


def test_every_prompt_file_plays_in_every_format(prompt_lab: tuple[LabConfig, AsteriskProcess]) -> None:
    config, process = prompt_lab
    ami = EventAmi(config.ports.ami, AMI_USERNAME, config.ami_secret)
    try:
        jobs = [(fmt, name) for fmt in FORMATS for name in FILES]
        for n in range(len(jobs)):
            reply = ami.action("Originate", Channel=f"Local/{n}@ec112-test-prompts/n", Application="Wait",
                               Data="40", Async="true")
            assert reply.get("Response") == "Success", reply
        events = ami.user_events("EC112Prompt", len(jobs), timeout=max(map(seconds, FILES)) + 15)
    finally:
        ami.close()

    played = {e["File"].removeprefix(f"{config.asterisk_dir}/by-format/"): e for e in events}
    assert "WARNING" not in process.output_tail(20000), process.output_tail(3000)
    assert sorted(played) == sorted(f"{fmt}/{name}" for fmt, name in jobs)
    assert {k: e["Status"] for k, e in played.items()} == dict.fromkeys(played, "SUCCESS")
    for (fmt, name) in jobs:
        # Asterisk played the whole file (never cut short: at least its length less one frame-timing margin),
        # at the right rate (a file converted at the wrong rate plays twice or half as long). The upper bound
        # is wider than the lower: every file plays at once, and on a loaded 2-core CI runner the channel
        # threads fall behind the clock (seen: +0.78 s on a 4.3 s file) — late, never shorter.
        event = played[f"{fmt}/{name}"]
        lasted, expected = float(event["End"]) - float(event["Start"]), seconds(name)
        assert expected - 0.6 <= lasted <= expected * 1.4 + 0.6, (fmt, name, lasted, expected)


def test_the_waiting_music_class_is_a_playlist_of_the_prompts(prompt_lab: tuple[LabConfig, AsteriskProcess]
                                                              ) -> None:
    config, process = prompt_lab
    classes = process.rx("moh show classes")
    waiting = classes.split("Class: ec112-waiting", 1)[1].split("Class:", 1)[0]
    assert "Mode: playlist" in waiting
    files = process.rx("moh show files")
    listed = files.split("Class: ec112-waiting", 1)[1].split("Class:", 1)[0]
    sounds = f"{config.asterisk_dir}/sounds"
    assert [line.split("File:", 1)[1].strip() for line in listed.splitlines() if "File:" in line] == [
        f"{sounds}/{name}" for name in WAITING]
