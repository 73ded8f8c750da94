#!/usr/bin/env python3
"""Render ec112's prompts (sounds/prompts.toml) into the files Asterisk plays, reproducibly.

    scripts/make_prompts.py                  regenerate sounds/ (commit the result with the texts)
    scripts/make_prompts.py --check          regenerate into a temporary directory and compare byte for byte
    scripts/make_prompts.py --import REC id/connected [--output DIR]
                                             a regency's recording (any format sox reads) in place of a prompt

Why these formats: a G.711 call plays `.ulaw` / `.alaw` as they are (Asterisk's format_pcm: raw 8 kHz,
no header), any other codec transcodes from `.wav` (8 kHz mono 16-bit, format_wav). All three are cut from
the same 8 kHz 16-bit signal, so they last exactly as long. Asterisk picks the cheapest of the files with
the same name: a replaced prompt must replace all three (``--import`` does).

Why reproducible: espeak-ng and sox are deterministic for fixed options (no dither: ``-D``; repeatable: ``-R``),
so `--check` proves that the committed files are what the texts and the script make with the tool versions
recorded in ``made-with.txt``. Only the standard library: this runs before any venv exists.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

SOUNDS = Path(__file__).resolve().parents[1] / "sounds"
FORMATS = ("wav", "ulaw", "alaw")
SOX_TYPES = {"ulaw": "ul", "alaw": "al"}  # raw 8-bit G.711, what format_pcm reads as .ulaw / .alaw
MANIFEST = "MANIFEST.sha256"  # `sha256sum -c MANIFEST.sha256` in sounds/ checks the files too
MADE_WITH = "made-with.txt"
# sox effects after espeak-ng (22.05 kHz): cut the rumble, resample for the phone, peak at -3 dBFS, a short
# lead-in and a pause after each prompt (prompts follow each other in the waiting loop).
SPEECH_EFFECTS = ("highpass", "120", "rate", "-h", "8000", "norm", "-3", "pad", "0.2", "0.6")
TIMEOUT = 60  # seconds for one tool run


class ToolMissingError(RuntimeError):
    pass


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissingError(f"{name} is not installed: run `sudo scripts/install.sh` (apt: espeak-ng sox)")
    return path


def _run(*argv: str) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def tool_versions() -> str:
    espeak = _run(_tool("espeak-ng"), "--version").split("Data at:")[0].strip()
    sox = _run(_tool("sox"), "--version").strip().split(":", 1)[-1].strip()  # "/usr/bin/sox:      SoX v14.4.2"
    return f"{espeak}\n{sox}\n"


def _sox(*args: str) -> None:
    _run(_tool("sox"), "-R", "-D", "-V1", *args)  # repeatable, no dither, errors only


def _formats_from(wav8k: Path, base: Path) -> list[Path]:
    """base.wav (moved from wav8k) plus base.ulaw and base.alaw cut from it."""
    base.parent.mkdir(parents=True, exist_ok=True)
    target = base.with_suffix(".wav")
    shutil.move(wav8k, target)
    for ext, sox_type in SOX_TYPES.items():
        _sox(str(target), "-t", sox_type, str(base.with_suffix(f".{ext}")))
    return [base.with_suffix(f".{ext}") for ext in FORMATS]


def speak(text: str, language: str, voice: dict[str, Any], base: Path, work: Path) -> list[Path]:
    raw = work / "espeak.wav"
    _run(_tool("espeak-ng"), "-v", voice["language"][language], "-s", str(voice["speed"]),
         "-p", str(voice["pitch"]), "-a", str(voice["amplitude"]), "-g", str(voice["word_gap"]),
         "-w", str(raw), text)
    wav8k = work / "8k.wav"
    _sox(str(raw), "-c", "1", "-b", "16", "-e", "signed-integer", str(wav8k), *SPEECH_EFFECTS)
    return _formats_from(wav8k, base)


def ringback(tone: dict[str, Any], base: Path, work: Path) -> list[Path]:
    wav8k = work / "8k.wav"
    on, off = float(tone["on"]), float(tone["off"])
    _sox("-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(wav8k),
         "synth", str(on), "sine", str(tone["frequency"]), "gain", str(tone["level"]),
         "fade", "t", "0.005", str(on), "0.005",  # no click at the tone's edges
         "pad", "0", str(off), "repeat", str(int(tone["cycles"]) - 1))
    return _formats_from(wav8k, base)


def render_all(spec_path: Path, out: Path) -> list[Path]:
    """Every prompt in every language, the tones, the manifest and made-with.txt, under out/."""
    spec = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    files: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="ec112-prompts-") as tmp:
        work = Path(tmp)
        for name, texts in spec["prompts"].items():
            for language in spec["voice"]["language"]:
                files += speak(texts[language], language, spec["voice"], out / language / name, work)
        files += ringback(spec["tones"]["ringback"], out / "tones" / "ringback", work)
    lines = [f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.relative_to(out).as_posix()}\n"
             for f in sorted(files)]
    (out / MANIFEST).write_text("".join(lines), encoding="utf-8")
    (out / MADE_WITH).write_text(tool_versions(), encoding="utf-8")
    return [*files, out / MANIFEST, out / MADE_WITH]


def check(sounds: Path) -> list[str]:
    """Differences between the committed files and a fresh rendering ([] = reproduced byte for byte)."""
    with tempfile.TemporaryDirectory(prefix="ec112-prompts-check-") as tmp:
        fresh = {f.relative_to(tmp).as_posix(): f.read_bytes() for f in render_all(sounds / "prompts.toml",
                                                                                    Path(tmp))}
    problems = [f"{name}: missing" for name in sorted(fresh) if not (sounds / name).is_file()]
    problems += [f"{name}: differs from a fresh rendering" for name, data in sorted(fresh.items())
                 if (sounds / name).is_file() and (sounds / name).read_bytes() != data]
    if problems and f"{MADE_WITH}: differs from a fresh rendering" in problems:
        problems.append(f"the installed espeak-ng/sox are not those in {MADE_WITH}: "
                        f"{tool_versions().strip()!r}")
    return problems


def import_recording(recording: Path, name: str, out: Path) -> list[Path]:
    """A regency's recording as <out>/<name>.{wav,ulaw,alaw} (8 kHz mono), replacing the generated ones."""
    with tempfile.TemporaryDirectory(prefix="ec112-prompts-") as tmp:
        wav8k = Path(tmp) / "8k.wav"
        _sox(str(recording), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(wav8k),
             "rate", "-h", "8000")
        return _formats_from(wav8k, out / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare the committed files with a fresh rendering")
    parser.add_argument("--import", dest="recording", nargs=2, metavar=("RECORDING", "NAME"),
                        help="convert a recording into NAME.{wav,ulaw,alaw}, e.g. id/connected")
    parser.add_argument("--output", type=Path, default=SOUNDS, help="sounds directory (default: the repo's)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = check(args.output)
            for problem in problems:
                print(f"make_prompts: {problem}", file=sys.stderr)
            if problems:
                print("make_prompts: run scripts/make_prompts.py and commit sounds/", file=sys.stderr)
                return 1
            print(f"make_prompts: every file in {args.output} is reproduced byte for byte")
            return 0
        if args.recording:
            recording, name = args.recording
            written = import_recording(Path(recording), name, args.output)
        else:
            written = render_all(args.output / "prompts.toml", args.output)
    except ToolMissingError as exc:
        print(f"make_prompts: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
