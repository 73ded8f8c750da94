"""Percentiles from raw samples, and from a Prometheus histogram between two scrapes.

Intake latency comes from ec112's own ``ec112_intake_seconds`` histogram (/metrics), read before and
after a step: the bucket deltas are that step's intakes, and a quantile is interpolated linearly inside
its bucket (what Prometheus' histogram_quantile() does). Its precision is the bucket width around the
value (1-2 ms below 20 ms, see daemon.INTAKE_BUCKETS), which is plenty for p50/p99 of an intake.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

_BUCKET = re.compile(r'^(\w+)_bucket\{le="([^"]+)"\}\s+([0-9.eE+-]+)$')
_SCALAR = re.compile(r"^(\w+)_(count|sum)\s+([0-9.eE+-]+)$")


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) of raw samples, linear between closest ranks; None without samples."""
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Histogram:
    """One Prometheus histogram as scraped: cumulative bucket counts by upper bound, count and sum."""

    def __init__(self, buckets: dict[float, float], count: float, total: float) -> None:
        self.buckets = dict(sorted(buckets.items()))
        self.count = count
        self.sum = total

    @classmethod
    def parse(cls, exposition: str, name: str) -> Histogram:
        buckets: dict[float, float] = {}
        count = total = 0.0
        for line in exposition.splitlines():
            bucket = _BUCKET.match(line)
            if bucket and bucket.group(1) == name:
                buckets[float(bucket.group(2))] = float(bucket.group(3))
                continue
            scalar = _SCALAR.match(line)
            if scalar and scalar.group(1) == name:
                if scalar.group(2) == "count":
                    count = float(scalar.group(3))
                else:
                    total = float(scalar.group(3))
        return cls(buckets, count, total)

    def minus(self, earlier: Histogram) -> Histogram:
        """What was observed between ``earlier`` and this scrape (same daemon run)."""
        return Histogram({le: n - earlier.buckets.get(le, 0.0) for le, n in self.buckets.items()},
                         self.count - earlier.count, self.sum - earlier.sum)

    def quantile(self, q: float) -> float | None:
        """histogram_quantile(): linear interpolation inside the bucket holding rank q*count."""
        if self.count <= 0:
            return None
        rank = q * self.count
        lower_bound, lower_count = 0.0, 0.0
        for le, cumulative in self.buckets.items():
            if cumulative >= rank:
                if math.isinf(le):
                    return lower_bound  # beyond the last finite bucket: its bound is all we know
                span = cumulative - lower_count
                fraction = (rank - lower_count) / span if span > 0 else 1.0
                return lower_bound + (le - lower_bound) * fraction
            lower_bound, lower_count = le, cumulative
        return lower_bound

    def mean(self) -> float | None:
        return self.sum / self.count if self.count > 0 else None
