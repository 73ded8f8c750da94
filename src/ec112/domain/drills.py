"""Drills (issue 14, docs/room.md part C): what marks a call as an exercise, and scenario files.

An exercise must never be confused with a real call, so the mark is not something a caller can send: it is the
accountcode of the dedicated ``drill`` PJSIP endpoint, which the carrier trunk cannot set. The scenario parser is
pure (it gets the TOML text, returns a :class:`Scenario` or raises :class:`ScenarioError` listing every problem)
so that ``ec112 drill run`` can refuse a bad file before a single call is placed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

from ec112.domain.events import DomainEvent
from ec112.domain.ticket_work import Classification

# The accountcode of the drill endpoint (asterisk-conf/pjsip.conf): the one thing that makes a call an exercise.
EXERCISE_ACCOUNTCODE = "ec112-exercise"

_CALLER = re.compile(r"^\+?[0-9]{3,20}$")
_CODE = re.compile(r"^[a-z0-9_]{2,40}$")
_QUEUE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
MAX_CALLS = 50
MAX_TEXT = 1000


def is_exercise(accountcode: str | None) -> bool:
    """Whether a call's accountcode (AGI ``agi_accountcode``, the CDR's, AMI's AccountCode) marks an exercise."""
    return (accountcode or "").strip() == EXERCISE_ACCOUNTCODE


@dataclass(frozen=True, slots=True, kw_only=True)
class DrillChanged(DomainEvent):
    """A drill run started, placed a call or ended (SSE kind ``drill``: the wallboard and report pages refresh)."""

    drill_id: int
    name: str
    change: str  # started | placed | ended
    position: int | None = None  # the call placed


class ScenarioError(ValueError):
    """A scenario file that cannot be run; ``problems`` lists every one found (all at once, not the first)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Expectation:
    """What good handling of one call is: the drill report puts each taker's handling next to it."""

    classification: str
    category: str | None = None
    agencies: tuple[str, ...] = ()
    within_seconds: int | None = None  # from answer to the (last expected) dispatch


@dataclass(frozen=True, slots=True)
class DrillLocation:
    lat: float
    lon: float
    radius: float  # metres: sent as a PIDF-LO circle, like a carrier would


@dataclass(frozen=True, slots=True)
class DrillCall:
    at_seconds: float
    caller: str
    expect: Expectation
    hangup_after_seconds: float = 60.0
    location: DrillLocation | None = None
    audio_file: str | None = None  # a WAV path (relative to the scenario file)
    text: str | None = None  # or a text rendered with espeak-ng
    lang: str = "id"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    queue: str  # "real" or the training queue
    calls: tuple[DrillCall, ...]

    @property
    def duration_seconds(self) -> float:
        return max((c.at_seconds + c.hangup_after_seconds for c in self.calls), default=0.0)


def parse_scenario(text: str) -> Scenario:
    """The scenario in ``text`` (TOML), or ScenarioError naming each problem by its call number."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("name: required (a text)")
    queue = data.get("queue", "real")
    if not isinstance(queue, str) or not _QUEUE.match(queue):
        problems.append("queue: 'real' or a queue name (letters, digits, - and _)")
    raw_calls = data.get("call")
    if not isinstance(raw_calls, list) or not raw_calls:
        problems.append("call: at least one [[call]] is required")
        raw_calls = []
    if len(raw_calls) > MAX_CALLS:
        problems.append(f"call: at most {MAX_CALLS} calls")
    unknown = set(data) - {"name", "queue", "call", "description"}
    if unknown:
        problems.append(f"unknown keys: {', '.join(sorted(unknown))}")
    calls = []
    for index, raw in enumerate(raw_calls, start=1):
        call = _call(raw, f"call {index}", problems)
        if call is not None:
            calls.append(call)
    if problems:
        raise ScenarioError(problems)
    assert isinstance(name, str)
    assert isinstance(queue, str)
    return Scenario(name=name.strip(), queue=queue, calls=tuple(sorted(calls, key=lambda c: c.at_seconds)))


def _call(raw: Any, where: str, problems: list[str]) -> DrillCall | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: a table")
        return None
    before = len(problems)
    at = _number(raw.get("at_seconds"), f"{where}: at_seconds", problems, low=0, high=3600)
    hangup = _number(raw.get("hangup_after_seconds", 60), f"{where}: hangup_after_seconds", problems, low=1, high=1800)
    caller = raw.get("caller")
    if not isinstance(caller, str) or not _CALLER.match(caller):
        problems.append(f"{where}: caller: a phone number (digits, optional leading +)")
    location = _location(raw.get("location"), where, problems)
    audio_file, text, lang = _audio(raw.get("audio"), where, problems)
    expect = _expect(raw.get("expect"), where, problems)
    unknown = set(raw) - {"at_seconds", "caller", "location", "audio", "hangup_after_seconds", "expect"}
    if unknown:
        problems.append(f"{where}: unknown keys: {', '.join(sorted(unknown))}")
    if len(problems) > before or expect is None:
        return None
    return DrillCall(at_seconds=at, caller=str(caller), expect=expect, hangup_after_seconds=hangup,
                     location=location, audio_file=audio_file, text=text, lang=lang)


def _number(value: Any, where: str, problems: list[str], *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        problems.append(f"{where}: a number from {low:g} to {high:g}")
        return 0.0
    return float(value)


def _location(raw: Any, where: str, problems: list[str]) -> DrillLocation | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{where}: location: a table {{lat, lon, radius}}")
        return None
    lat = _number(raw.get("lat"), f"{where}: location.lat", problems, low=-90, high=90)
    lon = _number(raw.get("lon"), f"{where}: location.lon", problems, low=-180, high=180)
    radius = _number(raw.get("radius", 50), f"{where}: location.radius", problems, low=1, high=50000)
    return DrillLocation(lat, lon, radius)


def _audio(raw: Any, where: str, problems: list[str]) -> tuple[str | None, str | None, str]:
    if isinstance(raw, str) and raw.lower().endswith(".wav"):
        return raw, None, "id"
    if isinstance(raw, dict):
        text, lang = raw.get("text"), raw.get("lang", "id")
        ok = isinstance(text, str) and 0 < len(text.strip()) <= MAX_TEXT
        if not ok:
            problems.append(f"{where}: audio.text: a text of 1 to {MAX_TEXT} characters")
        if not isinstance(lang, str) or not _LANG.match(lang):
            problems.append(f"{where}: audio.lang: an espeak-ng voice such as 'id' or 'en'")
        if ok and isinstance(lang, str) and _LANG.match(lang):
            return None, str(text).strip(), lang
        return None, None, "id"
    problems.append(f"{where}: audio: a WAV path or {{text, lang}}")
    return None, None, "id"


def _expect(raw: Any, where: str, problems: list[str]) -> Expectation | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: [call.expect] is required (what good handling is)")
        return None
    classes = {c.value for c in Classification}
    classification = raw.get("classification")
    if classification not in classes:
        problems.append(f"{where}: expect.classification: one of {', '.join(sorted(classes))}")
    category = raw.get("category")
    if category is not None and (not isinstance(category, str) or not _CODE.match(category)):
        problems.append(f"{where}: expect.category: a category code such as 'kebakaran'")
    agencies = raw.get("agencies", [])
    if not isinstance(agencies, list) or not all(isinstance(a, str) and _CODE.match(a) for a in agencies):
        problems.append(f"{where}: expect.agencies: a list of agency codes such as ['damkar']")
        agencies = []
    within = raw.get("within_seconds")
    if within is not None:
        within = int(_number(within, f"{where}: expect.within_seconds", problems, low=1, high=3600))
    if classification == Classification.EMERGENCY.value and not agencies:
        problems.append(f"{where}: expect.agencies: an emergency needs at least one agency")
    if classification not in classes:
        return None
    return Expectation(classification=str(classification), category=category, agencies=tuple(agencies),
                       within_seconds=within)
