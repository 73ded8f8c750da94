"""Drill scenario files: the shipped ones load, a bad file is refused with every problem named."""

from __future__ import annotations

from pathlib import Path

import pytest

from ec112.domain.drills import ScenarioError, is_exercise, parse_scenario

DRILLS = Path(__file__).resolve().parents[2] / "drills"

GOOD = """
name = "Uji"
[[call]]
at_seconds = 5
caller = "081200000001"
audio = "fire.wav"
[call.expect]
classification = "darurat"
category = "kebakaran"
agencies = ["damkar"]
within_seconds = 90
[[call]]
at_seconds = 0
caller = "+6281200000002"
audio = { text = "halo", lang = "en" }
[call.expect]
classification = "prank"
"""


def test_shipped_scenarios_load() -> None:
    fire = parse_scenario((DRILLS / "penajam-house-fire.toml").read_text())
    flood = parse_scenario((DRILLS / "babulu-flood.toml").read_text())
    assert fire.calls[0].expect.agencies == ("damkar",)
    assert fire.calls[0].expect.category == "kebakaran"
    assert len(flood.calls) >= 3
    assert [c.expect.classification for c in flood.calls].count("prank") == 1
    assert all(c.text for c in flood.calls)


def test_calls_sorted_by_time_and_audio_forms() -> None:
    scenario = parse_scenario(GOOD)
    assert scenario.queue == "real"
    assert [c.caller for c in scenario.calls] == ["+6281200000002", "081200000001"]
    assert scenario.calls[0].text == "halo"
    assert scenario.calls[0].lang == "en"
    assert scenario.calls[1].audio_file == "fire.wav"
    assert scenario.calls[1].expect.within_seconds == 90
    assert scenario.duration_seconds == 65.0


def test_every_problem_is_named() -> None:
    bad = """
queue = "no spaces allowed"
colour = "red"
[[call]]
at_seconds = -1
caller = "call me"
audio = 12
[call.expect]
classification = "darurat"
category = "Fire!"
[[call]]
at_seconds = 1
caller = "0812"
audio = { text = "" }
"""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(bad)
    text = "\n".join(caught.value.problems)
    for expected in ("name: required", "queue:", "unknown keys: colour", "call 1: at_seconds", "call 1: caller",
                     "call 1: audio:", "call 1: expect.category", "call 1: expect.agencies: an emergency",
                     "call 2: audio.text", "call 2: [call.expect] is required"):
        assert expected in text


def test_not_toml_and_no_calls() -> None:
    with pytest.raises(ScenarioError, match="not valid TOML"):
        parse_scenario("name = ")
    with pytest.raises(ScenarioError, match="at least one"):
        parse_scenario('name = "x"')


def test_only_the_drill_accountcode_is_an_exercise() -> None:
    assert is_exercise("ec112-exercise")
    assert not is_exercise("")
    assert not is_exercise(None)
    assert not is_exercise("ec112-exercise-not")
