"""Live KPIs: exact figures for a scripted set of calls, shift and day periods (Asia/Makassar by default, and
Asia/Jakarta for a WIB centre)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ec112.domain.kpis import Kpis, Shifts, compute_kpis
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus, answered, ended, joined_queue

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
WIB = ZoneInfo("Asia/Jakarta")
_ids = iter(range(1, 10_000))


def _s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _arrived(at: float) -> Ticket:
    n = next(_ids)
    return Ticket(
        id=n, linkedid=f"l{n}", uniqueid=f"u{n}", channel="PJSIP/trunk-1", caller_number_raw=None,
        caller_number_e164=None, caller_name=None, location=None, intake=IntakeChannel.AGI,
        status=TicketStatus.NEW, arrived_at=_s(at),
    )  # fmt: skip


def _answered(at: float, answer_after: float, *, queued_after: float = 1.0, talk: float | None = 60) -> Ticket:
    t = joined_queue(_arrived(at), _s(at + queued_after))
    t = answered(t, "agent-1", _s(at + answer_after))
    return ended(t, _s(at + answer_after + talk)) if talk is not None else t


def _abandoned(at: float, after: float) -> Ticket:
    return ended(joined_queue(_arrived(at), _s(at + 1)), _s(at + after))


def _hung_up_in_intake(at: float, after: float) -> Ticket:
    return ended(_arrived(at), _s(at + after))


def _scripted() -> list[Ticket]:
    # Ten answered calls, answer times (s from arrival): 3 5 8 10 12 15 20 25 30 42 — sum 170.
    calls = [
        _answered(0, 3),
        _answered(4, 5),
        _answered(10, 8),
        _answered(15, 10),  # exactly 10 s: inside the 10 s target
        _answered(20, 12, queued_after=9),  # 3 s in the queue, but the citizen waited 12 s
        _answered(25, 15),
        _answered(30, 20),  # exactly 20 s
        _answered(35, 25),
        _answered(40, 30, talk=None),  # still talking: answered all the same
        _answered(45, 42),
        _abandoned(50, 2),  # a 2-second abandon is not forgiven
        _abandoned(55, 35),
        _hung_up_in_intake(60, 4),
        joined_queue(_arrived(100), _s(101)),  # waiting in the queue
        _arrived(130),  # still in intake
    ]
    return calls


def test_scripted_calls_give_exact_figures() -> None:
    kpis = compute_kpis(_scripted(), now=_s(160))
    assert kpis == Kpis(
        offered=15,
        answered=10,
        abandoned=2,
        hung_up_in_intake=1,
        in_progress=2,
        settled=13,
        avg_answer_seconds=17.0,
        pct_answered_within_10s=100 * 4 / 13,
        pct_answered_within_20s=100 * 7 / 13,
        avg_longest_10pct_answer_seconds=42.0,
        abandon_rate_pct=100 * 2 / 12,
        longest_current_wait_seconds=60.0,  # the queued call that arrived at +100 s
    )
    assert kpis.pct_answered_within_10s == pytest.approx(30.769, abs=1e-3)
    assert kpis.abandon_rate_pct == pytest.approx(16.667, abs=1e-3)


def test_longest_ten_percent_rounds_up_and_order_does_not_matter() -> None:
    answer_times = [1, 2, 3, 4, 5, 6, 7, 8, 9, 50, 70]  # 11 answers: ceil(1.1) = 2 longest
    calls = [_answered(i * 100, a) for i, a in enumerate(answer_times)]
    kpis = compute_kpis(reversed(calls), now=_s(5000))
    assert kpis.avg_longest_10pct_answer_seconds == 60.0
    assert kpis.longest_current_wait_seconds is None


def test_a_single_answer_is_its_own_longest_ten_percent() -> None:
    kpis = compute_kpis([_answered(0, 7)], now=_s(100))
    assert kpis.avg_longest_10pct_answer_seconds == 7.0
    assert kpis.pct_answered_within_10s == 100.0
    assert kpis.abandon_rate_pct == 0.0


def test_empty_period_has_no_figures_and_no_division_by_zero() -> None:
    kpis = compute_kpis([], now=T0)
    assert kpis == Kpis(0, 0, 0, 0, 0, 0, None, None, None, None, None, None)


def test_only_waiting_calls_report_the_wait_but_no_rates() -> None:
    kpis = compute_kpis([_arrived(0), _arrived(30)], now=_s(45))
    assert (kpis.offered, kpis.in_progress, kpis.settled) == (2, 2, 0)
    assert kpis.pct_answered_within_10s is None
    assert kpis.abandon_rate_pct is None
    assert kpis.avg_answer_seconds is None
    assert kpis.longest_current_wait_seconds == 45.0


def test_only_intake_hang_ups_count_as_misses_but_not_as_abandons() -> None:
    kpis = compute_kpis([_hung_up_in_intake(0, 3)], now=_s(10))
    assert kpis.pct_answered_within_20s == 0.0
    assert kpis.abandon_rate_pct is None  # no queue decision to rate
    assert kpis.avg_longest_10pct_answer_seconds is None


def test_clock_skew_never_gives_negative_times() -> None:
    skewed = answered(_arrived(10), "agent-1", _s(9))
    kpis = compute_kpis([skewed, _arrived(20)], now=_s(19))
    assert kpis.avg_answer_seconds == 0.0
    assert kpis.longest_current_wait_seconds == 0.0


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_kpis([], now=datetime(2026, 11, 27, 8, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        Shifts().current_shift(datetime(2026, 11, 27, 8, 0))


# --- shifts --------------------------------------------------------------------------------------------


def _wib(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=WIB)


def test_the_default_shifts_follow_wita() -> None:
    wita = ZoneInfo("Asia/Makassar")  # Penajam Paser Utara, UTC+8: 07:00 WITA is 23:00 UTC the day before
    start, end = Shifts().current_shift(datetime(2026, 11, 27, 10, 0, tzinfo=wita))
    assert (start, end) == (datetime(2026, 11, 26, 23, 0, tzinfo=UTC), datetime(2026, 11, 27, 7, 0, tzinfo=UTC))
    assert Shifts().today(datetime(2026, 11, 27, 16, 30, tzinfo=UTC)) == (  # 00:30 WITA on the 28th
        datetime(2026, 11, 27, 16, 0, tzinfo=UTC), datetime(2026, 11, 28, 16, 0, tzinfo=UTC))


def test_day_shift_in_jakarta_is_returned_in_utc() -> None:
    start, end = Shifts(timezone=WIB).current_shift(_wib(2026, 11, 27, 10, 0))
    assert (start, end) == (datetime(2026, 11, 27, 0, 0, tzinfo=UTC), datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    assert start.tzinfo is UTC
    assert end.tzinfo is UTC


@pytest.mark.parametrize(
    "now",
    [
        _wib(2026, 11, 27, 23, 0),  # the boundary itself opens the night shift
        _wib(2026, 11, 27, 23, 30),
        _wib(2026, 11, 28, 0, 0),
        _wib(2026, 11, 28, 2, 0),
        _wib(2026, 11, 28, 6, 59, 59),
        datetime(2026, 11, 27, 20, 0, tzinfo=UTC),  # 03:00 WIB next day, given in UTC
    ],
)
def test_night_shift_spans_midnight(now: datetime) -> None:
    assert Shifts(timezone=WIB).current_shift(now) == (
        datetime(2026, 11, 27, 16, 0, tzinfo=UTC),  # 23:00 WIB on the 27th
        datetime(2026, 11, 28, 0, 0, tzinfo=UTC),  # 07:00 WIB on the 28th
    )


def test_shift_end_is_exclusive() -> None:
    assert Shifts(timezone=WIB).current_shift(_wib(2026, 11, 28, 7, 0))[0] == datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
    assert Shifts(timezone=WIB).current_shift(_wib(2026, 11, 27, 15, 0))[0] == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_today_follows_the_local_date_not_the_utc_date() -> None:
    # 18:00 UTC on the 27th is 01:00 WIB on the 28th.
    assert Shifts(timezone=WIB).today(datetime(2026, 11, 27, 18, 0, tzinfo=UTC)) == (
        datetime(2026, 11, 27, 17, 0, tzinfo=UTC),
        datetime(2026, 11, 28, 17, 0, tzinfo=UTC),
    )
    assert Shifts(timezone=WIB).today(_wib(2026, 11, 27, 23, 59)) == (
        datetime(2026, 11, 26, 17, 0, tzinfo=UTC),
        datetime(2026, 11, 27, 17, 0, tzinfo=UTC),
    )


def test_jakarta_has_no_dst_every_shift_lasts_eight_hours_and_they_tile_the_year() -> None:
    shifts = Shifts(timezone=WIB)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    previous: tuple[datetime, datetime] | None = None
    while now < datetime(2027, 1, 1, tzinfo=UTC):
        start, end = shifts.current_shift(now)
        assert end - start == timedelta(hours=8)
        assert start <= now < end
        assert start.astimezone(WIB).hour in (7, 15, 23)
        if previous is not None and previous != (start, end):
            assert start == previous[1]  # no gap, no overlap
        previous = (start, end)
        day_start, day_end = shifts.today(now)
        assert day_end - day_start == timedelta(hours=24)
        now += timedelta(hours=1)


def test_in_a_dst_zone_boundaries_stay_on_the_wall_clock() -> None:
    berlin = Shifts(timezone=ZoneInfo("Europe/Berlin"))
    # 2026-10-25: clocks go back at 03:00 CEST; 00:30 and 01:30 UTC are both 02:30 local.
    night = (datetime(2026, 10, 24, 21, 0, tzinfo=UTC), datetime(2026, 10, 25, 6, 0, tzinfo=UTC))
    assert berlin.current_shift(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == night
    assert berlin.current_shift(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == night  # a 9-hour night
    # 2026-03-29: clocks go forward; that night lasts 7 hours.
    start, end = berlin.current_shift(datetime(2026, 3, 29, 3, 0, tzinfo=UTC))
    assert end - start == timedelta(hours=7)


def test_configurable_boundaries() -> None:
    twelve_hours = Shifts(hours=(8, 20), timezone=WIB)
    assert twelve_hours.current_shift(_wib(2026, 11, 28, 3, 0)) == (
        datetime(2026, 11, 27, 13, 0, tzinfo=UTC),
        datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
    )
    one_shift = Shifts(hours=(6,), timezone=WIB)
    start, end = one_shift.current_shift(_wib(2026, 11, 28, 5, 0))
    assert (start, end - start) == (datetime(2026, 11, 26, 23, 0, tzinfo=UTC), timedelta(hours=24))


@pytest.mark.parametrize("hours", [(), (7, 7, 15), (15, 7), (24,), (-1, 7)])
def test_bad_boundaries_are_refused(hours: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="boundar"):
        Shifts(hours=hours)
