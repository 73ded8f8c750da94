"""Red / amber / green of the wallboard's KPIs: the limits, the direction per KPI, the configuration."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ec112.config.settings import Settings, load_settings
from ec112.domain.kpi_ratings import KpiThresholds, Rating, Threshold, higher_pct, lower_pct, lower_seconds
from ec112.domain.kpis import Kpis


def _kpis(*, within_10s: float | None, abandon: float | None, avg: float | None, longest: float | None) -> Kpis:
    return Kpis(offered=10, answered=9, abandoned=1, hung_up_in_intake=0, in_progress=0, settled=10,
                avg_answer_seconds=avg, pct_answered_within_10s=within_10s, pct_answered_within_20s=None,
                avg_longest_10pct_answer_seconds=None, abandon_rate_pct=abandon, longest_current_wait_seconds=longest)


@pytest.mark.parametrize(("value", "rating"), [
    (100.0, Rating.GREEN), (90.0, Rating.GREEN), (89.99, Rating.AMBER), (75.0, Rating.AMBER),
    (74.9, Rating.RED), (0.0, Rating.RED), (None, Rating.NONE), (float("nan"), Rating.NONE),
])
def test_higher_is_better_limits_are_inclusive(value: float | None, rating: Rating) -> None:
    assert higher_pct(90, 75).rate(value) is rating


@pytest.mark.parametrize(("value", "rating"), [
    (0.0, Rating.GREEN), (10.0, Rating.GREEN), (10.01, Rating.AMBER), (20.0, Rating.AMBER),
    (20.5, Rating.RED), (3600.0, Rating.RED), (None, Rating.NONE),
])
def test_lower_is_better_limits_are_inclusive(value: float | None, rating: Rating) -> None:
    assert lower_seconds(10, 20).rate(value) is rating


def test_equal_limits_leave_no_amber_band() -> None:
    assert lower_pct(5, 5).rate(5.0) is Rating.GREEN
    assert lower_pct(5, 5).rate(5.1) is Rating.RED


@pytest.mark.parametrize(("make", "message"), [
    (lambda: higher_pct(75, 90), "green .* must be >= amber"),
    (lambda: lower_seconds(20, 10), "green .* must be <= amber"),
    (lambda: higher_pct(120, 75), "at most 100"),
    (lambda: lower_seconds(-1, 10), ">= 0"),
    (lambda: lower_seconds(float("inf"), float("inf")), "finite"),
])
def test_incoherent_thresholds_are_refused(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_a_kpi_cannot_be_turned_upside_down() -> None:
    with pytest.raises(ValueError, match="abandon_rate_pct: lower is better"):
        KpiThresholds(abandon_rate_pct=Threshold(95, 90, higher_is_better=True))


def test_defaults_rate_a_period() -> None:
    ratings = KpiThresholds().rate(_kpis(within_10s=92.0, abandon=7.5, avg=12.0, longest=None))
    assert ratings.answered_within_10s is Rating.GREEN
    assert ratings.abandon_rate is Rating.AMBER
    assert ratings.avg_answer is Rating.RED
    assert ratings.longest_wait is Rating.NONE  # nobody waiting: nothing to rate


def test_thresholds_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(lab_mode=True).wallboard.thresholds() == KpiThresholds()
    monkeypatch.setenv("EC112_WALLBOARD__ANSWERED_WITHIN_10S_GREEN_PCT", "95")
    monkeypatch.setenv("EC112_WALLBOARD__LONGEST_WAIT_AMBER_SECONDS", "30")
    thresholds = load_settings(lab_mode=True).wallboard.thresholds()
    assert thresholds.answered_within_10s_pct == higher_pct(95, 75)
    assert thresholds.longest_wait_seconds == lower_seconds(10, 30)
    ratings = thresholds.rate(_kpis(within_10s=92.0, abandon=None, avg=None, longest=25.0))
    assert ratings.answered_within_10s is Rating.AMBER  # 92 % is no longer green with a 95 % target
    assert ratings.longest_wait is Rating.AMBER
    assert ratings.abandon_rate is Rating.NONE


def test_incoherent_settings_fail_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EC112_WALLBOARD__ABANDON_RATE_GREEN_PCT", "20")  # green worse than amber (10)
    with pytest.raises(ValidationError, match="lower is better here"):
        load_settings(lab_mode=True)

