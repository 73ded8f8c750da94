"""Red / amber / green for the wallboard's KPIs, against thresholds the centre configures (pure).

A threshold says where green ends and where amber ends; past amber it is red. Whether a higher value
is better is fixed per KPI (answered within 10 s: higher is better; abandon rate and waits: lower is
better), so a configuration can only move the limits, not turn a KPI upside down. A KPI without a value
(no call to measure) is rated ``none``, never green: an empty period is not a good one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from ec112.domain.kpis import Kpis


class Rating(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NONE = "none"  # nothing to measure yet


@dataclass(frozen=True, slots=True)
class Threshold:
    """Green while at least as good as ``green``, amber while at least as good as ``amber``, else red."""

    green: float
    amber: float
    higher_is_better: bool
    maximum: float | None = None  # e.g. 100 for a percentage

    def __post_init__(self) -> None:
        for name, value in (("green", self.green), ("amber", self.amber)):
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"threshold {name} must be a finite number >= 0, got {value}")
            if self.maximum is not None and value > self.maximum:
                raise ValueError(f"threshold {name} must be at most {self.maximum:g}, got {value:g}")
        if self.higher_is_better and self.green < self.amber:
            raise ValueError(f"higher is better here: green ({self.green:g}) must be >= amber ({self.amber:g})")
        if not self.higher_is_better and self.green > self.amber:
            raise ValueError(f"lower is better here: green ({self.green:g}) must be <= amber ({self.amber:g})")

    def rate(self, value: float | None) -> Rating:
        if value is None or math.isnan(value):
            return Rating.NONE
        if self.higher_is_better:
            if value >= self.green:
                return Rating.GREEN
            return Rating.AMBER if value >= self.amber else Rating.RED
        if value <= self.green:
            return Rating.GREEN
        return Rating.AMBER if value <= self.amber else Rating.RED


def higher_pct(green: float, amber: float) -> Threshold:
    return Threshold(green, amber, higher_is_better=True, maximum=100.0)


def lower_pct(green: float, amber: float) -> Threshold:
    return Threshold(green, amber, higher_is_better=False, maximum=100.0)


def lower_seconds(green: float, amber: float) -> Threshold:
    return Threshold(green, amber, higher_is_better=False)


@dataclass(frozen=True, slots=True)
class KpiRatings:
    answered_within_10s: Rating
    abandon_rate: Rating
    avg_answer: Rating
    longest_wait: Rating


@dataclass(frozen=True, slots=True)
class KpiThresholds:
    """Defaults: a common 112 target (90 % answered within 10 s, under 5 % abandoned, no one waiting
    more than 10 s), with amber as the early warning before the target is lost."""

    answered_within_10s_pct: Threshold = field(default_factory=lambda: higher_pct(90, 75))
    abandon_rate_pct: Threshold = field(default_factory=lambda: lower_pct(5, 10))
    avg_answer_seconds: Threshold = field(default_factory=lambda: lower_seconds(6, 10))
    longest_wait_seconds: Threshold = field(default_factory=lambda: lower_seconds(10, 20))

    def __post_init__(self) -> None:
        expected = {"answered_within_10s_pct": True, "abandon_rate_pct": False, "avg_answer_seconds": False,
                    "longest_wait_seconds": False}
        for name, higher in expected.items():
            if getattr(self, name).higher_is_better is not higher:
                raise ValueError(f"{name}: {'higher' if higher else 'lower'} is better for this KPI")

    def rate(self, kpis: Kpis) -> KpiRatings:
        return KpiRatings(
            answered_within_10s=self.answered_within_10s_pct.rate(kpis.pct_answered_within_10s),
            abandon_rate=self.abandon_rate_pct.rate(kpis.abandon_rate_pct),
            avg_answer=self.avg_answer_seconds.rate(kpis.avg_answer_seconds),
            longest_wait=self.longest_wait_seconds.rate(kpis.longest_current_wait_seconds),
        )
