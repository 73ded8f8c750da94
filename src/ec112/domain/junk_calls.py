"""Junk-call triage (pure): a caller's repeat score, a supervisor's measures on a number or an IMEI, and how a
measure changes the handling of the next call. 112 is never blocked: the strongest measure is a warning
before the queue and the lowest queue priority; the call still reaches a call taker.

Repeat score (over ``[junk] history_days``; each call of the number — or of every number the IMEI was seen
with in AML — counts by how it was classified, decayed by its age with a half-life of ``HALF_LIFE_DAYS``)::

    score = max(0, Σ weight(call) · 0.5 ** (age_days / HALF_LIFE_DAYS))

    weight: prank +3 · ghost +2 · not answered and never classified +0.5 (hung up in intake / abandoned)
            information 0 · emergency (darurat) −5 · silent call confirmed by the caller (55) −5

A real emergency or a confirmed silent call also caps the level at ``watch``: a caller who once needed help
must never look like a prankster, however many pocket dials followed. Levels: ``none`` below 2,
``watch`` from 2, ``repeat`` from 6 (e.g. two pranks this week).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from ec112.domain.call_handling import LOW_PRIORITY, RESTRICTED_PRIORITY, CallHandling, Prompt
from ec112.domain.errors import InvalidRequest
from ec112.domain.events import DomainEvent
from ec112.domain.phone import to_e164

HALF_LIFE_DAYS = 7.0
WEIGHTS = {"prank": 3.0, "ghost": 2.0, "informasi": 0.0, "darurat": -5.0}
UNANSWERED_WEIGHT = 0.5  # hung up before a call taker answered, never classified
SILENT_CONFIRMED_WEIGHT = -5.0
WATCH_FROM, REPEAT_FROM = 2.0, 6.0
JUNK_CLASSES = frozenset({"prank", "ghost"})
WARNING_PROMPT = "junk-warning"
MAX_REASON = 300
_IMEI_DIGITS = range(14, 17)


class MeasureKind(StrEnum):
    WARNING = "warning"  # the junk-warning prompt before the queue
    LOW_PRIORITY = "low_priority"  # QUEUE_PRIO LOW: answered after ordinary callers
    RESTRICTION = "restriction"  # warning + RESTRICTED priority, time-boxed


class SubjectKind(StrEnum):
    NUMBER = "number"  # a caller number, E.164
    IMEI = "imei"  # a handset, from AML: applies to every number it was seen with


@dataclass(frozen=True, slots=True)
class CallerMeasure:
    id: int
    subject_kind: SubjectKind
    subject: str
    kind: MeasureKind
    reason: str
    set_by: str
    set_at: datetime
    until: datetime  # always set: every measure expires
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None

    def active(self, now: datetime) -> bool:
        return self.lifted_at is None and self.set_at <= now < self.until

    def status(self, now: datetime) -> str:
        if self.lifted_at is not None:
            return "lifted"
        return "active" if now < self.until else "expired"


@dataclass(frozen=True, slots=True)
class MeasureDraft:
    subject_kind: SubjectKind
    subject: str
    kind: MeasureKind
    reason: str
    set_by: str
    set_at: datetime
    until: datetime


def checked_draft(subject_kind: str, subject: str, kind: str, reason: str, until: datetime, *, by: str,
                  now: datetime, max_hours: int, region: str) -> MeasureDraft:
    """A measure a supervisor asked for, or InvalidRequest saying clearly what is wrong (bilingual)."""
    try:
        skind, mkind = SubjectKind(subject_kind), MeasureKind(kind)
    except ValueError as exc:
        raise InvalidRequest(f"unknown subject or measure / jenis tidak dikenal: {exc}") from exc
    subject = subject.strip()
    if skind is SubjectKind.IMEI and not (subject.isdigit() and len(subject) in _IMEI_DIGITS):
        raise InvalidRequest("an IMEI has 14 to 16 digits / IMEI terdiri dari 14–16 angka")
    if skind is SubjectKind.NUMBER:
        e164 = to_e164(subject, region)
        if e164 is None:
            raise InvalidRequest("not a phone number / bukan nomor telepon")
        subject = e164
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("say why / alasan wajib diisi")
    if len(reason) > MAX_REASON:
        raise InvalidRequest(f"the reason is longer than {MAX_REASON} characters / alasan terlalu panjang")
    if until.tzinfo is None:
        raise InvalidRequest("until needs a time zone / waktu berakhir harus dengan zona waktu")
    if until <= now:
        raise InvalidRequest("until is in the past: a measure must end in the future / "
                             "waktu berakhir sudah lewat")
    if until > now + timedelta(hours=max_hours):
        raise InvalidRequest(f"a measure lasts at most {max_hours} h ([junk] max_measure_hours) / "
                             f"tindakan paling lama {max_hours} jam")
    return MeasureDraft(skind, subject, mkind, reason, by, now, until)


def handling_for(measures: Iterable[CallerMeasure]) -> CallHandling:
    """What the next call gets from the active measures on its number: the warning once, the lowest priority."""
    kinds = {m.kind for m in measures}
    if not kinds:
        return CallHandling()
    if MeasureKind.RESTRICTION in kinds:
        return CallHandling((Prompt(WARNING_PROMPT),), RESTRICTED_PRIORITY, ("junk:restriction",))
    prompts = (Prompt(WARNING_PROMPT),) if MeasureKind.WARNING in kinds else ()
    priority = LOW_PRIORITY if MeasureKind.LOW_PRIORITY in kinds else None
    reasons = tuple(f"junk:{k.value}" for k in (MeasureKind.WARNING, MeasureKind.LOW_PRIORITY) if k in kinds)
    return CallHandling(prompts, priority, reasons)


# --- the repeat score ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PastCall:
    """One earlier call of the caller, as the score needs it."""

    ticket: str
    at: datetime
    classification: str | None
    answered: bool
    silent_confirmed: bool = False


@dataclass(frozen=True, slots=True)
class RepeatScore:
    score: float
    level: str  # none | watch | repeat
    calls: int
    junk: int  # prank + ghost
    emergencies: int  # real emergencies and confirmed silent calls: they count against the score


def call_weight(call: PastCall) -> float:
    if call.silent_confirmed:
        return SILENT_CONFIRMED_WEIGHT
    if call.classification is None:
        return 0.0 if call.answered else UNANSWERED_WEIGHT
    return WEIGHTS.get(call.classification, 0.0)


def repeat_score(calls: Iterable[PastCall], now: datetime) -> RepeatScore:
    total, count, junk, emergencies = 0.0, 0, 0, 0
    for call in calls:
        age_days = max(0.0, (now - call.at).total_seconds() / 86400)
        total += call_weight(call) * 0.5 ** (age_days / HALF_LIFE_DAYS)
        count += 1
        junk += call.classification in JUNK_CLASSES
        emergencies += call.silent_confirmed or call.classification == "darurat"
    score = round(max(0.0, total), 1)
    level = "repeat" if score >= REPEAT_FROM else "watch" if score >= WATCH_FROM else "none"
    if emergencies and level == "repeat":
        level = "watch"
    return RepeatScore(score, level, count, junk, emergencies)


# --- pocket-dial waves ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wave:
    since: datetime  # the first call of the wave still in the window
    numbers: int  # distinct numbers within the window
    pattern: str  # short_unanswered | ghost


class WaveDetector:
    """Many different numbers with the same pattern within a window. ``observe`` returns a Wave when one starts
    (the count reaches ``min_numbers``), then None until the window has emptied below it again."""

    def __init__(self, window: timedelta, min_numbers: int) -> None:
        self._window = window
        self._min = min_numbers
        self._seen: dict[str, deque[tuple[datetime, str]]] = {}
        self._flagged: dict[str, bool] = {}

    def observe(self, number: str, at: datetime, pattern: str) -> Wave | None:
        seen = self._seen.setdefault(pattern, deque())
        seen.append((at, number))
        wave = self._current(pattern, at)
        if wave is None:
            self._flagged[pattern] = False
            return None
        if self._flagged.get(pattern):
            return None
        self._flagged[pattern] = True
        return wave

    def current(self, now: datetime) -> list[Wave]:
        return [w for p in list(self._seen) if (w := self._current(p, now)) is not None]

    def _current(self, pattern: str, now: datetime) -> Wave | None:
        seen = self._seen[pattern]
        while seen and seen[0][0] < now - self._window:
            seen.popleft()
        numbers = {n for _, n in seen}
        if len(numbers) < self._min:
            self._flagged[pattern] = False
            return None
        return Wave(seen[0][0], len(numbers), pattern)


# --- events --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasureChanged(DomainEvent):
    """A junk measure was set, lifted, or expired (SSE kind ``measure``)."""

    measure: CallerMeasure
    change: str  # set | lifted | expired


@dataclass(frozen=True, slots=True, kw_only=True)
class WaveFlagged(DomainEvent):
    """A pocket-dial wave started (SSE kind ``wave``)."""

    wave: Wave


@dataclass(frozen=True, slots=True)
class JunkShare:
    classified: int
    junk: int
    by_class: dict[str, int] = field(default_factory=dict)

    @property
    def pct(self) -> float | None:
        return round(100.0 * self.junk / self.classified, 1) if self.classified else None
