"""Live KPIs of the call centre, with emergency-service definitions rather than contact-centre ones.

Why not contact-centre figures: a contact centre measures service level from the moment a call enters
the queue and often forgives short abandons. A citizen calling 112 waits from the first ring, so every
time below is measured from the ticket's ``arrived_at`` (call arrival at ec112), intake included, and no
abandoned call is forgiven for being short.

Periods are the centre's shifts (local wall-clock boundaries, default 07-15-23 in the centre's zone,
``[callcenter] timezone``, Asia/Makassar (WITA) by default) and the local day. Pure module: the caller loads
the tickets of a period (``list_arrived_between``) and passes ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from ec112.domain.tickets import CallOutcome, Ticket

DEFAULT_SHIFT_HOURS: tuple[int, ...] = (7, 15, 23)
DEFAULT_TIMEZONE = "Asia/Makassar"  # WITA, Penajam Paser Utara; the same default as [callcenter] timezone


def _default_zone() -> ZoneInfo:
    return ZoneInfo(DEFAULT_TIMEZONE)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Shifts:
    """The centre's shift boundaries: local hours of the day at which a shift starts.

    The last shift of the day runs to the first boundary of the next day (23→07 spans midnight).
    Periods are returned as aware UTC datetimes, ``[start, end)``. Boundaries are local wall-clock
    times, so in a zone with daylight saving a shift crossing the change is an hour shorter or longer;
    Indonesia's zones (WIB, WITA, WIT) have none, so there every 07-15-23 shift lasts exactly 8 hours.
    """

    hours: tuple[int, ...] = DEFAULT_SHIFT_HOURS
    timezone: ZoneInfo = field(default_factory=_default_zone)

    def __post_init__(self) -> None:
        if not self.hours:
            raise ValueError("at least one shift boundary is needed")
        if any(not 0 <= h <= 23 for h in self.hours):
            raise ValueError(f"shift boundaries must be hours 0-23, got {self.hours}")
        if list(self.hours) != sorted(set(self.hours)):
            raise ValueError(f"shift boundaries must be strictly increasing, got {self.hours}")

    def current_shift(self, now: datetime) -> tuple[datetime, datetime]:
        """The shift containing ``now``: (start, end) in UTC."""
        _require_aware(now)
        now_utc = now.astimezone(UTC)
        local_day = now.astimezone(self.timezone).date()
        # Boundaries of yesterday, today and tomorrow always bracket now, whatever the shift pattern.
        boundaries = [
            self._local(local_day + timedelta(days=offset), hour)
            for offset in (-1, 0, 1)
            for hour in self.hours
        ]
        # Compare in UTC: aware datetimes sharing a tzinfo compare by wall clock, wrong around DST.
        for start, end in pairwise(boundaries):
            if start <= now_utc < end:
                return start, end
        raise AssertionError("unreachable: three days of boundaries always bracket now")

    def today(self, now: datetime) -> tuple[datetime, datetime]:
        """The local calendar day containing ``now``: (midnight, next midnight) in UTC."""
        _require_aware(now)
        local_day = now.astimezone(self.timezone).date()
        return self._local(local_day, 0), self._local(local_day + timedelta(days=1), 0)

    def _local(self, day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=self.timezone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Kpis:
    """Figures of one period; every ``None`` means "no call to measure", never zero.

    Counts partition the period's calls: ``offered = answered + abandoned + hung_up_in_intake +
    in_progress``; ``settled = offered - in_progress``. Percentages are 0-100.
    """

    offered: int
    answered: int
    abandoned: int
    hung_up_in_intake: int
    in_progress: int
    settled: int
    avg_answer_seconds: float | None
    pct_answered_within_10s: float | None
    pct_answered_within_20s: float | None
    avg_longest_10pct_answer_seconds: float | None
    abandon_rate_pct: float | None
    longest_current_wait_seconds: float | None


def answer_seconds(ticket: Ticket) -> float | None:
    """Arrival → answer, in seconds (never negative, a clock skew is not a negative wait)."""
    if ticket.answered_at is None:
        return None
    return max(0.0, (ticket.answered_at - ticket.arrived_at).total_seconds())


def _category(ticket: Ticket) -> CallOutcome | None:
    """The call's fate so far; None while it is still waiting (in intake or in the queue)."""
    if ticket.answered_at is not None:
        return CallOutcome.ANSWERED  # answered counts from the answer on, even mid-conversation
    if ticket.ended_at is None:
        return None
    if ticket.outcome is not None:
        return ticket.outcome
    # Same rule as tickets.ended(), for a row ended without an outcome.
    return CallOutcome.ABANDONED if ticket.queued_at is not None else CallOutcome.HUNG_UP_IN_INTAKE


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _avg(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def compute_kpis(tickets: Iterable[Ticket], now: datetime) -> Kpis:
    """KPIs of the tickets of one period (the caller selects them by ``arrived_at``).

    Definitions (emergency-service style: the citizen waits from the first ring):

    - ``offered``: every call that arrived in the period, whatever became of it.
    - ``answered``: calls a call taker answered (ongoing conversations included).
    - ``abandoned``: calls whose caller hung up while waiting in the queue.
    - ``hung_up_in_intake``: calls whose caller hung up before reaching the queue.
    - ``in_progress``: calls not yet answered and not ended (still in intake or queued).
    - ``settled``: ``offered - in_progress``, the calls that reached a decision.
    - answer time: ``answered_at - arrived_at`` (arrival, not queue entry), answered calls only.
    - ``avg_answer_seconds``: mean answer time; None when nothing was answered.
    - ``pct_answered_within_10s`` / ``_20s``: calls answered with answer time ≤ 10 s (≤ 20 s), as a
      percentage of ``settled`` calls: answered + abandoned + hung up in intake. Every unanswered
      hang-up counts as a miss, however short (a citizen who gives up during the intake message was
      not answered either); calls still waiting are left out until they reach a decision — the
      backlog shows in ``longest_current_wait_seconds``. None when no call is settled.
    - ``avg_longest_10pct_answer_seconds``: mean of the longest ceil(10 %) of answer times, at least
      one call (the tail that the average hides); None when nothing was answered.
    - ``abandon_rate_pct``: abandoned / (answered + abandoned), queue abandons only; None when both
      are zero.
    - ``longest_current_wait_seconds``: ``now - arrived_at`` of the oldest call among these tickets
      that is neither answered nor ended; None when no call is waiting.
    """
    _require_aware(now)
    counts = dict.fromkeys(CallOutcome, 0)
    in_progress = 0
    answer_times: list[float] = []
    oldest_waiting: datetime | None = None
    offered = 0
    for ticket in tickets:
        offered += 1
        category = _category(ticket)
        if category is None:
            in_progress += 1
            if oldest_waiting is None or ticket.arrived_at < oldest_waiting:
                oldest_waiting = ticket.arrived_at
            continue
        counts[category] += 1
        seconds = answer_seconds(ticket)
        if seconds is not None:
            answer_times.append(seconds)

    answered = counts[CallOutcome.ANSWERED]
    abandoned = counts[CallOutcome.ABANDONED]
    settled = offered - in_progress
    longest_first = sorted(answer_times, reverse=True)
    tail = longest_first[: max(1, -(-len(longest_first) // 10))]  # ceil without float rounding
    return Kpis(
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        hung_up_in_intake=counts[CallOutcome.HUNG_UP_IN_INTAKE],
        in_progress=in_progress,
        settled=settled,
        avg_answer_seconds=_avg(answer_times),
        pct_answered_within_10s=_pct(sum(1 for s in answer_times if s <= 10.0), settled),
        pct_answered_within_20s=_pct(sum(1 for s in answer_times if s <= 20.0), settled),
        avg_longest_10pct_answer_seconds=_avg(tail),
        abandon_rate_pct=_pct(abandoned, answered + abandoned),
        longest_current_wait_seconds=(
            None if oldest_waiting is None else max(0.0, (now - oldest_waiting).total_seconds())
        ),
    )
