"""How fast the chain after the call moves, per agency and per responder (pure).

Intervals (median and 90th percentile, seconds): answer → dispatch (call processing), dispatch →
acknowledgement, acknowledgement → responding, responding → resolution. The call-processing target
(NFPA 1225: answer → first dispatch within 60 s, 90 % of the time) is reported as the share of
dispatched tickets whose first dispatch came within ``target`` of the answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from ec112.domain.dispatch import Dispatch
from ec112.domain.tickets import Ticket

CALL_PROCESSING_TARGET = timedelta(seconds=60)
INTERVALS = ("answer_to_dispatch", "dispatch_to_ack", "ack_to_responding", "responding_to_resolved")


@dataclass(frozen=True, slots=True)
class IntervalStats:
    count: int
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True, slots=True)
class ChainKpis:
    key: str  # agency code or responder username
    dispatches: int
    resolved: int
    intervals: dict[str, IntervalStats]


@dataclass(frozen=True, slots=True)
class CallProcessing:
    tickets: int  # answered tickets that were dispatched
    within_target: int
    pct_within_target: float | None
    target_seconds: float


def p90(values: Sequence[float]) -> float | None:
    """Nearest-rank 90th percentile (the value 90 % of cases do not exceed)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-9 * len(ordered) // 10))  # ceil(0.9 n)
    return ordered[rank - 1]


def interval_stats(values: Sequence[float]) -> IntervalStats:
    """Count, median and p90 of one interval's samples (the live dispatch KPIs and the reports share it)."""
    return IntervalStats(len(values), median(values) if values else None, p90(values))


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """``end - start`` in seconds, never negative (a clock skew is no negative interval); None if one is unknown."""
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def chain_kpis(dispatches: Iterable[Dispatch], tickets: Mapping[int, Ticket], *, by: str) -> list[ChainKpis]:
    """``by`` is ``"agency"`` or ``"responder"`` (dispatches without a responder are left out of the latter)."""
    groups: dict[str, list[Dispatch]] = defaultdict(list)
    for d in dispatches:
        key = d.agency if by == "agency" else d.responder
        if key is not None:
            groups[key].append(d)
    result = []
    for key in sorted(groups):
        ds = groups[key]
        samples: dict[str, list[float]] = {name: [] for name in INTERVALS}
        for d in ds:
            ticket = tickets.get(d.ticket_id)
            pairs = {
                "answer_to_dispatch": (ticket.answered_at if ticket else None, d.dispatched_at),
                "dispatch_to_ack": (d.dispatched_at, d.acknowledged_at),
                "ack_to_responding": (d.acknowledged_at, d.responding_at),
                "responding_to_resolved": (d.responding_at, d.resolved_at),
            }
            for name, (start, end) in pairs.items():
                value = seconds_between(start, end)
                if value is not None:
                    samples[name].append(value)
        resolved = sum(1 for d in ds if d.resolved_at is not None)
        result.append(ChainKpis(key, len(ds), resolved, {k: interval_stats(v) for k, v in samples.items()}))
    return result


def call_processing(dispatches: Iterable[Dispatch], tickets: Mapping[int, Ticket],
                    target: timedelta = CALL_PROCESSING_TARGET) -> CallProcessing:
    first: dict[int, datetime] = {}
    for d in dispatches:
        if d.ticket_id not in first or d.dispatched_at < first[d.ticket_id]:
            first[d.ticket_id] = d.dispatched_at
    answered = [(tickets[t].answered_at, at) for t, at in first.items()
                if t in tickets and tickets[t].answered_at is not None]
    within = sum(1 for answer, at in answered if answer is not None and at - answer <= target)
    pct = round(100.0 * within / len(answered), 1) if answered else None
    return CallProcessing(len(answered), within, pct, target.total_seconds())
