"""Junk-call triage rules: the repeat score, a measure's checks and expiry, what the intake is advised, waves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ec112.domain.call_handling import LOW_PRIORITY, RESTRICTED_PRIORITY, CallHandling, Prompt
from ec112.domain.errors import InvalidRequest
from ec112.domain.junk_calls import (
    CallerMeasure,
    MeasureKind,
    PastCall,
    SubjectKind,
    WaveDetector,
    checked_draft,
    handling_for,
    repeat_score,
)

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def _call(classification: str | None, days_ago: float = 0.0, *, answered: bool = True,
          silent: bool = False) -> PastCall:
    return PastCall("112-x", NOW - timedelta(days=days_ago), classification, answered, silent)


def _measure(kind: MeasureKind, *, hours: float = 24, lifted: bool = False) -> CallerMeasure:
    return CallerMeasure(1, SubjectKind.NUMBER, "+6281234567890", kind, "prank x5", "spv", NOW - timedelta(hours=1),
                         NOW + timedelta(hours=hours), NOW if lifted else None)


def test_pranks_and_ghosts_raise_the_score_and_old_ones_count_less() -> None:
    fresh = repeat_score([_call("prank"), _call("prank"), _call("ghost")], NOW)
    assert (fresh.score, fresh.level, fresh.calls, fresh.junk) == (8.0, "repeat", 3, 3)
    old = repeat_score([_call("prank", 14), _call("prank", 14), _call("ghost", 14)], NOW)
    assert old.score == 2.0  # two half-lives
    assert old.level == "watch"
    assert repeat_score([_call("informasi")] * 10, NOW).level == "none"


def test_a_caller_who_once_had_a_real_emergency_never_looks_like_a_prankster() -> None:
    pranks = [_call("prank", 0.1)] * 5
    with_emergency = repeat_score([*pranks, _call("darurat", 20)], NOW)
    assert with_emergency.emergencies == 1
    assert with_emergency.level == "watch"  # capped, even with 5 fresh pranks
    assert with_emergency.score < repeat_score(pranks, NOW).score
    silent = repeat_score([*pranks, _call(None, 3, answered=True, silent=True)], NOW)
    assert (silent.emergencies, silent.level) == (1, "watch")
    assert repeat_score([_call("darurat"), _call("ghost")], NOW).score == 0.0  # never below zero


def test_unanswered_unclassified_calls_weigh_a_little() -> None:
    assert repeat_score([_call(None, answered=False)] * 4, NOW).score == 2.0
    assert repeat_score([_call(None, answered=True)] * 4, NOW).score == 0.0


def test_a_measure_must_say_why_and_end_in_the_future_within_the_maximum() -> None:
    ok = checked_draft("number", "0812-3456-7890", "restriction", " prank x5 ", NOW + timedelta(hours=24), by="spv",
                       now=NOW, max_hours=48, region="ID")
    assert (ok.subject, ok.kind, ok.reason, ok.set_by) == ("+6281234567890", MeasureKind.RESTRICTION, "prank x5", "spv")
    cases = {
        "past": (NOW - timedelta(minutes=1), "prank", "in the past"),
        "too long": (NOW + timedelta(hours=49), "prank", "at most 48 h"),
        "no reason": (NOW + timedelta(hours=1), "  ", "say why"),
    }
    for until, reason, message in cases.values():
        with pytest.raises(InvalidRequest, match=message):
            checked_draft("number", "081234567890", "warning", reason, until, by="spv", now=NOW, max_hours=48,
                          region="ID")
    with pytest.raises(InvalidRequest, match="IMEI"):
        checked_draft("imei", "12345", "warning", "x", NOW + timedelta(hours=1), by="spv", now=NOW, max_hours=48,
                      region="ID")
    with pytest.raises(InvalidRequest, match=r"block|unknown"):
        checked_draft("number", "081234567890", "block", "x", NOW + timedelta(hours=1), by="spv", now=NOW,
                      max_hours=48, region="ID")


def test_a_measure_is_in_force_until_its_end_or_until_lifted() -> None:
    m = _measure(MeasureKind.WARNING, hours=2)
    assert m.active(NOW)
    assert m.status(NOW) == "active"
    assert not m.active(NOW + timedelta(hours=2))
    assert m.status(NOW + timedelta(hours=2)) == "expired"
    lifted = _measure(MeasureKind.WARNING, lifted=True)
    assert not lifted.active(NOW)
    assert lifted.status(NOW) == "lifted"


def test_handling_warns_lowers_or_restricts_but_never_blocks() -> None:
    warning = Prompt("junk-warning")
    assert handling_for([]) == CallHandling()
    assert handling_for([_measure(MeasureKind.WARNING)]) == CallHandling((warning,), None, ("junk:warning",))
    assert handling_for([_measure(MeasureKind.LOW_PRIORITY)]) == CallHandling((), LOW_PRIORITY, ("junk:low_priority",))
    restricted = handling_for([_measure(MeasureKind.RESTRICTION), _measure(MeasureKind.WARNING)])
    assert restricted == CallHandling((warning,), RESTRICTED_PRIORITY, ("junk:restriction",))
    assert restricted.queue_priority is not None  # still queued
    assert restricted.queue_priority > 0
    both = handling_for([_measure(MeasureKind.WARNING), _measure(MeasureKind.LOW_PRIORITY)])
    assert (both.prompts, both.queue_priority) == ((warning,), LOW_PRIORITY)
    assert both.playback("/s") == "/s/id/junk-warning&/s/en/junk-warning"


def test_a_wave_is_many_numbers_with_the_same_pattern_within_the_window() -> None:
    waves = WaveDetector(timedelta(minutes=5), 3)
    at = NOW
    assert waves.observe("a", at, "ghost") is None
    assert waves.observe("a", at, "ghost") is None  # the same number twice is one number
    assert waves.observe("b", at + timedelta(minutes=1), "short_unanswered") is None  # another pattern
    assert waves.observe("b", at + timedelta(minutes=1), "ghost") is None
    wave = waves.observe("c", at + timedelta(minutes=2), "ghost")
    assert wave is not None
    assert (wave.numbers, wave.pattern, wave.since) == (3, "ghost", at)
    assert waves.observe("d", at + timedelta(minutes=3), "ghost") is None  # flagged once
    assert [w.numbers for w in waves.current(at + timedelta(minutes=3))] == [4]
    assert waves.current(at + timedelta(minutes=20)) == []  # the window emptied
    for i, n in enumerate("efg"):
        found = waves.observe(n, at + timedelta(minutes=30 + i), "ghost")
    assert found is not None  # a new wave is flagged again
