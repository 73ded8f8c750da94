"""Reports over a period (a day, a month): the live KPIs' figures, grouped by day, shift, call taker, category and
agency (pure).

Why no definition of its own: a supervisor compares the monthly report with what the wallboard showed, so every
figure comes from the live functions — ``compute_kpis`` (calls, answered within 10/20 s from arrival, abandon
rate), the wallboard's junk share (prank + ghost among classified calls, ``JunkShare``) and the dispatch chain
(``chain_kpis``, ``call_processing``: answer → dispatch, dispatch → acknowledgement …). Only the grouping is new,
and the one interval the live chain does not show: dispatch → arrival on scene (``processing_at``).

Exercise tickets never reach this module: the query leaves them out (docs/room.md, part D).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ec112.domain.dispatch import Dispatch
from ec112.domain.dispatch_kpis import (
    CallProcessing,
    ChainKpis,
    IntervalStats,
    call_processing,
    chain_kpis,
    interval_stats,
    seconds_between,
)
from ec112.domain.junk_calls import JUNK_CLASSES, JunkShare
from ec112.domain.kpis import Kpis, Shifts, compute_kpis
from ec112.domain.tickets import Ticket

GROUPINGS = ("day", "shift", "taker", "category")
NO_CATEGORY = "-"  # a ticket never given a category (unanswered, or information / prank / ghost)


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """One row of a report: the calls of one day, shift, call taker or category."""

    key: str  # "2026-11-27" · "07:00-15:00" · taker endpoint · category code (NO_CATEGORY)
    kpis: Kpis
    junk: JunkShare
    answer_to_dispatch: IntervalStats  # answer → the ticket's first dispatch
    call_processing: CallProcessing  # share of dispatched tickets dispatched within 60 s of the answer


@dataclass(frozen=True, slots=True)
class AgencyFigures:
    """The chain after the call for one agency: the live ``ChainKpis`` plus dispatch → arrival on scene."""

    chain: ChainKpis
    dispatch_to_arrival: IntervalStats  # dispatched_at → processing_at (the responders are on scene)


@dataclass(frozen=True, slots=True)
class Report:
    start: datetime
    end: datetime
    total: GroupFigures
    groups: dict[str, list[GroupFigures]]  # GROUPINGS → rows, sorted by key
    agencies: list[AgencyFigures]


def junk_share(tickets: Iterable[Ticket]) -> JunkShare:
    """The wallboard's junk share: prank + ghost among the calls a call taker classified."""
    counts = Counter(t.classification for t in tickets if t.classification is not None)
    return JunkShare(sum(counts.values()), sum(n for c, n in counts.items() if c in JUNK_CLASSES),
                     dict(sorted(counts.items())))


def first_dispatches(dispatches: Iterable[Dispatch]) -> dict[int, datetime]:
    first: dict[int, datetime] = {}
    for d in dispatches:
        if d.ticket_id not in first or d.dispatched_at < first[d.ticket_id]:
            first[d.ticket_id] = d.dispatched_at
    return first


def group_figures(key: str, tickets: Sequence[Ticket], dispatches: Mapping[int, list[Dispatch]],
                  now: datetime) -> GroupFigures:
    """Figures of ``tickets``; ``dispatches``: every dispatch of the period's tickets, by ticket id."""
    own = [d for t in tickets for d in dispatches.get(t.id, [])]
    by_id = {t.id: t for t in tickets}
    first = first_dispatches(own)
    samples = [s for tid, at in first.items() if (s := seconds_between(by_id[tid].answered_at, at)) is not None]
    return GroupFigures(key, compute_kpis(tickets, now), junk_share(tickets), interval_stats(samples),
                        call_processing(own, by_id))


def shift_label(shifts: Shifts, at: datetime) -> str:
    """The shift of the day a call arrived in, by its local hours: ``07:00-15:00`` (the same every day)."""
    start, end = shifts.current_shift(at)
    return f"{start.astimezone(shifts.timezone):%H:%M}-{end.astimezone(shifts.timezone):%H:%M}"


def _grouped(tickets: Sequence[Ticket], key: Callable[[Ticket], str | None]) -> dict[str, list[Ticket]]:
    groups: dict[str, list[Ticket]] = defaultdict(list)
    for t in tickets:
        k = key(t)
        if k is not None:
            groups[k].append(t)
    return groups


def build_report(tickets: Sequence[Ticket], dispatches: Sequence[Dispatch], *, start: datetime, end: datetime,
                 shifts: Shifts, now: datetime, chain_tickets: Mapping[int, Ticket] | None = None) -> Report:
    """The report of ``[start, end)``.

    ``tickets``: the (non-exercise) calls that arrived in the period, as the live KPIs select them.
    ``dispatches``: the (non-exercise) dispatches made in the period, as the live dispatch KPIs select them;
    ``chain_tickets``: their tickets by id (a dispatch of the period may belong to a call of the day before).
    Calls are grouped by arrival; the per-agency chain by dispatch time, like the wallboard.
    """
    chain_tickets = dict(chain_tickets or {}) | {t.id: t for t in tickets}
    by_ticket: dict[int, list[Dispatch]] = defaultdict(list)
    for d in dispatches:
        by_ticket[d.ticket_id].append(d)
    keys: dict[str, Callable[[Ticket], str | None]] = {
        "day": lambda t: t.arrived_at.astimezone(shifts.timezone).date().isoformat(),
        "shift": lambda t: shift_label(shifts, t.arrived_at),
        "taker": lambda t: t.answered_by,  # answered calls only: an abandoned call has no call taker
        "category": lambda t: t.category or NO_CATEGORY,
    }
    groups = {name: [group_figures(k, ts, by_ticket, now) for k, ts in sorted(_grouped(tickets, key).items())]
              for name, key in keys.items()}
    arrivals: dict[str, list[float]] = defaultdict(list)
    for d in dispatches:
        if (s := seconds_between(d.dispatched_at, d.processing_at)) is not None:
            arrivals[d.agency].append(s)
    agencies = [AgencyFigures(c, interval_stats(arrivals.get(c.key, [])))
                for c in chain_kpis(dispatches, chain_tickets, by="agency")]
    total = group_figures("total", tickets, by_ticket, now)
    total = GroupFigures("total", total.kpis, total.junk, total.answer_to_dispatch,
                         call_processing(dispatches, chain_tickets))
    return Report(start, end, total, groups, agencies)
