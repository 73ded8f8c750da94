"""sounds/: the committed prompts are what scripts/make_prompts.py makes, complete, and the same in every format."""

from __future__ import annotations

import array
import hashlib
import itertools
import math
import re
import shutil
import subprocess
import sys
import tomllib
import wave
from pathlib import Path

import pytest

from ec112.lab.render import new_lab_config, render

ROOT = Path(__file__).resolve().parents[2]
SOUNDS = ROOT / "sounds"
NAMES = ("connected", "queue-wait", "silent-call", "silent-confirmed", "known-incident", "callback-greeting",
         "junk-warning")  # docs/caller-handling.md
NOT_AUDIO = {"prompts.toml", "README.md", "MANIFEST.sha256", "made-with.txt"}


def audio_files() -> list[Path]:
    return sorted(p for p in SOUNDS.rglob("*") if p.is_file() and p.name not in NOT_AUDIO)


def samples(path: Path) -> array.array[int]:
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2), path
        return array.array("h", wav.readframes(wav.getnframes()))


def test_the_generator_reproduces_every_committed_file_byte_for_byte() -> None:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:  # never a skip: the install script provides them (they render known incidents at run time too)
        pytest.fail(f"{' and '.join(missing)} missing: run `sudo scripts/install.sh`", pytrace=False)
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_prompts.py"), "--check"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reproduced byte for byte" in result.stdout


def test_every_prompt_of_the_contract_exists_in_both_languages_and_every_format() -> None:
    spec = tomllib.loads((SOUNDS / "prompts.toml").read_text(encoding="utf-8"))
    assert set(spec["prompts"]) == set(NAMES)
    expected = {f"{lang}/{name}.{ext}" for lang in ("id", "en") for name in NAMES for ext in ("wav", "ulaw", "alaw")}
    expected |= {f"tones/ringback.{ext}" for ext in ("wav", "ulaw", "alaw")}
    assert {p.relative_to(SOUNDS).as_posix() for p in audio_files()} == expected


def test_the_manifest_lists_every_file_with_its_checksum() -> None:
    listed = dict(reversed(line.split("  ", 1)) for line in (SOUNDS / "MANIFEST.sha256").read_text().splitlines())
    assert set(listed) == {p.relative_to(SOUNDS).as_posix() for p in audio_files()}
    for name, digest in listed.items():
        assert hashlib.sha256((SOUNDS / name).read_bytes()).hexdigest() == digest, name


def ulaw(byte: int) -> int:
    byte = ~byte & 0xFF
    magnitude = ((((byte & 0x0F) << 3) + 0x84) << ((byte >> 4) & 7)) - 0x84
    return -magnitude if byte & 0x80 else magnitude


def alaw(byte: int) -> int:
    byte ^= 0x55
    exponent, mantissa = (byte >> 4) & 7, byte & 0x0F
    magnitude = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return magnitude if byte & 0x80 else -magnitude


@pytest.mark.parametrize("base", sorted({p.with_suffix("") for p in audio_files()}),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_format_lasts_as_long_as_the_wav_and_carries_the_same_sound(base: Path) -> None:
    pcm = samples(base.with_suffix(".wav"))
    assert len(pcm) > 2 * 8000  # seconds of sound, not a stub
    assert 0.25 * 32767 < max(abs(s) for s in pcm) < 32767  # loud enough for a phone line, never clipped
    energy = sum(s * s for s in pcm)
    for ext, decode in (("ulaw", ulaw), ("alaw", alaw)):
        coded = base.with_suffix(f".{ext}").read_bytes()
        assert len(coded) == len(pcm), ext  # raw G.711: one byte per sample, so the same length in time
        noise = sum((decode(b) - s) ** 2 for b, s in zip(coded, pcm, strict=True))
        assert 10 * math.log10(energy / noise) > 30, ext  # G.711's own quantisation noise, nothing else


def test_the_ringback_is_the_indonesian_cadence_425_hz_one_second_on_four_off() -> None:
    pcm = samples(SOUNDS / "tones" / "ringback.wav")
    assert len(pcm) == 20 * 8000
    for cycle in range(4):
        start = cycle * 5 * 8000
        on, off = pcm[start + 400:start + 7600], pcm[start + 8400:start + 39600]
        assert max(abs(s) for s in off) == 0
        crossings = sum(1 for a, b in itertools.pairwise(on) if a < 0 <= b)
        assert abs(crossings / (len(on) / 8000) - 425) < 3  # cycles per second
        rms = math.sqrt(sum(s * s for s in on) / len(on))
        assert 20 * math.log10(rms / 32767) == pytest.approx(-15, abs=1)  # a -12 dBFS peak sine


def test_the_lab_gets_the_prompts_and_its_waiting_music_names_only_files_it_has(tmp_path: Path) -> None:
    config = new_lab_config(tmp_path / "lab")
    etc = render(config).parent
    lab_sounds = config.directory / "sounds"
    assert (lab_sounds / "id" / "connected.ulaw").read_bytes() == (SOUNDS / "id" / "connected.ulaw").read_bytes()
    moh = (etc / "ec112" / "musiconhold_ec112.conf").read_text()
    waiting = moh.split("[ec112-waiting]", 1)[1].split("\n[", 1)[0]
    entries = re.findall(r"^entry => (\S+)$", waiting, flags=re.MULTILINE)
    assert entries == [f"{lab_sounds}/{name}" for name in (
        "id/connected", "en/connected", "tones/ringback", "id/queue-wait", "en/queue-wait")]
    for entry in entries:
        assert all(Path(f"{entry}.{ext}").is_file() for ext in ("wav", "ulaw", "alaw")), entry
