"""Which location a ticket shows when it has several (domain.location.best_location)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ec112.domain.location import Location, LocationSource, best_location

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def loc(source: LocationSource, *, at: float = 0, radius: float | None = 100, method: str | None = None) -> Location:
    return Location(-1.25, 116.8, radius, source, T0 + timedelta(seconds=at), method=method)


def test_nothing_gives_none() -> None:
    assert best_location([]) is None


def test_a_fresh_aml_fix_beats_the_network_cell_position() -> None:
    network = loc(LocationSource.PIDF_LO, at=0, radius=2000, method="Cell")
    aml = loc(LocationSource.AML, at=15, radius=12, method="GPS")
    assert best_location([network, aml]) is aml
    assert best_location([aml, network]) is aml  # whatever order they are stored in


def test_an_aml_that_arrives_late_but_was_measured_earlier_still_beats_the_network() -> None:
    network = loc(LocationSource.PIDF_LO, at=20, radius=2000, method="Cell")
    aml = loc(LocationSource.AML, at=5, radius=12, method="GPS")
    assert best_location([network, aml]) is aml


def test_a_network_gps_fix_counts_as_the_handset_s_own() -> None:
    gps = loc(LocationSource.PIDF_LO, at=0, radius=15, method="GPS")
    civic = loc(LocationSource.CIVIC, at=30, radius=800)
    assert best_location([gps, civic]) is gps


def test_the_call_taker_s_pin_beats_the_network_and_a_newer_pin_wins() -> None:
    network = loc(LocationSource.PIDF_LO, at=0, radius=2000, method="Cell")
    pin = loc(LocationSource.MANUAL, at=60, radius=None)
    later_pin = loc(LocationSource.MANUAL, at=90, radius=None)
    assert best_location([network, pin]) is pin
    assert best_location([network, pin, later_pin]) is later_pin


def test_anything_fresh_beats_an_old_fix_whatever_its_source() -> None:
    old_aml = loc(LocationSource.AML, at=0, radius=10, method="GPS")
    fresh_place = loc(LocationSource.GAZETTEER, at=400, radius=3000)
    assert best_location([old_aml, fresh_place]) is fresh_place


def test_at_the_same_time_and_tier_the_smaller_uncertainty_wins() -> None:
    wide = loc(LocationSource.AML, at=10, radius=500)
    tight = loc(LocationSource.AML, at=10, radius=8)
    unknown = loc(LocationSource.AML, at=10, radius=None)
    assert best_location([wide, unknown, tight]) is tight
