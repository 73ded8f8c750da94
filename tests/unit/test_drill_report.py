"""The drill report: each placed call's ticket found (exercise, number, time) and judged against the scenario."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ec112.domain.dispatch import Dispatch, DispatchStatus
from ec112.domain.drill_report import drill_report, same_number
from ec112.domain.drills import parse_scenario
from ec112.domain.tickets import IntakeChannel, Ticket, TicketStatus

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
SCENARIO = parse_scenario("""
name = "Latihan uji"
[[call]]
at_seconds = 0
caller = "081200000001"
audio = { text = "api" }
hangup_after_seconds = 30
[call.expect]
classification = "darurat"
category = "kebakaran"
agencies = ["damkar"]
within_seconds = 60
[[call]]
at_seconds = 10
caller = "081200000002"
audio = { text = "banjir" }
[call.expect]
classification = "darurat"
category = "banjir"
agencies = ["bpbd", "damkar"]
within_seconds = 30
[[call]]
at_seconds = 20
caller = "081200000003"
audio = { text = "iseng" }
[call.expect]
classification = "prank"
""")


def ticket(tid: int, number: str, arrived: float, *, answered: float | None, by: str | None,
           classification: str | None = None, category: str | None = None, exercise: bool = True) -> Ticket:
    return Ticket(id=tid, linkedid=f"l{tid}", uniqueid=f"l{tid}", channel="PJSIP/drill-1", caller_number_raw=number,
                  caller_number_e164="+62" + number[1:], caller_name=None, location=None, intake=IntakeChannel.AGI,
                  status=TicketStatus.CLASSIFIED, arrived_at=T0 + timedelta(seconds=arrived),
                  answered_at=None if answered is None else T0 + timedelta(seconds=answered), answered_by=by,
                  classification=classification, category=category, exercise=exercise)


def dispatch(did: int, tid: int, agency: str, at: float,
             status: DispatchStatus = DispatchStatus.DISPATCHED) -> Dispatch:
    when = T0 + timedelta(seconds=at)
    return Dispatch(id=did, ticket_id=tid, agency=agency, status=status, dispatched_at=when, dispatched_by="taker01",
                    ack_deadline=when + timedelta(minutes=2))


def test_figures_per_call_and_per_participant() -> None:
    tickets = [
        ticket(1, "081200000001", 0.4, answered=3.4, by="taker01", classification="darurat", category="kebakaran"),
        ticket(2, "081200000002", 10.3, answered=14.3, by="taker02", classification="darurat", category="banjir"),
        ticket(3, "081200000003", 20.2, answered=22.2, by="taker01", classification="darurat", category="lainnya"),
        # the same number calling for real in the window: not an exercise, never the drill's
        ticket(4, "081200000003", 20.1, answered=21.0, by="taker03", exercise=False),
    ]
    dispatches = {1: [dispatch(1, 1, "damkar", 33.4)],
                  2: [dispatch(2, 2, "bpbd", 30.3), dispatch(3, 2, "damkar", 54.3, DispatchStatus.CANCELLED)],
                  3: [dispatch(4, 3, "damkar", 40.0)]}
    placed = {0: T0, 1: T0 + timedelta(seconds=10), 2: T0 + timedelta(seconds=20)}
    report = drill_report(SCENARIO, placed, tickets, dispatches)
    fire, flood, prank = report.calls
    assert (fire.ticket.id, fire.taker, fire.answer_seconds) == (1, "taker01", 3.0)  # type: ignore[union-attr]
    assert (fire.classification_ok, fire.dispatch_ok, fire.dispatch_seconds, fire.within_ok) == (True, True, 30.0, True)
    assert flood.dispatched == ("bpbd",)  # the cancelled damkar does not count
    assert (flood.classification_ok, flood.dispatch_ok, flood.dispatch_seconds) == (True, False, None)
    assert prank.ticket.id == 3  # type: ignore[union-attr]
    assert (prank.classification_ok, prank.dispatch_ok, prank.within_ok) == (False, False, None)
    one, two = report.participants
    assert (one.taker, one.calls, one.avg_answer_seconds, one.classification_correct, one.dispatch_correct,
            one.avg_dispatch_seconds) == ("taker01", 2, 2.5, 1, 1, 30.0)
    assert (two.taker, two.calls, two.classification_correct, two.dispatch_correct) == ("taker02", 1, 1, 0)
    assert report.unanswered == 0


def test_a_call_not_placed_or_not_ticketed_has_no_figures() -> None:
    late = ticket(1, "081200000001", 200.0, answered=None, by=None)  # long after the call's window
    report = drill_report(SCENARIO, {0: T0}, [late], {})
    assert [c.ticket for c in report.calls] == [None, None, None]
    assert report.participants == ()
    assert report.unanswered == 3


def test_unclassified_is_not_judged_yet() -> None:
    t = ticket(1, "081200000001", 1.0, answered=2.0, by="taker01")
    [first, *_] = drill_report(SCENARIO, {0: T0}, [t], {}).calls
    assert (first.classification_ok, first.dispatch_ok, first.answer_seconds) == (None, None, 1.0)


def test_numbers_compare_nationally() -> None:
    assert same_number("081200000001", "+6281200000001")
    assert not same_number("081200000001", "081200000002")
    assert not same_number(None, "")
