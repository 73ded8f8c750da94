"""The callback task's rules (domain.callbacks): which calls need one, its states, deadline, escalation, closing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ec112.domain.callbacks import (
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    CallbackTask,
    call_failed,
    callback_reason,
    close_by_call,
    close_classified,
    dial_ended,
    escalate,
    escalation_due,
    new_task,
    offers,
    set_outcome,
    start_call,
    take,
)
from ec112.domain.errors import Conflict, InvalidRequest
from ec112.domain.tickets import CallOutcome, IntakeChannel, Ticket, TicketStatus

T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def ticket(**changes: object) -> Ticket:
    base = Ticket(7, "lid-7", "lid-7", "PJSIP/trunk-1", "081355501234", "+6281355501234", None, None,
                  IntakeChannel.AGI, TicketStatus.NEW, T0 - timedelta(seconds=20), queued_at=T0 - timedelta(seconds=19),
                  ended_at=T0, outcome=CallOutcome.ABANDONED)
    return replace(base, **changes)  # type: ignore[arg-type]


def open_task(deadline_seconds: int = 120) -> CallbackTask:
    return replace(new_task(ticket(), CallbackReason.ABANDONED, at=T0, deadline_seconds=deadline_seconds).task, id=3)


@pytest.mark.parametrize(("changes", "kwargs", "expected"), [
    ({}, {}, CallbackReason.ABANDONED),
    ({"queued_at": None, "outcome": CallOutcome.HUNG_UP_IN_INTAKE}, {}, CallbackReason.HUNG_UP_IN_INTAKE),
    ({"answered_at": T0, "outcome": CallOutcome.ANSWERED}, {}, CallbackReason.DROPPED),
    ({"answered_at": T0, "outcome": CallOutcome.ANSWERED}, {"silent": True}, CallbackReason.SILENT),
    # the taker ended it herself, or had classified it: no callback
    ({"answered_at": T0, "outcome": CallOutcome.ANSWERED}, {"ended_by_taker": True}, None),
    ({"answered_at": T0, "outcome": CallOutcome.ANSWERED, "status": TicketStatus.CLOSED}, {}, None),
    ({"ended_at": None, "outcome": None}, {}, None),  # still going
    ({"caller_number_e164": None, "caller_number_raw": None}, {}, None),  # nobody to call
    ({"caller_number_e164": None, "caller_number_raw": "anonymous"}, {}, None),
])
def test_which_ended_calls_need_a_callback(changes: dict[str, object], kwargs: dict[str, bool],
                                           expected: CallbackReason | None) -> None:
    assert callback_reason(ticket(**changes), **kwargs) is expected


def test_a_new_task_is_open_with_its_deadline_and_the_number_to_dial() -> None:
    step = new_task(ticket(), CallbackReason.ABANDONED, at=T0, deadline_seconds=120)
    assert (step.task.status, step.task.number, step.task.deadline) == (
        CallbackStatus.OPEN, "+6281355501234", T0 + timedelta(seconds=120))
    assert step.kind == "callback.created"
    assert step.data["reason"] == "abandoned"


def test_take_call_and_the_outcome_asterisk_reports() -> None:
    taken = take(open_task(), by="taker01", at=T0)
    assert taken is not None
    assert (taken.task.status, taken.task.taken_by, taken.kind) == (CallbackStatus.TAKEN, "taker01", "callback.taken")
    assert take(taken.task, by="taker01", at=T0) is None  # hers already
    with pytest.raises(Conflict):
        take(taken.task, by="taker02", at=T0)
    with pytest.raises(Conflict):
        start_call(taken.task, by="taker02", at=T0)
    calling = start_call(taken.task, by="taker01", at=T0)
    assert (calling.task.status, calling.task.attempts) == (CallbackStatus.CALLING, 1)
    with pytest.raises(Conflict):
        start_call(calling.task, by="taker01", at=T0)
    done = dial_ended(calling.task, dial_status="ANSWER", cause=16, at=T0)
    assert done is not None
    assert (done.task.status, done.task.outcome, done.task.outcome_by) == (
        CallbackStatus.DONE, CallbackOutcome.REACHED, "asterisk")
    assert dial_ended(done.task, dial_status="ANSWER", cause=16, at=T0) is None  # a repeated report


@pytest.mark.parametrize(("dial_status", "cause", "outcome"), [
    ("NOANSWER", 19, CallbackOutcome.NO_ANSWER),
    ("BUSY", 17, CallbackOutcome.BUSY),
    ("CHANUNAVAIL", 1, CallbackOutcome.WRONG_NUMBER),  # unallocated number
    ("CONGESTION", 28, CallbackOutcome.WRONG_NUMBER),  # invalid number format
    ("CHANUNAVAIL", 38, CallbackOutcome.FAILED),  # network out of order
    ("CONGESTION", None, CallbackOutcome.FAILED),
])
def test_dial_statuses_map_to_outcomes(dial_status: str, cause: int | None, outcome: CallbackOutcome) -> None:
    calling = start_call(open_task(), by="taker01", at=T0).task  # an open task is taken by calling it
    step = dial_ended(calling, dial_status=dial_status, cause=cause, at=T0)
    assert step is not None
    assert step.task.outcome is outcome


def test_a_call_that_never_reached_the_citizen_goes_back_to_her() -> None:
    calling = start_call(open_task(), by="taker01", at=T0).task
    for report in (dial_ended(calling, dial_status="CANCEL", cause=16, at=T0),
                   call_failed(calling, reason="taker_no_answer", at=T0)):
        assert report is not None
        assert (report.task.status, report.task.taken_by, report.kind) == (
            CallbackStatus.TAKEN, "taker01", "callback.call_failed")


def test_the_taker_sets_the_outcome_by_hand() -> None:
    with pytest.raises(InvalidRequest):
        set_outcome(open_task(), CallbackOutcome.WRONG_NUMBER, by="taker01", at=T0)
    calling = start_call(open_task(), by="taker01", at=T0).task
    reached = dial_ended(calling, dial_status="ANSWER", cause=16, at=T0)
    assert reached is not None
    fixed = set_outcome(reached.task, CallbackOutcome.WRONG_NUMBER, by="taker01", at=T0)
    assert (fixed.task.outcome, fixed.task.outcome_by, fixed.data["previous"]) == (
        CallbackOutcome.WRONG_NUMBER, "taker01", "reached")


def test_escalation_is_due_exactly_at_the_deadline_and_releases_the_task() -> None:
    task = take(open_task(30), by="taker01", at=T0)
    assert task is not None
    deadline = T0 + timedelta(seconds=30)
    assert not escalation_due(task.task, deadline - timedelta(milliseconds=1))
    assert escalate(task.task, at=deadline - timedelta(milliseconds=1)) is None
    step = escalate(task.task, at=deadline)
    assert step is not None
    assert (step.task.status, step.task.escalated_at, step.task.taken_by) == (CallbackStatus.OPEN, deadline, None)
    assert step.data["was_taken_by"] == "taker01"
    assert escalate(step.task, at=deadline + timedelta(seconds=5)) is None  # once
    assert take(step.task, by="taker02", at=deadline) is not None  # open for anyone


def test_a_task_being_called_does_not_escalate() -> None:
    calling = start_call(open_task(30), by="taker01", at=T0).task
    assert not escalation_due(calling, T0 + timedelta(seconds=60))


def test_a_new_call_from_the_number_closes_a_waiting_task_and_links_it() -> None:
    step = close_by_call(open_task(), 9, at=T0)
    assert step is not None
    assert (step.task.status, step.task.linked_ticket_id, step.data) == (
        CallbackStatus.CLOSED, 9, {"reason": "new_call", "ticket_id": 9})
    assert close_by_call(open_task(), 7, at=T0) is None  # its own ticket
    calling = start_call(open_task(), by="taker01", at=T0).task
    assert close_by_call(calling, 9, at=T0) is None  # a callback under way is left alone


def test_classifying_a_dropped_calls_ticket_closes_its_task_only() -> None:
    dropped = replace(open_task(), reason=CallbackReason.DROPPED)
    step = close_classified(dropped, by="sari", at=T0)
    assert step is not None
    assert step.task.status is CallbackStatus.CLOSED
    assert close_classified(open_task(), by="sari", at=T0) is None  # an abandoned call still needs its callback


def test_open_tasks_are_offered_one_per_free_taker_most_urgent_to_the_one_free_longest() -> None:
    urgent = replace(open_task(60), id=1)
    later = replace(open_task(120), id=2)
    taken = replace(open_task(30), id=3, status=CallbackStatus.TAKEN, taken_by="taker05")
    free = [("taker02", T0 - timedelta(seconds=5)), ("taker01", T0 - timedelta(minutes=3))]
    assert offers([later, taken, urgent], free) == {1: "taker01", 2: "taker02"}
    assert offers([later, urgent], free[:1]) == {1: "taker02"}  # one free taker: the most urgent task only
    assert offers([taken], free) == {}  # a taken task is hers: offered to nobody else
    dropped = replace(open_task(10), id=4, reason=CallbackReason.DROPPED)
    assert offers([dropped], free) == {}  # the taker who was talking with the citizen handles it
