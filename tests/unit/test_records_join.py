"""Joining a call's record parts, and filling a ticket from them by the live path's rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ec112.domain.recorded_calls import RecordedCall, merge, merge_all, reconcile
from ec112.domain.tickets import CallOutcome, IntakeChannel, Ticket, TicketStatus, answered, ended, joined_queue

T0 = datetime(2026, 11, 28, 1, 7, 48, 866868, tzinfo=UTC)
ID = "ec112lab-1795828068.0"


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


CDR = RecordedCall(ID, emergency=True, channel="PJSIP/trunk-00000000", caller_number="+6281111111111",
                   caller_name="Answered One", arrived_at=s(0), ended_at=s(30))
# queue_log has whole seconds: 01:07:49 and 01:07:51 (truncated)
ENTER = RecordedCall(ID, emergency=True, queued_at=s(0.134), caller_number="+6281111111111")
CONNECT = RecordedCall(ID, emergency=True, answered_at=s(2.134), answered_by="taker01")


def ticket(**kw: object) -> Ticket:
    base = Ticket(id=7, linkedid=ID, uniqueid=ID, channel="PJSIP/trunk-00000000", caller_number_raw="+6281111111111",
                  caller_number_e164="+6281111111111", caller_name="Answered One", location=None,
                  intake=IntakeChannel.BACKFILL, status=TicketStatus.NEW, arrived_at=s(0))
    return replace(base, **kw)  # type: ignore[arg-type]


def test_parts_merge_to_one_call_in_any_order() -> None:
    orders = [[CDR, ENTER, CONNECT], [CONNECT, ENTER, CDR], [ENTER, CDR, CONNECT]]
    merged = [merge_all(parts)[ID] for parts in orders]
    assert merged[0] == merged[1] == merged[2]
    call = merged[0]
    assert (call.arrived_at, call.queued_at, call.answered_at, call.answered_by, call.ended_at) == (
        s(0), s(0.134), s(2.134), "taker01", s(30))
    assert call.complete


def test_merge_keeps_the_first_answer_and_the_last_end() -> None:
    later = RecordedCall(ID, answered_at=s(20), answered_by="taker02", ended_at=s(31))
    call = merge(merge(CDR, CONNECT), later)
    assert (call.answered_by, call.answered_at, call.ended_at) == ("taker01", s(2.134), s(31))
    assert merge(call, call) == call


def test_whole_second_queue_times_never_precede_the_arrival() -> None:
    early = RecordedCall(ID, queued_at=T0.replace(microsecond=0), answered_at=T0.replace(microsecond=0),
                         answered_by="taker01")
    call = merge(CDR, early).normalized()
    assert call.queued_at == s(0)
    assert call.answered_at == s(0)


def test_a_new_backfilled_ticket_gets_what_the_live_path_would_have() -> None:
    call = merge_all([CDR, ENTER, CONNECT])[ID]
    filled = reconcile(ticket(), call)
    live = ended(answered(joined_queue(ticket(), s(0.134)), "taker01", s(2.134)), s(30))
    assert filled == live
    assert filled.outcome is CallOutcome.ANSWERED


def test_abandoned_and_hung_up_in_intake() -> None:
    abandoned = reconcile(ticket(), merge(CDR, ENTER))
    assert abandoned.outcome is CallOutcome.ABANDONED
    assert abandoned.answered_by is None
    in_intake = reconcile(ticket(), CDR)
    assert in_intake.outcome is CallOutcome.HUNG_UP_IN_INTAKE
    assert in_intake.queued_at is None


def test_fills_only_what_the_live_path_missed() -> None:
    call = merge_all([CDR, ENTER, CONNECT])[ID]
    # ticket made live (AGI), queued and answered live; ec112 then missed the Hangup
    live = answered(joined_queue(ticket(intake=IntakeChannel.AGI), s(0.2)), "taker01", s(2.5))
    filled = reconcile(live, call)
    assert filled.ended_at == s(30)
    assert filled.outcome is CallOutcome.ANSWERED
    assert (filled.queued_at, filled.answered_at) == (s(0.2), s(2.5))  # the live times stay
    assert reconcile(filled, call) == filled  # twice changes nothing


def test_an_answer_the_live_path_missed_turns_an_abandoned_ticket_answered() -> None:
    call = merge_all([CDR, ENTER, CONNECT])[ID]
    closed_by_resync = ended(joined_queue(ticket(intake=IntakeChannel.AMI), s(0.2)), s(95))  # looked at s(95)
    assert closed_by_resync.outcome is CallOutcome.ABANDONED
    filled = reconcile(closed_by_resync, call)
    assert (filled.answered_by, filled.outcome, filled.ended_at) == ("taker01", CallOutcome.ANSWERED, s(30))


def test_a_live_end_within_a_second_of_the_records_stays() -> None:
    live_end = ended(answered(ticket(), "taker01", s(2.5)), s(30.4))
    assert reconcile(live_end, merge_all([CDR, ENTER, CONNECT])[ID]) == live_end


def test_a_ticket_classified_meanwhile_keeps_its_work() -> None:
    worked = replace(answered(ticket(), "taker01", s(2.5)), classification="darurat", status=TicketStatus.CLASSIFIED,
                     revision=3)
    filled = reconcile(worked, CDR)
    assert (filled.classification, filled.status, filled.revision) == ("darurat", TicketStatus.CLASSIFIED, 3)
    assert filled.ended_at == s(30)
