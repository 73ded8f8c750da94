"""The drill report (issue 14, docs/room.md C): each placed call's ticket and its handling, against the scenario.

Pure. A drill call's ticket is found by what the runner knows and the trunk cannot fake: an *exercise* ticket
(the drill endpoint's accountcode) with the scenario's caller number that arrived in the call's time window.
Figures: the answer time (arrival → answer, like the live KPIs), classification (and category) correct,
dispatch correct (exactly the expected agencies, none for a call that needs none), time to dispatch (answer →
the last expected agency's first dispatch) and whether that was within the scenario's ``within_seconds``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ec112.domain.dispatch import Dispatch, DispatchStatus
from ec112.domain.drills import Expectation, Scenario
from ec112.domain.tickets import Ticket

EARLY = timedelta(seconds=5)  # clocks: the runner's "placed" against Asterisk's channel creation
LATE = timedelta(seconds=30)  # after the call's planned hang-up, a ticket cannot be this call's any more


@dataclass(frozen=True, slots=True)
class CallResult:
    position: int
    caller: str
    expect: Expectation
    placed_at: datetime | None
    ticket: Ticket | None
    dispatched: tuple[str, ...] = ()  # agencies sent (cancelled dispatches left out), first-dispatch order
    answer_seconds: float | None = None
    classification_ok: bool | None = None  # None: not classified (yet)
    dispatch_ok: bool | None = None
    dispatch_seconds: float | None = None
    within_ok: bool | None = None  # None: the scenario sets no limit, or nothing was dispatched

    @property
    def taker(self) -> str | None:
        return self.ticket.answered_by if self.ticket else None


@dataclass(frozen=True, slots=True)
class Participant:
    taker: str
    calls: int
    avg_answer_seconds: float | None
    classification_correct: int
    dispatch_correct: int
    avg_dispatch_seconds: float | None


@dataclass(frozen=True, slots=True)
class DrillReport:
    name: str
    calls: tuple[CallResult, ...]
    participants: tuple[Participant, ...]

    @property
    def unanswered(self) -> int:
        return sum(1 for c in self.calls if c.taker is None)


def same_number(a: str | None, b: str | None) -> bool:
    """0812… and +62812… are one number: compare the national significant digits."""
    da, db = _digits(a), _digits(b)
    return bool(da) and da == db


def _digits(number: str | None) -> str:
    digits = "".join(ch for ch in (number or "") if ch.isdigit())
    if digits.startswith("62"):
        return digits[2:]
    return digits[1:] if digits.startswith("0") else digits


def find_ticket(caller: str, placed_at: datetime, hangup_after: float, tickets: Sequence[Ticket],
                taken: set[int]) -> Ticket | None:
    end = placed_at + timedelta(seconds=hangup_after) + LATE
    for t in sorted(tickets, key=lambda t: t.arrived_at):
        if (t.exercise and t.id not in taken and placed_at - EARLY <= t.arrived_at <= end
                and (same_number(t.caller_number_raw, caller) or same_number(t.caller_number_e164, caller))):
            return t
    return None


def judge(position: int, scenario: Scenario, placed_at: datetime | None, ticket: Ticket | None,
          dispatches: Sequence[Dispatch]) -> CallResult:
    call = scenario.calls[position]
    expect = call.expect
    if ticket is None:
        return CallResult(position, call.caller, expect, placed_at, None)
    answer = _seconds(ticket.arrived_at, ticket.answered_at)
    classified = ticket.classification is not None
    classification_ok = None if not classified else (
        ticket.classification == expect.classification
        and (expect.category is None or ticket.category == expect.category))
    first: dict[str, datetime] = {}
    for d in sorted(dispatches, key=lambda d: d.dispatched_at):
        if d.status is not DispatchStatus.CANCELLED:
            first.setdefault(d.agency, d.dispatched_at)
    dispatch_ok = None if not classified else set(first) == set(expect.agencies)
    reached = [first[a] for a in expect.agencies if a in first]
    dispatch_seconds = None
    if reached and ticket.answered_at is not None and len(reached) == len(expect.agencies):
        dispatch_seconds = _seconds(ticket.answered_at, max(reached))
    within_ok = None
    if expect.within_seconds is not None and dispatch_seconds is not None:
        within_ok = dispatch_seconds <= expect.within_seconds
    return CallResult(position, call.caller, expect, placed_at, ticket, tuple(first), answer, classification_ok,
                      dispatch_ok, dispatch_seconds, within_ok)


def drill_report(scenario: Scenario, placed: Mapping[int, datetime], tickets: Sequence[Ticket],
                 dispatches: Mapping[int, Sequence[Dispatch]]) -> DrillReport:
    """``placed``: call position → when the runner placed it (a call never placed has no ticket to find)."""
    taken: set[int] = set()
    results = []
    for position, call in enumerate(scenario.calls):
        at = placed.get(position)
        ticket = None if at is None else find_ticket(call.caller, at, call.hangup_after_seconds, tickets, taken)
        if ticket is not None:
            taken.add(ticket.id)
        results.append(judge(position, scenario, at, ticket, dispatches.get(ticket.id, ()) if ticket else ()))
    return DrillReport(scenario.name, tuple(results), participants(results))


def participants(results: Sequence[CallResult]) -> tuple[Participant, ...]:
    by_taker: dict[str, list[CallResult]] = {}
    for r in results:
        if r.taker is not None:
            by_taker.setdefault(r.taker, []).append(r)
    return tuple(
        Participant(taker, len(rs), _mean([r.answer_seconds for r in rs]),
                    sum(1 for r in rs if r.classification_ok), sum(1 for r in rs if r.dispatch_ok),
                    _mean([r.dispatch_seconds for r in rs]))
        for taker, rs in sorted(by_taker.items()))


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, (end - start).total_seconds()), 1)


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 1) if known else None
